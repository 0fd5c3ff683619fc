"""promptfoo tests as raw mappings: inline, ``file://`` YAML/JSON/JSONL/CSV, globs, generators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.asserts import KNOWN_TYPES
from workbench.core.evals.promptfoo.csvtests import read_csv_tests
from workbench.core.evals.promptfoo.files import is_file_ref, read_data, resolve
from workbench.core.evals.promptfoo.report import Report

_CODE = {".py", ".js", ".ts", ".mjs", ".cjs"}


def read_tests(raw: Any, config_dir: Path, report: Report) -> list[tuple[str, dict[str, Any]]]:
    """Every test as ``(where, mapping)``: ``where`` names its file and row or its index."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    tests: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(items, start=1):
        if is_file_ref(item):
            for path in resolve(item, config_dir):
                tests += _from_file(path, report)
        elif isinstance(item, dict):
            tests.append((f"tests[{index}]", item))
        else:
            report.skipped(f"tests[{index}]", "a test is a mapping or a file:// reference")
    return tests


def _from_file(path: Path, report: Report) -> list[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix in _CODE:
        report.skipped(
            f"tests {path.name}",
            "test generators are code; run it once and save its output as YAML or JSONL",
        )
        return []
    if suffix == ".csv":
        tests, unknown = read_csv_tests(path, KNOWN_TYPES)
        for column in unknown:
            report.skipped(f"{path.name} column {column}", "not a promptfoo CSV column known here")
        report.mapped(f"tests {path.name}", f"{len(tests)} CSV rows (vars, __expected columns)")
        return [(str(test.pop("__source")), test) for test in tests]
    if suffix in {".xlsx", ".xls"}:
        report.skipped(f"tests {path.name}", "save the sheet as CSV and import that")
        return []
    data = read_data(path)
    items = data if isinstance(data, list) else [data]
    result = []
    for number, test in enumerate(items, start=1):
        where = f"{path.name}[{number}]" if suffix != ".jsonl" else f"{path.name}:{number}"
        if isinstance(test, dict):
            result.append((where, test))
        else:
            report.skipped(where, "a test is a mapping")
    report.mapped(f"tests {path.name}", f"{len(result)} tests")
    return result

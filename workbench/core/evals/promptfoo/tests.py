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


def read_scenarios(raw: Any, config_dir: Path, report: Report) -> list[tuple[str, dict[str, Any]]]:
    """promptfoo ``scenarios``: every ``config`` entry × every test, vars and asserts merged."""
    if raw is None:
        return []
    if is_file_ref(raw):
        raw = [item for path in resolve(raw, config_dir) for item in _listed(read_data(path))]
    tests: list[tuple[str, dict[str, Any]]] = []
    for number, scenario in enumerate(_listed(raw), start=1):
        where = f"scenarios[{number}]"
        if not isinstance(scenario, dict):
            report.skipped(where, "a scenario is a mapping with 'config' and 'tests'")
            continue
        configs: Any = scenario.get("config") or [{}]
        if isinstance(configs, str) and is_file_ref(configs):
            configs = [c for path in resolve(configs, config_dir) for c in _listed(read_data(path))]
        inner = read_tests(scenario.get("tests"), config_dir, report)
        made = 0
        for index, config in enumerate(_listed(configs), start=1):
            if not isinstance(config, dict):
                report.skipped(f"{where}.config[{index}]", "a scenario config is a mapping")
                continue
            for test_where, test in inner:
                merged = {
                    **test,
                    "vars": {**(config.get("vars") or {}), **(test.get("vars") or {})},
                }
                merged["assert"] = [
                    *_listed(config.get("assert") or []),
                    *_listed(test.get("assert") or []),
                ]
                labels = [str(x) for x in (config.get("description"), test.get("description")) if x]
                if labels:
                    merged["description"] = " / ".join(labels)
                tests.append((f"{where}.config[{index}] × {test_where}", merged))
                made += 1
        report.mapped(where, f"{made} tests (each config × each test, vars merged)")
    return tests


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]

"""promptfoo's CSV test files: columns are vars, ``__expected`` columns are assertions.

Special columns (promptfoo's documented CSV format): ``__expected``, ``__expected1..N``
(assertions written ``[not-]type[(threshold)]: value``, or a bare value meaning ``equals``),
``__description``, ``__prefix``, ``__suffix``, ``__metric``, ``__threshold``,
``__metadata:NAME``; any other ``__`` column is reported, never taken as a var.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.files import read_text
from workbench.errors import ConfigError

# Types whose CSV value is a comma-separated list.
_LIST_TYPES = {"contains-any", "contains-all", "icontains-any", "icontains-all"}
_LEGACY = {
    "fn": "javascript",
    "eval": "javascript",
    "javascript": "javascript",
    "grade": "llm-rubric",
}
_ASSERTION = re.compile(r"^(not-)?([a-z][a-z0-9:-]*)(?:\((-?\d+(?:\.\d+)?)\))?(?::\s?([\s\S]*))?$")


def parse_expected(text: str, known_types: set[str]) -> dict[str, Any]:
    """One ``__expected`` cell as a promptfoo assertion mapping."""
    stripped = text.strip()
    head, sep, rest = stripped.partition(":")
    if sep and head in _LEGACY:
        return {"type": _LEGACY[head], "value": rest.strip()}
    if sep and head == "python":
        return {"type": "python", "value": rest.strip()}
    match = _ASSERTION.match(stripped)
    if match and match.group(2) in known_types:
        negate, name, threshold, value = match.groups()
        assertion: dict[str, Any] = {"type": f"{negate or ''}{name}"}
        if value is not None and value.strip() != "":
            value = value.strip()
            assertion["value"] = (
                [item.strip() for item in value.split(",")] if name in _LIST_TYPES else value
            )
        if threshold is not None:
            assertion["threshold"] = float(threshold)
        return assertion
    return {"type": "equals", "value": text}


def read_csv_tests(path: Path, known_types: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The tests of a promptfoo CSV file, and the special columns that were not understood."""
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise ConfigError(f"{path}: invalid CSV: {error}") from None
    if not rows:
        raise ConfigError(f"{path}:1: empty CSV (the first row names the vars)")
    header = [name.strip() for name in rows[0]]
    unknown = sorted({name for name in header if name.startswith("__") and not _special(name)})
    tests = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ConfigError(f"{path}:{number}: {len(row)} cells but {len(header)} columns")
        tests.append(_test(dict(zip(header, row, strict=False)), known_types, path, number))
    return tests, unknown


def _special(name: str) -> bool:
    return bool(
        re.fullmatch(r"__expected\d*|__description|__prefix|__suffix|__metric|__threshold", name)
        or name.startswith("__metadata:")
    )


def _test(row: dict[str, str], known: set[str], path: Path, number: int) -> dict[str, Any]:
    test: dict[str, Any] = {"vars": {}, "assert": [], "__source": f"{path.name}:{number}"}
    metric = row.get("__metric") or None
    for name, cell in row.items():
        if re.fullmatch(r"__expected\d*", name):
            if cell.strip():
                assertion = parse_expected(cell, known)
                if metric:
                    assertion["metric"] = metric
                test["assert"].append(assertion)
        elif name == "__description":
            test["description"] = cell
        elif name in ("__prefix", "__suffix"):
            test[name] = cell
        elif name == "__threshold" and cell.strip():
            try:
                test["threshold"] = float(cell)
            except ValueError:
                raise ConfigError(
                    f"{path}:{number}: __threshold {cell!r} is not a number"
                ) from None
        elif name.startswith("__metadata:"):
            test.setdefault("metadata", {})[name.removeprefix("__metadata:")] = cell
        elif not name.startswith("__"):
            test["vars"][name] = cell
    return test

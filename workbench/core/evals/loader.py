"""Loading eval sets from YAML (and JSONL case lists): validated, with file:line on every error."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workbench.core.evals.checks import ASSERTION_TYPES, get_check
from workbench.core.evals.spec import CATEGORIES, Assertion, Case, Defaults, EvalSet
from workbench.core.evals.suggest import (
    FOREIGN_ASSERTION_KEYS,
    FOREIGN_CASE_KEYS,
    did_you_mean,
    unknown_type_message,
)
from workbench.core.evals.yamllines import LineLoader, LineMap, line_of
from workbench.errors import ConfigError

SET_SUFFIXES = (".yaml", ".yml", ".jsonl")
_SET_KEYS = {"name", "description", "defaults", "cases", "categories", "gate", "variants"}
_ALIASES = {"tests": "cases", "defaultTest": "defaults", "default_test": "defaults"}
_PROMPTFOO_ONLY = {
    "prompts": "prompt versions live in prompts/ and are chosen by variants",
    "providers": "declare variants in workbench.toml [variants] or pass --variant",
    "provider": "declare variants in workbench.toml [variants] or pass --variant",
}
_IMPORT_HINT = " (a promptfoo config? convert it: workbench eval import FILE)"
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


class _Problem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _suggest(word: str, choices: Any) -> str:
    return did_you_mean(word, choices)


def find_sets(evals_dir: Path) -> list[Path]:
    """The eval-set files in a project's evals folder, sorted by name."""
    if not evals_dir.is_dir():
        return []
    return sorted(
        path
        for path in evals_dir.iterdir()
        if path.suffix in SET_SUFFIXES and path.is_file() and not path.name.startswith(".")
    )


def load_set(path: Path) -> EvalSet:
    """Parse and validate one set; any problem raises ``ConfigError`` as ``file:line: what``."""
    try:
        if path.suffix == ".jsonl":
            return _load_jsonl_set(path)
        return _load_yaml_set(path)
    except _Problem as problem:
        raise ConfigError(f"{path}:{problem.line}: {problem.message}") from None


def _load_yaml_set(path: Path) -> EvalSet:
    try:
        raw_bytes = path.read_bytes()
        data = yaml.load(raw_bytes.decode("utf-8"), Loader=LineLoader)
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}:1: not UTF-8 text") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {error.problem or error}") from None
    if not isinstance(data, LineMap):
        raise _Problem(1, "an eval set is a mapping with a 'cases' list")
    digest = hashlib.sha256(raw_bytes)
    fields: dict[str, Any] = {}
    for key in data:
        canonical = _ALIASES.get(key, key)
        if key in _PROMPTFOO_ONLY:
            raise _Problem(
                line_of(data, key),
                f"{key!r} is not used here: {_PROMPTFOO_ONLY[key]}{_IMPORT_HINT}",
            )
        if canonical not in _SET_KEYS:
            raise _Problem(line_of(data, key), f"unknown key {key!r}{_suggest(key, _SET_KEYS)}")
        fields[canonical] = data[key]
    categories = _categories(data.get("categories"), line_of(data, "categories"))
    defaults = _defaults(data.get("defaults", data.get("defaultTest")), data)
    gate = fields.get("gate") or {}
    if not isinstance(gate, dict):
        raise _Problem(line_of(data, "gate"), "'gate' must be a mapping of thresholds")
    variants = fields.get("variants") or []
    if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
        raise _Problem(line_of(data, "variants"), "'variants' must be a list of variant names")
    evalset = EvalSet(
        name=str(fields.get("name") or path.stem),
        path=path,
        description=str(fields.get("description") or ""),
        defaults=defaults,
        categories=categories,
        gate=dict(gate),
        variants=variants,
    )
    cases = fields.get("cases")
    cases_line = line_of(data, "cases" if "cases" in data else "tests")
    if isinstance(cases, str):
        reference = cases.removeprefix("file://")
        jsonl = (path.parent / reference).resolve()
        if not jsonl.is_file():
            raise _Problem(cases_line, f"case file {reference!r} not found")
        if jsonl.suffix.lower() != ".jsonl":
            raise _Problem(
                cases_line,
                f"case file {reference!r}: 'cases: file://' takes a JSONL file (one case a"
                f" line){_IMPORT_HINT}",
            )
        evalset.cases_file = jsonl
        evalset.case_count = _scan_jsonl(jsonl, evalset, digest)
    elif isinstance(cases, list) and cases:
        seen: dict[str, int] = {}
        for index, raw in enumerate(cases):
            case = _case(raw, line_of(cases, index), evalset, seen)
            evalset.cases.append(case)
        evalset.case_count = len(evalset.cases)
    else:
        raise _Problem(
            cases_line if cases is not None else 1, "a set needs a non-empty 'cases' list"
        )
    evalset.digest = digest.hexdigest()[:16]
    return evalset


def _load_jsonl_set(path: Path) -> EvalSet:
    evalset = EvalSet(name=path.stem, path=path, cases_file=path)
    digest = hashlib.sha256()
    evalset.case_count = _scan_jsonl(path, evalset, digest)
    if evalset.case_count == 0:
        raise _Problem(1, "a set needs at least one case")
    evalset.digest = digest.hexdigest()[:16]
    return evalset


def _scan_jsonl(path: Path, evalset: EvalSet, digest: Any) -> int:
    """Validate every line of a JSONL case file without keeping the cases in memory."""
    seen: dict[str, int] = {}
    count = 0
    try:
        with path.open("rb") as handle:
            for number, raw_line in enumerate(handle, start=1):
                digest.update(raw_line)
                _case(
                    _json_line(raw_line, number, path), number, evalset, seen
                ) if raw_line.strip() else None
                count += bool(raw_line.strip())
    except _Problem as problem:
        raise ConfigError(f"{path}:{problem.line}: {problem.message}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    return count


def _json_line(raw_line: bytes, number: int, path: Path) -> dict:
    try:
        value = json.loads(raw_line)
    except ValueError as error:
        raise _Problem(number, f"invalid JSON: {error}") from None
    if not isinstance(value, dict):
        raise _Problem(number, "each line must be a JSON object (one case)")
    return value


def iter_cases(evalset: EvalSet) -> Iterator[Case]:
    """Every case of the set with the defaults applied, streamed from JSONL when the set has one."""
    if evalset.cases_file is None:
        yield from evalset.cases
        return
    seen: dict[str, int] = {}
    with evalset.cases_file.open("rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            if raw_line.strip():
                yield _case(_json_line(raw_line, number, evalset.cases_file), number, evalset, seen)


def _categories(raw: Any, line: int) -> list[str]:
    if raw is None:
        return list(CATEGORIES)
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _Problem(line, "'categories' must be a list of names")
    return list(dict.fromkeys([*CATEGORIES, *raw]))


def _defaults(raw: Any, parent: Any) -> Defaults:
    if raw is None:
        return Defaults()
    key = "defaults" if "defaults" in parent else "defaultTest"
    if not isinstance(raw, dict):
        raise _Problem(line_of(parent, key), "'defaults' must be a mapping")
    raw = dict(raw)
    assertions = _assertions(raw.pop("assert", None), line_of(parent, key))
    try:
        return Defaults.model_validate({**raw, "assert": assertions})
    except ValidationError as error:
        raise _validation_problem(
            error, parent[key], line_of(parent, key), known=_DEFAULT_FIELDS
        ) from None


def _case(raw: Any, line: int, evalset: EvalSet, seen: dict[str, int]) -> Case:
    if not isinstance(raw, dict):
        raise _Problem(line, "each case must be a mapping with at least 'id' and 'input'")
    line = line_of(raw, None, line)
    fields = dict(raw)
    case_id = fields.get("id")
    if case_id is None or not str(case_id).strip():
        raise _Problem(line, f"case without an 'id'{_IMPORT_HINT}")
    case_id = str(case_id)
    fields["id"] = case_id
    where = f"case {case_id!r}: "
    if case_id in seen:
        raise _Problem(line, f"{where}duplicate id (first at line {seen[case_id]})")
    seen[case_id] = line
    defaults = evalset.defaults
    variables = {**defaults.vars, **(fields.get("vars") or {})}
    if "input" not in fields and "input" in variables:
        fields["input"] = variables["input"]
    if "input" not in fields:
        raise _Problem(line, f"{where}no 'input'")
    try:
        own = _assertions(fields.pop("assert", None), line_of(raw, "assert", line), where)
    except _Problem:
        raise
    fields["assert"] = [*defaults.assertions, *own]
    fields["vars"] = variables
    fields.setdefault("category", defaults.category or "functional")
    if defaults.threshold is not None:
        fields.setdefault("threshold", defaults.threshold)
    if defaults.weight is not None:
        fields.setdefault("weight", defaults.weight)
    fields["line"] = line
    try:
        case = Case.model_validate(fields)
    except ValidationError as error:
        raise _validation_problem(error, raw, line, where) from None
    if case.category not in evalset.categories:
        raise _Problem(
            line_of(raw, "category", line),
            f"{where}unknown category {case.category!r}"
            f"{_suggest(case.category, evalset.categories)}"
            " (add it to the set's 'categories' to extend the list)",
        )
    missing = sorted(set(_variables_used(case.input)) - set(variables))
    if missing:
        raise _Problem(
            line_of(raw, "input", line), f"{where}input uses undefined var {missing[0]!r}"
        )
    return case


def _assertions(raw: Any, line: int, where: str = "") -> list[Assertion]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _Problem(line, f"{where}'assert' must be a list")
    result = []
    for index, item in enumerate(raw):
        item_line = line_of(raw, index, line)
        if isinstance(item, str):
            item = {"type": item}
        if not isinstance(item, dict) or "type" not in item:
            raise _Problem(item_line, f"{where}each assertion needs a 'type'")
        fields = dict(item)
        written = str(fields.pop("type"))
        negate = written.startswith("not-") and written not in ASSERTION_TYPES
        name = written.removeprefix("not-") if negate else written
        if name not in ASSERTION_TYPES:
            raise _Problem(
                line_of(item, "type", item_line),
                f"{where}{unknown_type_message(written, ASSERTION_TYPES)}",
            )
        if "assert" in fields:
            if name != "assert-set":
                raise _Problem(
                    line_of(item, "assert", item_line),
                    f"{where}{written}: only assert-set takes an 'assert' list",
                )
            fields["assert"] = _assertions(
                fields["assert"], line_of(item, "assert", item_line), f"{where}{written}: "
            )
        try:
            assertion = Assertion.model_validate(
                {**fields, "type": name, "negate": negate, "line": item_line}
            )
        except ValidationError as error:
            raise _validation_problem(
                error,
                item,
                item_line,
                f"{where}{written}: ",
                known=_ASSERTION_FIELDS,
                foreign=FOREIGN_ASSERTION_KEYS,
            ) from None
        try:
            get_check(name).validate(assertion)
        except ValueError as error:
            raise _Problem(
                line_of(item, "value", item_line), f"{where}{written}: {error}"
            ) from None
        result.append(assertion)
    return result


def _validation_problem(
    error: ValidationError,
    raw: Any,
    line: int,
    where: str = "",
    *,
    known: tuple[str, ...] | None = None,
    foreign: dict[str, str] = FOREIGN_CASE_KEYS,
) -> _Problem:
    first = error.errors()[0]
    loc = [part for part in first["loc"] if not isinstance(part, str) or part != "assert"]
    node = raw
    found = line
    for part in first["loc"]:
        if not isinstance(node, dict | list):
            continue
        found = line_of(node, part, found)
        if isinstance(node, dict):
            if part not in node:
                break
            node = node[part]
        elif isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
    field = ".".join(str(part) for part in loc) or "(case)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        name = str(first["loc"][-1])
        if name in foreign and len(first["loc"]) == 1:
            message = f"promptfoo's {name!r} is not used here: {foreign[name]}"
        else:
            message = f"unknown field{_suggest(name, known or _CASE_FIELDS)}"
    return _Problem(found, f"{where}{field}: {message}")


# The keys a person writes at each level (for "did you mean" among them only).
_CASE_FIELDS = (*(f for f in Case.model_fields if f not in {"assertions", "line"}), "assert")
_DEFAULT_FIELDS = (*(f for f in Defaults.model_fields if f != "assertions"), "assert")
_ASSERTION_FIELDS = (
    *(f for f in Assertion.model_fields if f not in {"assertions", "negate", "line"}),
    "assert",
)


def _variables_used(value: Any) -> list[str]:
    if isinstance(value, str):
        return [match.group(1).split(".")[0] for match in _VAR.finditer(value)]
    if isinstance(value, list):
        return [name for item in value for name in _variables_used(item)]
    if hasattr(value, "content"):
        return _variables_used(value.content)
    return []


def render(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with every ``{{ name }}`` replaced by its variable (strings, lists, dicts)."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: _lookup(variables, m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [render(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: render(item, variables) for key, item in value.items()}
    return value


def _lookup(variables: dict[str, Any], dotted: str, original: str) -> str:
    value: Any = variables
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return original
        value = value[part]
    return value if isinstance(value, str) else json.dumps(value)

"""Loading ``mocks/*.yaml`` into an ordered rule book; a bad file raises one line with file:line."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workbench.core.mock import schema
from workbench.core.mock.schema import Rule, RuleFile
from workbench.core.mock.templating import unknown_placeholders
from workbench.errors import ConfigError

RULE_SUFFIXES = (".yaml", ".yml")
DEFAULT_ID = "default"
KNOWN_KEYS = frozenset(
    name
    for model in vars(schema).values()
    if isinstance(model, type) and issubclass(model, schema.BaseModel)
    for name in model.model_fields
)


@dataclass(frozen=True)
class RuleBook:
    """Rules in the order they are tried (files by name, rules in file order, ``default`` last)."""

    rules: tuple[Rule, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    models: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rules)


def rule_files(folder: Path | None) -> list[Path]:
    """The rule files of a ``mocks/`` folder, sorted by name; none if it does not exist."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in RULE_SUFFIXES and p.is_file())


def signature(folder: Path | None) -> tuple:
    """Changes whenever a rule file is added, removed or edited (for reloading).

    Asked on every request, so it reads the folder once with ``os.scandir`` (whose entries
    know their type without a system call) and stats each rule file once.
    """
    if folder is None:
        return ()
    out = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(RULE_SUFFIXES) and entry.is_file():
                    stat = entry.stat()
                    out.append((entry.name, stat.st_mtime_ns, stat.st_size))
    except (FileNotFoundError, NotADirectoryError):
        return ()
    return tuple(sorted(out))


def load_rules(folder: Path | None) -> RuleBook:
    """Read every rule file in ``folder``; raises ``ConfigError`` naming the file and line."""
    rules: list[Rule] = []
    defaults: list[Rule] = []
    sources: dict[str, str] = {}
    models: list[str] = []
    for path in rule_files(folder):
        parsed, served = _parse(path)
        models += served
        for rule, line in parsed:
            if rule.id in sources:
                raise ConfigError(
                    f"{path}:{line}: rule id {rule.id!r} is already used at {sources[rule.id]}"
                )
            sources[rule.id] = f"{path}:{line}"
            (defaults if rule.id == DEFAULT_ID else rules).append(rule)
    models = list(dict.fromkeys(models))
    return RuleBook(rules=tuple(rules + defaults), sources=sources, models=tuple(models))


def parse_rule_file(path: Path) -> list[tuple[Rule, int]]:
    """The rules of one file with the line each starts on."""
    return _parse(path)[0]


def _parse(path: Path) -> tuple[list[tuple[Rule, int]], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}:1: cannot be read ({error})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = _construct(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {error.problem or error}") from None
    if data is None:
        return [], []
    # A file may be a bare list of rules instead of a mapping with ``rules:``.
    bare = isinstance(data, list)

    def line_at(loc: list[Any]) -> int:
        return line_of(node, loc[1:] if bare and loc[:1] == ["rules"] else loc)

    try:
        parsed = RuleFile.model_validate({"rules": data} if bare else data)
    except ValidationError as error:
        errors = error.errors()
        # A misspelt key also makes a required one "missing"; the spelling is the real problem.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = [part for part in first["loc"] if not _is_type_tag(part)]
        raise ConfigError(f"{path}:{line_at(loc)}: {_where(loc)}: {_message(first)}") from None
    out = []
    for index, rule in enumerate(parsed.rules):
        line = line_at(["rules", index])
        for name, text_with in unknown_placeholders(rule):
            raise ConfigError(
                f"{path}:{_line_of_text(text, text_with, line)}: rule {rule.id!r}: "
                f"placeholder ${{{name}}} is neither a regex group of this rule nor a builtin"
            )
        out.append((rule, line))
    return out, parsed.models


def _construct(node: yaml.Node | None) -> Any:
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    return loader.construct_document(node)


def line_of(node: yaml.Node | None, loc: list[Any]) -> int:
    """The 1-based line of the deepest node on the path ``loc`` that exists in the YAML tree."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line = key.start_mark.line + 1
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _line_of_text(text: str, needle: str, fallback: int) -> int:
    first_line = needle.splitlines()[0] if needle else ""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= fallback and first_line and first_line in line:
            return number
    return fallback


def _is_type_tag(part: Any) -> bool:
    # pydantic names union members in error locations ("int", "Range", "list[str]");
    # rule keys are lowercase snake_case, so these never collide with one.
    if not isinstance(part, str):
        return False
    return part in ("int", "float", "str", "bool") or part[:1].isupper() or "[" in part


def _where(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see docs/mock-rules.md"
        return f"unknown key ({hint})"
    return error["msg"].removeprefix("Value error, ")

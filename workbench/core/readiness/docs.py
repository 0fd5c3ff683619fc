"""Project files other than code, parsed for evidence: Markdown sections, YAML, TOML."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workbench.core.config import line_of_key


@dataclass(frozen=True)
class Section:
    """A Markdown heading and its body, up to the next heading of the same or a higher level."""

    title: str
    level: int
    line: int
    body: str
    list_items: int

    def sha256(self) -> str:
        """A fingerprint of the heading and its body."""
        return hashlib.sha256(f"{self.title}\n{self.body}".encode()).hexdigest()


def markdown_sections(text: str) -> list[Section]:
    """Every heading of a Markdown document with its body, parsed with markdown-it."""
    from markdown_it import MarkdownIt

    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").parse(text)
    heads: list[tuple[int, int, str]] = []  # (level, start line index, title)
    for position, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            title = tokens[position + 1].content.strip()
            heads.append((int(token.tag[1:]), token.map[0], title))
    items_at = [t.map[0] for t in tokens if t.type == "list_item_open" and t.map]
    sections = []
    for number, (level, start, title) in enumerate(heads):
        end = len(lines)
        for later_level, later_start, _ in heads[number + 1 :]:
            if later_level <= level:
                end = later_start
                break
        body = "\n".join(lines[start + 1 : end]).strip()
        count = sum(1 for at in items_at if start < at < end)
        sections.append(Section(title, level, start + 1, body, count))
    return sections


def find_section(
    sections: list[Section], *words: str, unless: tuple[str, ...] = ()
) -> Section | None:
    """The first section whose heading starts a word with one of ``words`` (any case), and
    none of ``unless`` (so "Safety incidents" is not the general incident runbook)."""
    for section in sections:
        title = section.title.lower()
        if any(re.search(rf"\b{re.escape(word.lower())}", title) for word in unless):
            continue
        if any(re.search(rf"\b{re.escape(word.lower())}", title) for word in words):
            return section
    return None


@dataclass
class YamlDoc:
    """A YAML document's data and its node tree, so evidence can name lines."""

    data: Any
    node: yaml.Node | None

    def line(self, *keys: str | int) -> int:
        """The 1-based line of the value at ``keys`` (the nearest existing ancestor otherwise)."""
        node = self.node
        best = node.start_mark.line + 1 if node is not None else 1
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
                if found is None:
                    key_node = None
                    break
                key_node = next(k for k, v in node.value if v is found)
                best = key_node.start_mark.line + 1
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    break
                node = node.value[key]
                best = node.start_mark.line + 1
            else:
                break
        return best


def load_yaml(path: Path) -> YamlDoc:
    """Parse a YAML file safely; raises ``ValueError`` with ``file:line`` on bad YAML."""
    text = path.read_text(encoding="utf-8")
    try:
        return YamlDoc(yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ValueError(f"{path.name}:{line}: not valid YAML") from None


@dataclass
class TomlDoc:
    """A TOML document's data and text, so evidence can name lines."""

    data: dict[str, Any]
    text: str

    def line(self, *keys: str) -> int:
        """The 1-based line where the deepest of ``keys`` is defined."""
        return line_of_key(self.text, list(keys))

    def get(self, *keys: str) -> Any:
        """The value at ``keys``, or None."""
        value: Any = self.data
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value


def load_toml(path: Path) -> TomlDoc:
    """Parse a TOML file (the project's config has already been validated when this runs)."""
    text = path.read_text(encoding="utf-8")
    return TomlDoc(tomllib.loads(text), text)


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, or of nothing when it does not exist."""
    return hashlib.sha256(path.read_bytes() if path.is_file() else b"").hexdigest()

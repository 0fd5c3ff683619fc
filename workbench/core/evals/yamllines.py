"""A YAML loader whose mappings and sequences remember their line numbers, for error messages."""

from __future__ import annotations

from typing import Any

import yaml


class LineMap(dict):
    """A mapping with the line it starts on and the line of each key."""

    line = 0
    key_lines: dict[str, int]


class LineList(list):
    """A sequence with the line it starts on and the line of each item."""

    line = 0
    item_lines: list[int]


class LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences remember the line they start on."""


def _construct_map(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def line_of(node: Any, key: str | int | None = None, default: int = 1) -> int:
    """The line of ``key`` in ``node`` (or of ``node`` itself), else ``default``."""
    if isinstance(node, LineMap):
        return node.key_lines.get(str(key), node.line) if key is not None else node.line
    if isinstance(node, LineList):
        if isinstance(key, int) and 0 <= key < len(node.item_lines):
            return node.item_lines[key]
        return node.line
    return default

"""Finding where the code uses a span attribute key or event name, direct or through a constant."""

from __future__ import annotations

import ast

from workbench.core.readiness.source import Hit, SourceIndex


def _constant_names(index: SourceIndex, value: str) -> list[tuple[Hit[ast.Assign], str]]:
    """Module-level ``NAME = "value"`` assignments, with the name."""
    found = []
    for module in index.modules:
        for node in module.tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and node.value.value == value
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.append((Hit(module, node), target.id))
    return found


def uses_of(index: SourceIndex, value: str) -> list[Hit[ast.AST]]:
    """Places that use the string ``value``: literally (outside a constant definition) or via its
    module-level constant, referenced as ``NAME`` or ``module.NAME``."""
    constants = _constant_names(index, value)
    definitions = {(hit.module.rel, hit.line) for hit, _ in constants}
    uses: list[Hit[ast.AST]] = [
        hit
        for hit in index.string_constants(value)
        if (hit.module.rel, hit.line) not in definitions
    ]
    names = {name for _, name in constants}
    if names:
        for hit in index.walk((ast.Name, ast.Attribute)):
            node = hit.node
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in names and isinstance(node.ctx, ast.Load):
                uses.append(hit)
    return uses

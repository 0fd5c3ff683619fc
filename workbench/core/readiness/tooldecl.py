"""Tool declarations found in the code: ``Tool(...)`` calls mapped onto the Tool class's fields."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.core.readiness.source import Hit, literal

if TYPE_CHECKING:
    from workbench.core.readiness.source import SourceIndex

WRITE_RISKS = {"medium", "high", "critical"}


@dataclass
class ToolDecl:
    """One declared tool: its arguments by field name (AST nodes) and where it is declared."""

    hit: Hit
    fields: dict[str, ast.expr] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The tool's name, or ``?`` when it is not a literal."""
        value = literal(self.fields.get("name"))
        return value if isinstance(value, str) else "?"

    def value(self, key: str) -> object:
        """A field's literal value, else the class default."""
        node = self.fields.get(key)
        return literal(node) if node is not None else self.defaults.get(key)

    @property
    def risk(self) -> str:
        """The risk level's name in lower case (``Risk.HIGH`` or ``"high"``), or ``""``."""
        node = self.fields.get("risk")
        if isinstance(node, ast.Attribute):
            return node.attr.lower()
        value = literal(node)
        if isinstance(value, str):
            return value.lower()
        default = self.defaults.get("risk")
        return str(default).lower() if default else ""

    def has(self, key: str) -> bool:
        """Whether the declaration passes ``key`` with a value other than None."""
        node = self.fields.get(key)
        return node is not None and not (isinstance(node, ast.Constant) and node.value is None)


def _tool_class(index: SourceIndex) -> tuple[str, list[str], dict[str, object]] | None:
    """(module.Class, field order, literal defaults) of the project's ``Tool`` class."""
    for hit, _bases in index.classes():
        node: ast.ClassDef = hit.node
        if node.name != "Tool":
            continue
        names: list[str] = []
        defaults: dict[str, object] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names.append(stmt.target.id)
                if isinstance(stmt.value, ast.Attribute):
                    defaults[stmt.target.id] = stmt.value.attr
                elif stmt.value is not None:
                    defaults[stmt.target.id] = literal(stmt.value)
        if "name" in names:
            return f"{hit.module.name}.Tool", names, defaults
    return None


def tool_declarations(index: SourceIndex) -> list[ToolDecl]:
    """Every ``Tool(...)`` call of the project's Tool class, with positional args named."""
    found = _tool_class(index)
    if found is None:
        return []
    qualified, names, defaults = found
    decls = []
    for hit in index.calls("Tool"):
        if hit.qualname != qualified and not qualified.endswith("." + hit.qualname):
            continue
        call: ast.Call = hit.node
        fields = {names[i]: arg for i, arg in enumerate(call.args) if i < len(names)}
        fields.update({k.arg: k.value for k in call.keywords if k.arg})
        decls.append(ToolDecl(hit, fields, defaults))
    return decls


def _required(stmt: ast.AnnAssign) -> bool:
    if stmt.value is None:
        return True
    call = stmt.value
    if (
        isinstance(call, ast.Call)
        and getattr(call.func, "id", getattr(call.func, "attr", "")) == "Field"
    ):
        has_default = bool(call.args) or any(
            k.arg in ("default", "default_factory") for k in call.keywords
        )
        return not has_default
    return False


def _sample(annotation: ast.expr) -> object:
    text = ast.unparse(annotation)
    if text.startswith("int"):
        return 1
    if text.startswith("float"):
        return 1.0
    if text.startswith("bool"):
        return False
    # Digits satisfy the usual id patterns (``^\d{4,10}$``) and plain length limits alike.
    return "12345"


def sample_arguments(index: SourceIndex, decl: ToolDecl) -> dict[str, object] | None:
    """Plausible arguments for ``decl``: a value for each required field of its args model."""
    node = decl.fields.get("args_model")
    if not isinstance(node, ast.Name):
        return None
    for hit, _bases in index.classes():
        cls: ast.ClassDef = hit.node
        if cls.name == node.id:
            return {
                stmt.target.id: _sample(stmt.annotation)
                for stmt in cls.body
                if isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and _required(stmt)
            }
    return None

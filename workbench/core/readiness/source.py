"""A project's Python code parsed with ``ast``: queries for calls, decorators, routes, classes.

Names are resolved through each module's imports, so ``from litellm import Router``
followed by ``Router(...)`` and ``import litellm`` followed by ``litellm.Router(...)``
are the same call: ``litellm.Router``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

_SKIP_DIRS = {"__pycache__", ".venv", "venv", ".git", "node_modules", "build", "dist"}

N = TypeVar("N", bound=ast.AST, covariant=True)
M = TypeVar("M", bound=ast.AST)
K = TypeVar("K", bound=ast.AST)
Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Module:
    """One parsed source file and the names its imports bind."""

    path: Path
    rel: str
    name: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)

    def qualify(self, expr: ast.AST) -> str | None:
        """The dotted name an expression refers to, resolved through imports; None if not a name."""
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if isinstance(expr, ast.Call):
            # ``factory().method`` — keep the chain so attribute matching still works.
            inner = self.qualify(expr.func)
            if inner is None:
                return None
            return ".".join([inner + "()", *reversed(parts)])
        if not isinstance(expr, ast.Name):
            return None
        root = self.imports.get(expr.id, expr.id)
        return ".".join([root, *reversed(parts)])


@dataclass(frozen=True)
class Hit(Generic[N]):
    """A node found in a module, with its resolved name and its place as ``file:line``."""

    module: Module
    node: N
    qualname: str = ""

    @property
    def line(self) -> int:
        """The 1-based line of the node."""
        return getattr(self.node, "lineno", 1)

    @property
    def where(self) -> str:
        """``relative/path.py:line``."""
        return f"{self.module.rel}:{self.line}"


@dataclass(frozen=True)
class Route:
    """An HTTP route registered on a FastAPI app or router."""

    method: str
    path: str
    function: ast.FunctionDef | ast.AsyncFunctionDef | None
    hit: Hit[ast.AST]
    dependencies: tuple[str, ...] = ()


def name_matches(qualname: str | None, name: str, root: str | None = None) -> bool:
    """Whether ``qualname`` ends with ``name`` and, if given, starts at ``root``."""
    if not qualname:
        return False
    parts = qualname.split(".")
    want = name.split(".")
    if parts[-len(want) :] != want:
        return False
    return root is None or parts[0] == root


def literal(node: ast.AST | None) -> object:
    """The Python value of a literal expression, or None when it is not one."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    """The value passed for keyword ``name`` in ``call``, if any."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _module_name(rel_to_src: Path) -> str:
    parts = list(rel_to_src.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _bind_imports(module: Module) -> None:
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    module.imports[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                module.imports[alias.asname or alias.name] = (
                    f"{base}.{alias.name}" if base else (alias.name)
                )


class SourceIndex:
    """Every ``.py`` file under ``src_dir``, parsed once; paths reported relative to ``root``.

    Module names are dotted paths relative to ``import_root`` (default ``src_dir``).
    """

    def __init__(self, root: Path, src_dir: Path, import_root: Path | None = None) -> None:
        self.root = root
        self.src_dir = src_dir
        # Module names are dotted paths from here (the folder on sys.path), e.g. ``src``.
        self.import_root = import_root or src_dir
        self.errors: list[str] = []

    @cached_property
    def modules(self) -> list[Module]:
        """The parsed modules, in path order; files that do not parse are listed in ``errors``."""
        found: list[Module] = []
        if not self.src_dir.is_dir():
            return found
        for path in sorted(self.src_dir.rglob("*.py")):
            if _SKIP_DIRS.intersection(path.relative_to(self.src_dir).parts):
                continue
            rel = path.relative_to(self.root).as_posix()
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
            except (SyntaxError, UnicodeDecodeError, OSError) as error:
                line = getattr(error, "lineno", None) or 1
                self.errors.append(f"{rel}:{line}: cannot be parsed ({type(error).__name__})")
                continue
            module = Module(path, rel, _module_name(path.relative_to(self.import_root)), tree)
            _bind_imports(module)
            found.append(module)
        return found

    def module(self, dotted: str) -> Module | None:
        """The module with this dotted name, if the project has it."""
        return next((m for m in self.modules if m.name == dotted), None)

    @overload
    def walk(self, kind: type[K]) -> Iterator[Hit[K]]: ...

    @overload
    def walk(self, kind: tuple[type[K], type[M]]) -> Iterator[Hit[K | M]]: ...

    def walk(self, kind: Any) -> Iterator[Hit[Any]]:
        """Every node of ``kind`` (a node class or a tuple of them) in every module."""
        for module in self.modules:
            for node in ast.walk(module.tree):
                if isinstance(node, kind):
                    yield Hit(module, node)

    def calls(self, name: str, root: str | None = None) -> list[Hit[ast.Call]]:
        """Calls whose callee resolves to a name ending in ``name`` (under package ``root``)."""
        hits = []
        for hit in self.walk(ast.Call):
            qualname = hit.module.qualify(hit.node.func)
            if name_matches(qualname, name, root):
                hits.append(Hit(hit.module, hit.node, qualname or ""))
        return hits

    def references(self, name: str, root: str | None = None) -> list[Hit[ast.Name | ast.Attribute]]:
        """Names and attributes (not only calls) resolving to ``name`` (under ``root``)."""
        hits = []
        for hit in self.walk((ast.Name, ast.Attribute)):
            qualname: str | None
            if isinstance(hit.node, ast.Name) and hit.node.id not in hit.module.imports:
                qualname = hit.node.id
            else:
                qualname = hit.module.qualify(hit.node)
            if name_matches(qualname, name, root):
                hits.append(Hit(hit.module, hit.node, qualname or ""))
        return hits

    def functions(self) -> Iterator[Hit[Function]]:
        """Every function and method definition."""
        yield from self.walk((ast.FunctionDef, ast.AsyncFunctionDef))

    def decorated(
        self, name: str, root: str | None = None
    ) -> list[tuple[Hit[Function], Hit[ast.expr]]]:
        """(function, decorator) pairs where the decorator resolves to ``name``."""
        pairs = []
        for func in self.functions():
            for decorator in func.node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                qualname = func.module.qualify(target)
                if name_matches(qualname, name, root):
                    pairs.append((func, Hit(func.module, decorator, qualname or "")))
        return pairs

    def classes(self) -> Iterator[tuple[Hit[ast.ClassDef], list[str]]]:
        """Every class definition with its base classes' resolved names."""
        for hit in self.walk(ast.ClassDef):
            bases = [hit.module.qualify(base) or "" for base in hit.node.bases]
            yield hit, bases

    def string_constants(self, value: str) -> list[Hit[ast.Constant]]:
        """String literals equal to ``value`` (span attribute keys, route paths, event names)."""
        return [
            hit
            for hit in self.walk(ast.Constant)
            if isinstance(hit.node.value, str) and hit.node.value == value
        ]

    @cached_property
    def routes(self) -> list[Route]:
        """HTTP routes registered by ``@app.get(...)``-style decorators or ``add_api_route``."""
        from workbench.core.readiness.routes import find_routes

        return find_routes(self)

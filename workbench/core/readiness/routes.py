"""FastAPI routes in the code: decorators, ``add_api_route``, router prefixes, dependencies."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.readiness.source import Hit, Module, Route, kwarg, literal, name_matches

if TYPE_CHECKING:
    from workbench.core.readiness.source import SourceIndex

_METHODS = {"get", "post", "put", "delete", "patch", "head", "options"}


@dataclass
class _Router:
    prefix: str
    dependencies: tuple[str, ...]


def _dependency_names(module: Module, node: ast.AST | None) -> tuple[str, ...]:
    """Targets of ``Depends(x)`` / ``Security(x)`` anywhere inside ``node``."""
    if node is None:
        return ()
    names = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and any(
            name_matches(module.qualify(inner.func), n) for n in ("Depends", "Security")
        ):
            target = inner.args[0] if inner.args else kwarg(inner, "dependency")
            qualname = module.qualify(target) if target is not None else None
            if qualname:
                names.append(qualname.rpartition(".")[2])
    return tuple(names)


def _routers(index: SourceIndex) -> dict[str, _Router]:
    """``module.variable`` -> prefix and dependencies, for FastAPI apps and APIRouters."""
    found: dict[str, _Router] = {}
    for module in index.modules:
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Assign | ast.AnnAssign) or not isinstance(
                node.value, ast.Call
            ):
                continue
            qualname = module.qualify(node.value.func)
            if not (name_matches(qualname, "APIRouter") or name_matches(qualname, "FastAPI")):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            prefix = literal(kwarg(node.value, "prefix"))
            deps = _dependency_names(module, kwarg(node.value, "dependencies"))
            for target in targets:
                if isinstance(target, ast.Name):
                    found[f"{module.name}.{target.id}"] = _Router(
                        prefix if isinstance(prefix, str) else "", deps
                    )
    return found


def _includes(index: SourceIndex) -> dict[str, _Router]:
    """Router ``module.variable`` -> the prefix and dependencies it is included with."""
    found: dict[str, _Router] = {}
    for hit in index.calls("include_router"):
        call: ast.Call = hit.node
        if not call.args:
            continue
        target = hit.module.qualify(call.args[0])
        if not target:
            continue
        if "." not in target or target.split(".")[0] not in {
            m.name.split(".")[0] for m in index.modules
        }:
            target = f"{hit.module.name}.{target}"
        prefix = literal(kwarg(call, "prefix"))
        found[target] = _Router(
            prefix if isinstance(prefix, str) else "",
            _dependency_names(hit.module, kwarg(call, "dependencies")),
        )
    return found


def function_dependencies(module: Module, func: ast.AST | None) -> tuple[str, ...]:
    """Dependencies declared in a function's parameters (defaults and Annotated)."""
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return ()
    names: list[str] = []
    for default in [*func.args.defaults, *func.args.kw_defaults]:
        names.extend(_dependency_names(module, default))
    for arg in [*func.args.args, *func.args.kwonlyargs]:
        names.extend(_dependency_names(module, arg.annotation))
    return tuple(names)


def find_routes(index: SourceIndex) -> list[Route]:
    """Every route, its full path (include prefix + router prefix + path) and its dependencies."""
    routers = _routers(index)
    includes = _includes(index)
    routes: list[Route] = []

    def add(module: Module, owner: ast.AST, method: str, path: object, func, node, deps) -> None:
        if not isinstance(path, str):
            return
        key = f"{module.name}.{owner.id}" if isinstance(owner, ast.Name) else ""
        router = routers.get(key, _Router("", ()))
        include = includes.get(key, _Router("", ()))
        all_deps = (
            *include.dependencies,
            *router.dependencies,
            *deps,
            *function_dependencies(module, func),
        )
        full = include.prefix + router.prefix + path
        routes.append(Route(method.upper(), full, func, Hit(module, node, key), all_deps))

    for func in index.functions():
        for decorator in func.node.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.args
            ):
                continue
            method = decorator.func.attr
            deps = _dependency_names(func.module, kwarg(decorator, "dependencies"))
            path = literal(decorator.args[0])
            if method in _METHODS:
                add(func.module, decorator.func.value, method, path, func.node, decorator, deps)
            elif method == "api_route":
                methods = literal(kwarg(decorator, "methods")) or ["GET"]
                for each in methods if isinstance(methods, list) else ["GET"]:
                    add(
                        func.module,
                        decorator.func.value,
                        str(each),
                        path,
                        func.node,
                        decorator,
                        deps,
                    )
    for hit in index.calls("add_api_route"):
        call: ast.Call = hit.node
        if not isinstance(call.func, ast.Attribute) or not call.args:
            continue
        methods = literal(kwarg(call, "methods")) or ["GET"]
        deps = _dependency_names(hit.module, kwarg(call, "dependencies"))
        endpoint = call.args[1] if len(call.args) > 1 else kwarg(call, "endpoint")
        func = _local_function(hit.module, endpoint)
        for each in methods if isinstance(methods, list) else ["GET"]:
            add(hit.module, call.func.value, str(each), literal(call.args[0]), func, call, deps)
    return routes


def _local_function(module: Module, expr: ast.AST | None):
    if not isinstance(expr, ast.Name):
        return None
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == expr.id:
            return node
    return None

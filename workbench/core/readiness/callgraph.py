"""The project's call graph, for the few properties that cannot be observed offline.

Calls are resolved through each module's imports to the project's own functions (module
functions, and methods by name within their module), so a check can ask what a function
reaches rather than what it is called.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from workbench.core.readiness.source import Hit, Module, SourceIndex

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
MAX_DEPTH = 8

NONDETERMINISTIC = {
    "uuid.uuid1",
    "uuid.uuid4",
    "os.urandom",
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.perf_counter",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.date.today",
}
NONDETERMINISTIC_ROOTS = ("random.", "secrets.")


def _defined(module: Module, name: str) -> FunctionNode | None:
    """A function (or a method) named ``name`` defined anywhere in ``module``."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def resolve(
    index: SourceIndex, module: Module, expr: ast.AST
) -> tuple[Module, FunctionNode] | None:
    """The project function an expression names (a lambda is its own function)."""
    if isinstance(expr, ast.Lambda):
        return module, expr
    if (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id in ("self", "cls")
    ):
        found = _defined(module, expr.attr)
        return (module, found) if found else None
    qualname = module.qualify(expr)
    if not qualname:
        return None
    if "." not in qualname:
        found = _defined(module, qualname)
        return (module, found) if found else None
    owner, _, name = qualname.rpartition(".")
    target = index.module(owner)
    if target is None:
        return None
    found = _defined(target, name)
    return (target, found) if found else None


def calls_in(node: ast.AST) -> Iterator[ast.Call]:
    """Every call inside ``node`` (nested functions included)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            yield child


def qualname(module: Module, call: ast.Call) -> str:
    """The dotted name a call resolves to, or its attribute name when it cannot be resolved."""
    name = module.qualify(call.func)
    if name:
        return name
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def find_reached(
    index: SourceIndex,
    module: Module,
    node: ast.AST,
    predicate: Callable[[Module, ast.Call], bool],
    seen: set[int] | None = None,
    depth: int = 0,
) -> list[tuple[Module, ast.Call]]:
    """Calls matching ``predicate`` in ``node`` and in the project functions it calls."""
    seen = set() if seen is None else seen
    found = []
    for call in calls_in(node):
        if predicate(module, call):
            found.append((module, call))
            continue
        if depth >= MAX_DEPTH:
            continue
        target = resolve(index, module, call.func)
        if target is not None and id(target[1]) not in seen:
            seen.add(id(target[1]))
            found += find_reached(index, target[0], target[1], predicate, seen, depth + 1)
    return found


def _random(module: Module, call: ast.Call) -> bool:
    name = module.qualify(call.func) or ""
    return name in NONDETERMINISTIC or name.startswith(NONDETERMINISTIC_ROOTS)


def nondeterministic_calls(index: SourceIndex, hit: Hit, expr: ast.AST) -> list[str]:
    """``file:line: call()`` of randomness or time reached from the function ``expr`` names."""
    target = resolve(index, hit.module, expr)
    if target is None:
        return []
    module, function = target
    found = find_reached(index, module, function, _random)
    return [f"{m.rel}:{call.lineno}: {m.qualify(call.func)}() in the key" for m, call in found]


TIMEOUT_CONTEXTS = {"asyncio.timeout", "anyio.fail_after", "async_timeout.timeout"}
MODEL_CALLS = ("acompletion", "completion")


def _disabled(expr: ast.AST | None) -> bool:
    """A limit that may be None or infinite is no limit."""
    if expr is None:
        return True
    for node in ast.walk(expr):
        if isinstance(node, ast.Constant) and node.value is None:
            return True
        if isinstance(node, ast.Constant) and node.value in ("inf", "infinity"):
            return True
    return False


def _model_call(module: Module, call: ast.Call) -> bool:
    return qualname(module, call).rpartition(".")[2] in MODEL_CALLS


def timeout_blocks(
    index: SourceIndex,
) -> Iterator[tuple[Hit, ast.expr | None, list[ast.stmt] | list[ast.expr]]]:
    """(where, limit, bodies) of each ``async with <timeout>(limit)`` / ``wait_for(aw, limit)``."""
    for module in index.modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    expr = item.context_expr
                    if isinstance(expr, ast.Call) and module.qualify(expr.func) in TIMEOUT_CONTEXTS:
                        limit = (
                            expr.args[0]
                            if expr.args
                            else next(
                                (k.value for k in expr.keywords if k.arg in ("delay", "delay_s")),
                                None,
                            )
                        )
                        yield Hit(module, node), limit, list(node.body)
            elif isinstance(node, ast.Call) and module.qualify(node.func) == "asyncio.wait_for":
                limit = (
                    node.args[1]
                    if len(node.args) > 1
                    else next((k.value for k in node.keywords if k.arg == "timeout"), None)
                )
                yield Hit(module, node), limit, node.args[:1]


def session_timeouts(index: SourceIndex) -> list[str]:
    """Timeouts that bound a whole turn: their body reaches the loop that calls the model.

    A timeout around one model call does not count (its body reaches a model call but no
    loop over model calls); nor does one whose limit may be None.
    """
    memo: dict[int, bool] = {}

    def agent_loop(module: Module, function: FunctionNode) -> bool:
        if id(function) not in memo:
            memo[id(function)] = False
            memo[id(function)] = any(
                find_reached(index, module, loop, _model_call)
                for loop in ast.walk(function)
                if isinstance(loop, ast.For | ast.AsyncFor | ast.While)
            )
        return memo[id(function)]

    def reaches_loop(module: Module, call: ast.Call) -> bool:
        target = resolve(index, module, call.func)
        return target is not None and agent_loop(*target)

    found = []
    for hit, limit, bodies in timeout_blocks(index):
        if limit is None or _disabled(limit):
            continue
        if any(find_reached(index, hit.module, body, reaches_loop) for body in bodies):
            found.append(f"{hit.where}: timeout({ast.unparse(limit)}) around the agent loop")
    return found

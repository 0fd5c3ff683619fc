"""How the generated server calls an adopted agent's entry function, read from its source.

Ship never imports the user's code: the entry's signature comes from the syntax tree, and
each parameter is bound by the adapter contract's names (docs/adopt.md). In production the
server passes only what a caller sends (the message, the session id, the history); the
model, its address and key keep the agent's own defaults and environment, so a parameter
for them without a default cannot be served and is reported, not guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from workbench.core.runner.adapter import PARAMETER_NAMES

# What a caller of the served agent sends; the other request keys stay the agent's own.
SERVED_KEYS = ("message", "session_id", "history")
_KEY_OF = {name: key for key, names in PARAMETER_NAMES.items() for name in names}
WHOLE_REQUEST = ("request", "turn")


@dataclass(frozen=True)
class EntryCall:
    """The entry's module and function, and the arguments the server passes it."""

    module: str
    function: str
    # Python argument expressions over the names ``message``, ``session_id``, ``history``
    # and ``request`` (the whole adapter request), in call order.
    arguments: tuple[str, ...]


def entry_file(root: Path, src: str, module: str) -> Path | None:
    """The source file of ``module`` under ``root/src``, or None."""
    base = root / src if src not in ("", ".") else root
    stem = base.joinpath(*module.split("."))
    for path in (stem.with_suffix(".py"), stem / "__init__.py"):
        if path.is_file():
            return path
    return None


def read_entry_call(root: Path, src: str, entry: str) -> EntryCall | str:
    """How to call ``entry`` (``module:function``) from the server, or why it cannot be."""
    module, _, function = entry.partition(":")
    path = entry_file(root, src, module)
    if path is None:
        return f"[agent] entry {entry}: no {module.replace('.', '/')}.py under {src}/"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as error:
        return f"{path.relative_to(root)}: cannot read the entry ({error})"
    node = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == function
        ),
        None,
    )
    if node is None:
        where = path.relative_to(root)
        return f"[agent] entry {entry}: no top-level function {function} in {where}"
    arguments = _arguments(node.args)
    if isinstance(arguments, str):
        return f"[agent] entry {entry}: {arguments}"
    return EntryCall(module=module, function=function, arguments=arguments)


def _arguments(args: ast.arguments) -> tuple[str, ...] | str:
    """The call's argument expressions, or why a required parameter cannot be filled."""
    positional = [*args.posonlyargs, *args.args]
    names = [a.arg for a in [*positional, *args.kwonlyargs]]
    if len(names) == 1 and names[0] in WHOLE_REQUEST:
        return ("request",)
    first_default = len(positional) - len(args.defaults)
    required = {a.arg for i, a in enumerate(positional) if i < first_default}
    required |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None}
    only_positional = {a.arg for a in args.posonlyargs}
    expressions: list[str] = []
    served_message = False
    for name in names:
        key = _KEY_OF.get(name)
        if key in SERVED_KEYS:
            served_message = served_message or key == "message"
            expressions.append(key if name in only_positional else f"{name}={key}")
        elif name in required:
            what = "the model's settings" if key else "nothing in the adapter contract"
            return (
                f"parameter {name!r} is required but stands for {what}; in production the "
                "server passes only the message, session id and history, so give it a default "
                "(the agent's own model and key then apply)"
            )
        elif name in only_positional:
            return f"positional-only parameter {name!r} cannot be skipped to pass later ones"
    if not served_message:
        return f"no parameter takes the message (name one {', '.join(PARAMETER_NAMES['message'])})"
    return tuple(expressions)

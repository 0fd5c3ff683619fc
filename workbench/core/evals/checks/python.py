"""``python``: a project function or an inline expression grades the reply, in a subprocess.

``value`` is a reference (``file.py:function``, ``module:function``, ``file://…``) or inline
code as promptfoo writes it: one line is an expression, several lines are a function body
that ``return``s. Either way it runs in the assertion subprocess, never in-process; inline
code is only compiled here, at load time, to report syntax errors with the set's line.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion

_REFERENCE = re.compile(
    r"^(?:file://\S+|[\w./\\-]+\.py(?::[A-Za-z_]\w*)?|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$"
)


def is_reference(value: str) -> bool:
    """Whether ``value`` names a function (a file or module) rather than being inline code."""
    return bool(_REFERENCE.match(value.strip()))


def reference_problem(value: str, project_dir: Path) -> str | None:
    """Why a ``file.py[:function]`` reference cannot run (no such file or function), else ``None``.

    The file is parsed, never executed. Module references (``pkg.mod:function``) are left
    to the run: finding them would mean importing the project.
    """
    target, _, name = value.strip().removeprefix("file://").partition(":")
    if not target.endswith(".py"):
        return None
    path = project_dir / target
    if not path.is_file():
        return f"no file {target} (a python assertion's path is relative to the project)"
    name = name or "get_assert"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return None  # the run reports the file's own error
    if not _defines(tree, name):
        return f"{target} defines no function {name!r}"
    return None


def _defines(tree: ast.Module, name: str) -> bool:
    """Whether the module binds ``name`` at its top level (or might: a star import, __getattr__)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        else:
            names.update(
                child.id
                for child in ast.walk(node)
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store)
            )
    return bool(names & {name, "*", "__getattr__"})


def inline_source(code: str) -> str:
    """Inline assertion code as the source of ``def _assert(output, context)``."""
    body = textwrap.dedent(code).strip("\n")
    if "\n" not in body.strip() and not body.strip().startswith("return "):
        body = f"return ({body.strip()})"
    return "def _assert(output, context):\n" + textwrap.indent(body, "    ") + "\n"


def _validate(assertion: Assertion) -> None:
    if not isinstance(assertion.value, str) or not assertion.value.strip():
        raise ValueError(
            "'value' must name a function ('file.py:function', 'module:function') or be"
            " inline Python (an expression, or a body that returns)"
        )
    if is_reference(assertion.value):
        return
    try:
        compile(inline_source(assertion.value), "<python assertion>", "exec")
    except SyntaxError as error:
        raise ValueError(f"inline Python does not compile: {error.msg}") from None


async def _python(assertion: Assertion, obs: Observation) -> Verdict:
    if obs.services is None:
        return False, 0.0, "python assertions need a project to run in"
    context = {
        "input": obs.input,
        # promptfoo's name for the rendered prompt: here, the input as sent to the agent.
        "prompt": obs.input,
        "vars": obs.variables,
        "case_id": obs.case_id,
        "variant": obs.variant,
        "status": obs.status,
        "result": obs.result,
        "latency_ms": obs.latency_ms,
        "config": assertion.config or {},
        "tool_calls": [
            {"name": call.name, "arguments": call.arguments, "status": call.status}
            for call in obs.tool_calls or []
        ],
    }
    value = str(assertion.value)
    if is_reference(value):
        return await obs.services.python_check(value, obs.output, context)
    return await obs.services.python_check(value, obs.output, context, inline=True)


CHECKS = [Check("python", _python, _validate, needs_trace=True)]

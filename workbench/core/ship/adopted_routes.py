"""Health routes an HTTP agent's own service declares, read from its source (never imported).

A route counts when a decorator or call registers a literal path on a web framework's
app or router (``@app.get("/healthz")``, ``router.add_api_route("/ready", ...)``,
``Route("/livez", ...)``) and the path names a probe. Each found route says where it is,
so ship's note shows the evidence rather than a guess.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.core.adopt.detect import python_files

LIVENESS = re.compile(r"^/(healthz?|livez?|liveness|ping)$")
READINESS = re.compile(r"^/(readyz?|readiness)$")
_REGISTERS = {"get", "route", "api_route", "add_api_route", "add_route", "Route"}


@dataclass(frozen=True)
class FoundRoute:
    """A probe route in the source: its path and where it is registered."""

    path: str
    where: str


def _registered_path(node: ast.Call) -> str | None:
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    if name not in _REGISTERS or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def probe_routes(root: Path, src_dir: Path) -> tuple[FoundRoute | None, FoundRoute | None]:
    """(the first liveness route, the first readiness route) the source registers."""
    live: FoundRoute | None = None
    ready: FoundRoute | None = None
    for path in python_files(src_dir):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            route = _registered_path(node)
            if route is None:
                continue
            found = FoundRoute(route, f"{path.relative_to(root)}:{node.lineno}")
            if live is None and LIVENESS.match(route):
                live = found
            elif ready is None and READINESS.match(route):
                ready = found
    return live, ready

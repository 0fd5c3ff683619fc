"""Readiness of shared state: replicas need a shared store; the embedded one needs one pod."""

from __future__ import annotations

import re
import tomllib

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict


def check_shared_state(ctx: CheckContext) -> Verdict:
    """``[deploy] state`` matches the deployment: Redis for replicas, one pod over SQLite."""
    from workbench.core.ship.context import state_backend
    from workbench.core.ship.replicas import embedded_state_problem

    state = state_backend(ctx.project)
    if state == "redis":
        if not _depends_on_redis(ctx):
            return Verdict.fail(
                '[deploy] state = "redis" but pyproject.toml does not depend on a Redis '
                'client: add "redis>=5" to [project] dependencies'
            )
        return Verdict.ok(
            '[deploy] state = "redis": sessions, approvals, budgets, rate limits and the cache '
            "are shared by every replica (the URL comes from the Secret)"
        )
    manifests = {
        str(path.relative_to(ctx.root)): path.read_text(errors="replace")
        for path in sorted((ctx.root / "k8s").rglob("*.y*ml"))
        if path.is_file()
    }
    problem = embedded_state_problem(state, manifests)
    if problem:
        return Verdict.fail(
            'run one replica without an autoscaler or canary, or set [deploy] state = "redis" '
            "in workbench.toml",
            problem.removeprefix("ship refused: "),
        )
    where = f"{len(manifests)} k8s file(s) checked" if manifests else "no k8s files yet"
    return Verdict.ok(
        '[deploy] state = "sqlite": the embedded store serves exactly one process; '
        f"ship generates one replica, no autoscaler, no canary ({where})"
    )


def _depends_on_redis(ctx: CheckContext) -> bool:
    """Whether [project] dependencies (what the image installs) name the `redis` client."""
    try:
        pyproject = tomllib.loads((ctx.root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    requirements = pyproject.get("project", {}).get("dependencies", [])
    return any(re.match(r"redis\s*([<>=!~\[;]|$)", str(r).strip()) for r in requirements)

"""The project's own test suite as evidence: run ``python -m pytest -q`` in it, judge the exit."""

from __future__ import annotations

import re
import subprocess
import sys

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes.agent import NOT_RUN

TIMEOUT_S = 600.0
_SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error).*?)\s*=*$")


def probe_project_tests(ctx: CheckContext) -> Verdict:
    """The project's tests exist and pass (a failing or hanging suite fails the item)."""
    tests = ctx.root / "tests"
    if not tests.is_dir() or not any(tests.rglob("test_*.py")):
        return Verdict.fail("add tests under tests/ (pytest) covering the agent, tools and API")
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, f"tests/: {sum(1 for _ in tests.rglob('test_*.py'))} files")
    from workbench.core.runner.env import child_env

    env = child_env(ctx.project, extra={"AGENT_ENVIRONMENT": "development"})
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header"]
    try:
        done = subprocess.run(
            argv,
            cwd=ctx.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return Verdict.fail(
            "make the test suite finish (a test hangs)",
            f"`python -m pytest -q` did not finish within {TIMEOUT_S:g} s",
        )
    lines = done.stdout.strip().splitlines()
    summary = next((m.group(1) for line in reversed(lines) if (m := _SUMMARY.match(line))), "")
    summary = summary or (lines[-1] if lines else done.stderr.strip()[-200:])
    if done.returncode != 0:
        failing = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        return Verdict.fail(
            "fix the failing tests: the project's own suite is the first evidence that it works",
            f"`python -m pytest -q` in {ctx.cli_name} exited {done.returncode}: {summary}",
            *failing[:8],
        )
    return Verdict.ok(f"`python -m pytest -q` in {ctx.cli_name}: {summary}")

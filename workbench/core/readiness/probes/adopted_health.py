"""reliability.health-probes for an adopted function agent: the server ship generates answers.

A function agent is shipped behind ``workbench_server.py`` (workbench/core/ship/adopted.py),
whose liveness and readiness routes are the ones the image and the Kubernetes probes use.
This probe starts that server (the file on disk when ship wrote it, else the one ship would
write) the way the image does, with the agent's source on the path, and asks both routes.
An HTTP agent's own service stays an attested item: the workbench cannot start it honestly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict

NOT_RUN = "dynamic probes were skipped (--static-only); run `workbench check` to prove it"
START_S, POLL_S = 120.0, 0.2


def probe_adopted_health(ctx: CheckContext) -> Verdict:
    """Pass when the generated server imports the entry and answers both probe routes."""
    from workbench.core.ship.adopted import SERVER_FILE, ShipIncomplete, adopted_context
    from workbench.core.ship.render import render_outputs

    project = ctx.project
    try:
        ship = adopted_context(project)
    except ShipIncomplete as error:
        return Verdict.fail(
            f"declare what ship needs to serve the agent (`workbench ship {ctx.cli_name}` "
            "lists it)",
            *error.missing[:4],
        )
    routes = f"GET {ship.health_path} and GET {ship.readiness_path}"
    on_disk = project.path / SERVER_FILE
    origin = f"{SERVER_FILE} (written by ship)" if on_disk.is_file() else f"{SERVER_FILE} (planned)"
    evidence = f"{origin} serves {project.config.agent.entry}: {routes}"
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, evidence)
    with tempfile.TemporaryDirectory(prefix="workbench-server-") as scratch:
        folder = project.path
        if not on_disk.is_file():
            folder = Path(scratch)
            text = next(t for o, t in render_outputs(ship) if o.path == SERVER_FILE)
            (folder / SERVER_FILE).write_text(text, encoding="utf-8")
        return _probe(folder, project.src_dir, ship.health_path, ship.readiness_path, evidence)


def _probe(folder: Path, src: Path, health: str, readiness: str, evidence: str) -> Verdict:
    """Start the server from ``folder`` on a free port and ask both routes."""
    from workbench.core.serving import free_port

    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(folder)])
    env.setdefault("OTEL_SDK_DISABLED", "true")
    argv = [sys.executable, "-m", "uvicorn", "workbench_server:app"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        argv, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        live = _wait(process, base + health)
        if live is None:
            stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
            last = (stderr.strip().splitlines() or ["it never answered"])[-1]
            return Verdict.fail(
                "make the entry importable the way the image runs it (PYTHONPATH = the "
                "agent's source folder), then run `workbench check` again",
                evidence,
                f"the server did not come up: {last}",
            )
        ready = httpx.get(base + readiness, timeout=10.0).status_code
        seen = f"GET {health} {live}, GET {readiness} {ready}"
        if live != 200 or ready != 200:
            return Verdict.fail("both probe routes must answer 200 when up", evidence, seen)
        return Verdict.ok(evidence, seen)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(process: subprocess.Popen, url: str) -> int | None:
    """The status ``url`` answers once the server is up; None if it exits or never answers."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=5.0).status_code
        except httpx.TransportError:
            time.sleep(POLL_S)
    return None

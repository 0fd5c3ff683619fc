"""``workbench ship`` on an adopted project: say what generation would need, generate nothing.

Generating a Dockerfile, CI and manifests for foreign code needs facts ``init`` cannot
read from source alone (how the agent is served, on which port, its health routes, a
lock file). Until that generation exists (a later step), ``ship`` lists what is known
and what is missing rather than emitting files that would not run.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from workbench.core.projects import Project

LOCK_FILE = "requirements.lock"


def known_and_missing(project: Project) -> tuple[list[str], list[str]]:
    """(what ``init`` learned that a deployment would use, what is still missing)."""
    agent = project.config.agent
    known = [f"adapter {agent.adapter}"]
    missing = []
    if agent.entry:
        known.append(f"entry {agent.entry}")
    if agent.service:
        known.append(f"service {agent.service}")
    elif agent.http is not None:
        port = urlsplit(agent.http.url).port
        known.append(f"endpoint {agent.http.url}" + (f" (port {port})" if port else ""))
    else:
        missing.append("[agent] service: the ASGI app (module:attribute) that serves the agent")
    missing.append("health routes: the liveness and readiness paths of that service")
    if not (project.path / LOCK_FILE).is_file():
        missing.append(f"{LOCK_FILE}: hash-locked dependencies (workbench lock {project.path})")
    return known, missing


def ship_message(project: Project) -> str:
    """One line: ship does not generate for adopted projects yet, and what it would need."""
    known, missing = known_and_missing(project)
    return (
        f"{project.name} was adopted (workbench init): generating its Dockerfile, CI and "
        "manifests is not built yet (a later step); nothing was written. "
        f"Known: {', '.join(known)}. Missing: {'; '.join(missing)}. "
        f"Meanwhile `workbench check {project.path}` lists what a person must review."
    )

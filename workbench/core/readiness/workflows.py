"""GitHub Actions workflows parsed as YAML: which stages run the eval gate, with file:line."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.readiness.docs import YamlDoc, load_yaml


@dataclass
class GateStep:
    """A workflow step whose ``run`` calls ``workbench eval`` (with or without ``--gate``)."""

    where: str
    gated: bool
    command: str
    # One shard of a plan (``--shard I/N``): ungated by design, its merge gates.
    sharded: bool = False


@dataclass
class Workflow:
    """One workflow file: its triggers, what stage they make it, and its eval steps."""

    rel: str
    triggers: set[str]
    stages: set[str]
    steps: list[GateStep] = field(default_factory=list)
    error: str = ""


def _triggers(on: object) -> set[str]:
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(t) for t in on}
    if isinstance(on, dict):
        return {str(t) for t in on}
    return set()


def _stages(triggers: set[str], doc: YamlDoc, stem: str) -> set[str]:
    """pre-merge (pull requests), post-merge (pushes), deploy (an environment or a deploy job)."""
    stages = set()
    if triggers & {"pull_request", "pull_request_target", "merge_group"}:
        stages.add("pre-merge")
    if "push" in triggers:
        stages.add("post-merge")
    jobs = doc.data.get("jobs") if isinstance(doc.data, dict) else None
    deploys = "deploy" in stem.lower() or "workflow_run" in triggers
    for name, job in (jobs or {}).items():
        if isinstance(job, dict) and (job.get("environment") or "deploy" in str(name).lower()):
            deploys = True
    if deploys:
        stages.add("deploy")
    return stages


def _eval_commands(script: str) -> list[tuple[int, str]]:
    """(line offset, command) of each ``workbench eval`` invocation in a shell script."""
    found = []
    for offset, raw in enumerate(script.splitlines()):
        for part in raw.replace("&&", ";").replace("||", ";").split(";"):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                continue
            for position, word in enumerate(words):
                tail = words[position + 1 : position + 2]
                if Path(word).name == "workbench" and tail == ["eval"]:
                    found.append((offset, " ".join(words[position:])))
                elif word == "-m" and words[position + 1 : position + 3] == ["workbench", "eval"]:
                    found.append((offset, " ".join(words[position + 1 :])))
    return found


def parse_workflow(path: Path, rel: str) -> Workflow:
    """Read one workflow file; unreadable YAML is reported in ``error``."""
    try:
        doc = load_yaml(path)
    except (ValueError, OSError) as error:
        return Workflow(rel, set(), set(), error=f"{rel}: {error}")
    if not isinstance(doc.data, dict):
        return Workflow(rel, set(), set(), error=f"{rel}:1: not a workflow (no mapping)")
    # YAML 1.1 reads the bare key ``on`` as the boolean True.
    on = doc.data.get("on", doc.data.get(True))
    triggers = _triggers(on)
    workflow = Workflow(rel, triggers, _stages(triggers, doc, path.stem))
    for job_name, job in (doc.data.get("jobs") or {}).items():
        steps = job.get("steps") if isinstance(job, dict) else None
        for number, step in enumerate(steps or []):
            if not isinstance(step, dict) or not isinstance(step.get("run"), str):
                continue
            base = doc.line("jobs", job_name, "steps", number, "run")
            for offset, command in _eval_commands(step["run"]):
                words = command.split()
                line = base + offset + (1 if "\n" in step["run"] else 0)
                workflow.steps.append(
                    GateStep(f"{rel}:{line}", "--gate" in words, command, "--shard" in words)
                )
    return workflow


def project_workflows(root: Path) -> list[Workflow]:
    """Every workflow under ``.github/workflows``."""
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return []
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    return [parse_workflow(path, path.relative_to(root).as_posix()) for path in files]

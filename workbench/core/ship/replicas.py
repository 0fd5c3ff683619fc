"""The shipping rule for embedded state: one process, so no replicas, autoscaler or canary.

A project whose shared state (sessions, approvals, budgets, rate limits) is embedded
(``[deploy] state = "sqlite"``) splits that state as soon as two processes serve it. Ship
reads the Kubernetes files as they will be on disk after writing (generated, or kept
because a person edited them) and refuses any that would start a second process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

AUTOSCALERS = {"HorizontalPodAutoscaler", "ScaledObject"}


def embedded_state_problem(state: str, files: Mapping[str, str]) -> str | None:
    """One line saying why ``files`` cannot run over an embedded store, or None.

    ``files`` maps project-relative paths to their content; only ``k8s/`` YAML is read.
    """
    if state != "sqlite":
        return None
    for path in sorted(files):
        if not path.startswith("k8s/") or not path.endswith((".yaml", ".yml")):
            continue
        what = _second_process(files[path])
        if what:
            return (
                f'ship refused: [deploy] state = "sqlite" keeps state in one process, but '
                f'{path} {what}; set state = "redis" in workbench.toml or run one replica'
            )
    return None


def _second_process(text: str) -> str | None:
    """What in one YAML file would run more than one process (None: nothing)."""
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]
    except yaml.YAMLError:
        return None  # the validators report broken YAML; nothing to judge here
    for doc in documents:
        kind = doc.get("kind")
        if kind in AUTOSCALERS:
            return f"defines a {kind}"
        spec = _mapping(doc.get("spec"))
        if kind == "Deployment":
            track = _mapping(_mapping(doc.get("metadata")).get("labels")).get("track")
            if track == "canary":
                return "defines a canary Deployment beside the stable one"
            if _count(spec.get("replicas")) > 1:
                return f"asks for {spec['replicas']} replicas"
        if kind == "Kustomization":
            for count in _kustomize_replicas(doc):
                if count > 1:
                    return f"sets {count} replicas"
    return None


def _kustomize_replicas(doc: dict[str, Any]) -> Iterable[int]:
    """Replica counts a Kustomization sets: its ``replicas`` list and JSON-patch ops."""
    for entry in doc.get("replicas") or []:
        if isinstance(entry, dict):
            yield _count(entry.get("count"))
    for patch in doc.get("patches") or []:
        body = patch.get("patch") if isinstance(patch, dict) else None
        if not isinstance(body, str):
            continue
        try:
            ops = yaml.safe_load(body)
        except yaml.YAMLError:
            continue
        for op in ops if isinstance(ops, list) else [ops]:
            if not isinstance(op, dict):
                continue
            if op.get("path") in ("/spec/replicas", "/spec/minReplicas", "/spec/minReplicaCount"):
                yield _count(op.get("value"))
            yield _count(_mapping(op.get("spec")).get("replicas"))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0

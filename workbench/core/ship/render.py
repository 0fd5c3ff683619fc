"""Rendering the ship templates (``templates/ship``) in a sandboxed, strict Jinja environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from workbench import locations
from workbench.core.ship.context import ShipContext
from workbench.errors import TemplateError as WorkbenchTemplateError

FAILING_MARK = "Generated from a FAILING readiness checklist (workbench ship --force)"
UNEVALUATED_MARK = (
    "Generated while the readiness checklist could not be evaluated (workbench ship --force)"
)


@dataclass(frozen=True)
class OutputFile:
    """A file ship generates: where it goes, its template, and when it is generated at all."""

    path: str
    template: str
    when: Callable[[ShipContext], bool] = lambda ctx: True


def _queue(ctx: ShipContext) -> bool:
    return ctx.queue is not None


def _autoscaled(ctx: ShipContext) -> bool:
    """An HPA only over shared state: replicas of an embedded store would split it."""
    return ctx.queue is None and ctx.state == "redis"


def _shared_state(ctx: ShipContext) -> bool:
    return ctx.state == "redis"


def _embedded_state(ctx: ShipContext) -> bool:
    return ctx.state == "sqlite"


def _scaffolded(ctx: ShipContext) -> bool:
    return ctx.kind == "template"


def _adopted(ctx: ShipContext) -> bool:
    return ctx.kind == "adopted"


def _generated_server(ctx: ShipContext) -> bool:
    """An adopted function agent: served by the generated ``workbench_server.py``."""
    return ctx.kind == "adopted" and bool(ctx.entry_module)


OUTPUTS: tuple[OutputFile, ...] = (
    OutputFile("Dockerfile", "Dockerfile.jinja", _scaffolded),
    OutputFile("Dockerfile", "adopted/Dockerfile.jinja", _adopted),
    OutputFile("workbench_server.py", "adopted/workbench_server.py.jinja", _generated_server),
    OutputFile(".dockerignore", "dockerignore.jinja"),
    OutputFile("docker-compose.yaml", "docker-compose.yaml.jinja"),
    OutputFile("otel-collector.yaml", "otel-collector.yaml.jinja"),
    OutputFile(".github/workflows/pre-merge.yml", "workflows/pre-merge.yml.jinja"),
    OutputFile(".github/workflows/post-merge.yml", "workflows/post-merge.yml.jinja"),
    OutputFile(".github/workflows/deploy.yml", "workflows/deploy.yml.jinja"),
    OutputFile("k8s/base/kustomization.yaml", "k8s/base/kustomization.yaml.jinja"),
    OutputFile("k8s/base/serviceaccount.yaml", "k8s/base/serviceaccount.yaml.jinja"),
    OutputFile("k8s/base/configmap.yaml", "k8s/base/configmap.yaml.jinja"),
    OutputFile("k8s/base/deployment.yaml", "k8s/base/deployment.yaml.jinja"),
    OutputFile("k8s/base/service.yaml", "k8s/base/service.yaml.jinja"),
    OutputFile("k8s/base/hpa.yaml", "k8s/base/hpa.yaml.jinja", _autoscaled),
    OutputFile("k8s/base/scaledobject.yaml", "k8s/base/scaledobject.yaml.jinja", _queue),
    OutputFile("k8s/base/pvc.yaml", "k8s/base/pvc.yaml.jinja", _embedded_state),
    OutputFile("k8s/base/pdb.yaml", "k8s/base/pdb.yaml.jinja"),
    OutputFile("k8s/base/networkpolicy.yaml", "k8s/base/networkpolicy.yaml.jinja"),
    OutputFile("k8s/overlays/staging/kustomization.yaml", "k8s/overlays/kustomization.yaml.jinja"),
    OutputFile("k8s/overlays/staging/namespace.yaml", "k8s/overlays/namespace.yaml.jinja"),
    OutputFile(
        "k8s/overlays/production/kustomization.yaml", "k8s/overlays/kustomization.yaml.jinja"
    ),
    OutputFile("k8s/overlays/production/namespace.yaml", "k8s/overlays/namespace.yaml.jinja"),
    # A canary is a second process beside the stable one: only over shared state.
    OutputFile(
        "k8s/overlays/canary/kustomization.yaml",
        "k8s/overlays/canary/kustomization.yaml.jinja",
        _shared_state,
    ),
    OutputFile(
        "k8s/overlays/canary/deployment.yaml",
        "k8s/overlays/canary/deployment.yaml.jinja",
        _shared_state,
    ),
)

# Every action the workflows use, pinned to a full commit SHA (the comment names the tag).
ACTIONS = {
    "checkout": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
    "setup_python": "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0",
    "setup_buildx": "docker/setup-buildx-action@e468171a9de216ec08956ac3ada2f0791b6bd435 # v3.11.1",
    "login": "docker/login-action@5e57cd118135c172c3672efd75eb46360885c0ef # v3.6.0",
    "build_push": "docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83 # v6.18.0",
    "setup_kubectl": "azure/setup-kubectl@3e0aec4d80787158d308d7b364cb1b702e7feb7f # v4.0.0",
    "upload_artifact": "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2",
    "download_artifact": (
        "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0"
    ),
}

# Per-overlay values, passed to the overlay templates as ``overlay``.
OVERLAYS = {
    "staging": {
        "name": "staging",
        "replicas": 1,
        "min": 1,
        "max": 3,
        "cpu": "250m",
        "memory": "256Mi",
        "cpu_limit": "1",
        "memory_limit": "512Mi",
    },
    "production": {
        "name": "production",
        "replicas": 3,
        "min": 3,
        "max": 20,
        "cpu": "500m",
        "memory": "512Mi",
        "cpu_limit": "2",
        "memory_limit": "1Gi",
    },
}


def overlay_values(ctx: ShipContext, name: str) -> dict[str, object]:
    """An overlay's values; over an embedded state store, exactly one replica."""
    values: dict[str, object] = dict(OVERLAYS.get(name, {}))
    if values and ctx.state == "sqlite":
        values.update(replicas=1, min=1, max=1)
    return values


def ship_templates_dir() -> Path:
    """The folder of the ship templates (inside the wheel when installed)."""
    return locations.templates_dir() / "ship"


def environment() -> SandboxedEnvironment:
    """A sandboxed environment with strict undefined, as copier renders templates.

    The delimiters are ``[[ ]]`` and ``[% %]`` because GitHub workflows use ``${{ }}``.
    """
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(ship_templates_dir())),
        undefined=StrictUndefined,
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    return env


def render_outputs(ctx: ShipContext, mark: str | None = None) -> list[tuple[OutputFile, str]]:
    """Every output that applies to ``ctx``, rendered, with the header (and ``mark``) on top."""
    env = environment()
    variables = ctx.model_dump()
    rendered = []
    for output in OUTPUTS:
        if not output.when(ctx):
            continue
        overlay = output.path.split("/")[2] if output.path.startswith("k8s/overlays/") else ""
        # The canary runs beside production, so it gets production's sizes.
        overlay = "production" if overlay == "canary" else overlay
        try:
            template = env.get_template(output.template)
            body = template.render(
                **variables, actions=ACTIONS, overlay=overlay_values(ctx, overlay)
            )
        except TemplateError as error:
            raise WorkbenchTemplateError(f"templates/ship/{output.template}: {error}") from None
        rendered.append((output, header(ctx, mark) + body))
    return rendered


def header(ctx: ShipContext, mark: str | None) -> str:
    """The comment block at the top of every generated file (no dates: rendering is idempotent)."""
    lines = [
        f"Generated by `workbench ship` (agent-workbench {ctx.workbench_version}).",
        "Edit freely: ship notices edits and will not overwrite them without --force.",
    ]
    if mark:
        lines.insert(0, mark)
    return "".join(f"# {line}\n" for line in lines)

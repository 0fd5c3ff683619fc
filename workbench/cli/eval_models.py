"""``workbench eval`` flags that say where models answer: --api-base, --judge-model and friends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from workbench.errors import WorkbenchError

ENDPOINT_FLAGS = ("api_base", "api_key_env", "judge_model", "judge_api_base")


def endpoint_options(function: Callable) -> Callable:
    """Add --api-base, --api-key-env, --judge-model and --judge-api-base to a command."""
    options = [
        click.option(
            "--judge-api-base",
            metavar="URL",
            help="Where the --judge-model is served (default: its provider's own address).",
        ),
        click.option(
            "--judge-model",
            metavar="MODEL",
            help="The llm-rubric judge (a litellm model string, or 'mock' for the deterministic"
            " mock judge; default: [evals] judge_model, else each variant's own model and api"
            " base).",
        ),
        click.option(
            "--api-key-env",
            metavar="VAR",
            help="The environment variable holding the key for --api-base (never stored).",
        ),
        click.option(
            "--api-base",
            metavar="URL",
            help="Where real-model variants are served (a local server's /v1, or `workbench"
            " mock serve`); a provider's key is never sent there.",
        ),
    ]
    for option in options:
        function = option(function)
    return function


def endpoint_settings(config: Any, flags: dict[str, Any]) -> dict[str, Any]:
    """The run options the flags (else ``[evals]`` settings) give: api base, key name, judge."""
    evals = config.evals
    api_base, api_key_env = flags.get("api_base"), flags.get("api_key_env")
    judge_model = flags.get("judge_model") or getattr(evals, "judge_model", None)
    judge_base = flags.get("judge_api_base") or (
        getattr(evals, "judge_api_base", None) if not flags.get("judge_model") else None
    )
    if api_key_env and not api_base:
        raise WorkbenchError("--api-key-env names the key for --api-base; pass --api-base too")
    if judge_base and not judge_model:
        raise WorkbenchError("--judge-api-base needs --judge-model (the model served there)")
    options: dict[str, Any] = {}
    if api_base:
        options["api_base"] = api_base.rstrip("/")
    if api_key_env:
        options["api_key_env"] = api_key_env
    if judge_model:
        # --judge-model is this run's explicit choice: it wins over an assertion's provider.
        judge = {
            "model": judge_model,
            "api_base": judge_base,
            "forced": bool(flags.get("judge_model")),
        }
        if judge_base and api_base and judge_base.rstrip("/") == api_base.rstrip("/"):
            judge["api_key_env"] = api_key_env
        options["judge"] = judge
    return options


def with_endpoints(
    plan_now: Callable[[], Any], project: Any, flags: dict[str, Any], *, resume: bool
) -> Callable[[], Any]:
    """``plan_now`` whose plans carry the endpoint options (a resumed run keeps its own)."""

    def planned() -> Any:
        plan = plan_now()
        if resume:
            if any(flags.get(name) for name in ENDPOINT_FLAGS):
                raise WorkbenchError("--resume uses the run's own --api-base and judge; drop them")
            return plan
        options = endpoint_settings(project.config, flags)
        if options.get("api_base") and all(v.source != "real" for v in plan.variants):
            raise WorkbenchError(
                "--api-base is for real-model variants; every variant of this run uses the"
                " workbench's mock (model = mock or replay)"
            )
        plan.options.update(options)
        return plan

    return planned

"""Static checks of the Deployment group: CI eval gates, rollback, flags, prompt versions."""

from __future__ import annotations

import ast

from workbench.core.readiness.attested import current_prompt_version
from workbench.core.readiness.attrs import uses_of
from workbench.core.readiness.context import PROMPTS, RUNBOOK, CheckContext
from workbench.core.readiness.docs import Section, find_section, load_yaml
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.workflows import project_workflows

STAGES = ("pre-merge", "post-merge", "deploy")


def gate_thresholds(ctx: CheckContext) -> tuple[dict, str]:
    """``[evals.gate]`` thresholds and where they are (``workbench.toml:line``)."""
    gate = ctx.toml.get("evals", "gate") or {}
    return (
        gate if isinstance(gate, dict) else {}
    ), f"workbench.toml:{ctx.toml.line('evals', 'gate')}"


def ci_gate(ctx: CheckContext) -> tuple[list[str], list[str], list[str]]:
    """(evidence, stages missing a gated eval step, problems) across the project's workflows."""
    evidence: list[str] = []
    problems: list[str] = []
    covered: set[str] = set()
    workflows = project_workflows(ctx.root)
    for workflow in workflows:
        if workflow.error:
            problems.append(workflow.error)
            continue
        for step in workflow.steps:
            if step.gated:
                stages = "/".join(sorted(workflow.stages)) or "no stage"
                evidence.append(f"{step.where}: `{step.command}` ({stages})")
                covered |= workflow.stages
            elif not step.sharded:  # a shard's results are gated where they are merged
                problems.append(f"{step.where}: `{step.command}` runs evals without --gate")
    return evidence, [s for s in STAGES if s not in covered], problems


def check_eval_gate_ci(ctx: CheckContext) -> Verdict:
    """Every CI stage (pre-merge, post-merge, deploy) runs ``workbench eval --gate``."""
    gate, where = gate_thresholds(ctx)
    evidence, missing, problems = ci_gate(ctx)
    if gate:
        evidence.insert(
            0, f"{where}: [evals.gate] " + ", ".join(f"{k}={v}" for k, v in gate.items())
        )
    if not gate:
        return Verdict.fail(
            "add an [evals.gate] table to workbench.toml (e.g. functional = 0.9, safety = 1.0)",
            *evidence,
            *problems,
        )
    if missing and not project_workflows(ctx.root):
        return Verdict.fail(
            f"run `workbench ship {ctx.cli_name}`: it writes the CI workflows (pre-merge, "
            "post-merge, deploy, each running `workbench eval --gate`) first, even while other "
            "items fail; then commit .github/workflows/",
            *evidence,
            "no .github/workflows/ in the project",
        )
    if missing:
        return Verdict.fail(
            "add a step running `workbench eval . --gate` to the .github/workflows/ job of each "
            f"stage missing one: {', '.join(missing)} (pre-merge: on pull_request; post-merge: "
            "on push to main; deploy: before the rollout)",
            *evidence,
            *problems,
            *(f"no gated eval step in a {stage} workflow" for stage in missing),
        )
    return Verdict.ok(*evidence)


def _steps(section: Section) -> bool:
    return section.list_items >= 2 or "```" in section.body


def runbook_section_check(
    ctx: CheckContext,
    words: tuple[str, ...],
    heading: str,
    what: str,
    unless: tuple[str, ...] = (),
) -> Verdict:
    """A RUNBOOK.md section titled with one of ``words`` that lists concrete steps."""
    if ctx.runbook is None:
        return Verdict.fail(
            f"add {RUNBOOK} at the project root with a `## {heading}` section: {what}"
        )
    section = find_section(ctx.runbook, *words, unless=unless)
    if section is None:
        return Verdict.fail(f"add a `## {heading}` section to {RUNBOOK}: {what}")
    where = f"{RUNBOOK}:{section.line}: {'#' * section.level} {section.title}"
    if not _steps(section):
        return Verdict.fail(
            f"list the steps under `{section.title}` in {RUNBOOK} as a numbered list or "
            f"commands: {what}",
            where,
        )
    return Verdict.ok(f"{where} ({section.list_items} steps)")


def check_rollback_documented(ctx: CheckContext) -> Verdict:
    """RUNBOOK.md documents how to roll back, step by step."""
    return runbook_section_check(
        ctx,
        ("rollback", "roll back"),
        "Rollback",
        "how to return to the previous image and prompt version, and how to verify it worked",
    )


def _flag_classes(ctx: CheckContext) -> list[tuple[ast.ClassDef, str, list[str]]]:
    """Pydantic models or dataclasses named for features/flags whose fields are booleans."""
    found = []
    for hit, _bases in ctx.source.classes():
        node: ast.ClassDef = hit.node
        name = node.name.lower()
        if "feature" not in name and "flag" not in name:
            continue
        flags = [
            stmt.target.id
            for stmt in node.body
            if isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(stmt.annotation, ast.Name)
            and stmt.annotation.id == "bool"
        ]
        if flags:
            found.append((node, hit.where, flags))
    return found


_FLAG_LIBRARIES = ("openfeature", "UnleashClient", "ldclient", "flagsmith", "growthbook")


def check_feature_flags(ctx: CheckContext) -> Verdict:
    """New capabilities sit behind runtime flags that the code actually consults."""
    evidence = []
    for library in _FLAG_LIBRARIES:
        evidence += [
            f"{h.where}: {h.qualname}()"
            for h in ctx.source.calls(library.split(".")[-1], root=library)
        ]
    uses: list[str] = []
    for _node, where, flags in _flag_classes(ctx):
        evidence.append(f"{where}: flags {', '.join(flags)}")
        for hit in ctx.source.walk(ast.Attribute):
            attribute: ast.Attribute = hit.node
            if attribute.attr in flags and isinstance(attribute.ctx, ast.Load):
                uses.append(f"{hit.where}: reads flag `{attribute.attr}`")
    if not evidence:
        return Verdict.fail(
            "add a `Features` settings model of boolean flags (e.g. in "
            f"{ctx.pkg('infra', 'settings.py')}) "
            "and check a flag before offering a new tool or behaviour",
        )
    if not uses and len(evidence) == len(_flag_classes(ctx)):
        return Verdict.fail(
            "flags are declared but no code reads them: gate the capability on a flag", *evidence
        )
    return Verdict.ok(*evidence, *uses[:4])


def _version_text(body: object) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        for key in ("template", "text", "system", "content", "prompt"):
            if isinstance(body.get(key), str):
                return body[key]
    return ""


def _changelog_versions(data: dict, versions: dict) -> set[str]:
    """Versions that have a changelog entry, at the top level or inside each version."""
    logged: set[str] = set()
    changelog = data.get("changelog")
    if isinstance(changelog, dict):
        logged |= {str(k) for k, v in changelog.items() if v}
    elif isinstance(changelog, list):
        for entry in changelog:
            if isinstance(entry, dict) and entry.get("version") is not None:
                logged.add(str(entry["version"]))
    for name, body in versions.items():
        if isinstance(body, dict) and body.get("changelog"):
            logged.add(str(name))
    return logged


def check_prompt_versioning(ctx: CheckContext) -> Verdict:
    """Prompts live in a versioned file with a changelog, and spans name the version used."""
    path = ctx.root / PROMPTS
    hint_file = (
        f"keep the system prompt in {PROMPTS} as `versions: {{v1: "
        f"..., v2: ...}}` with a `changelog`"
    )
    if not path.is_file():
        return Verdict.fail(hint_file)
    try:
        doc = load_yaml(path)
    except ValueError as error:
        return Verdict.fail(f"fix the YAML of {PROMPTS}", f"prompts/{error}")
    data = doc.data if isinstance(doc.data, dict) else {}
    versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
    if not versions:
        return Verdict.fail(hint_file, f"{PROMPTS}:1: no `versions` mapping")
    evidence = [f"{PROMPTS}:{doc.line('versions')}: versions {', '.join(map(str, versions))}"]
    empty = [str(v) for v, body in versions.items() if not _version_text(body).strip()]
    if empty:
        return Verdict.fail(
            f"give each version its prompt text in {PROMPTS}",
            *evidence,
            *(f"{PROMPTS}:{doc.line('versions', v)}: version {v} has no text" for v in empty),
        )
    unlogged = [str(v) for v in versions if str(v) not in _changelog_versions(data, versions)]
    if unlogged:
        return Verdict.fail(
            f"add a changelog entry (date, author, what changed) for {', '.join(unlogged)} in "
            f"{PROMPTS}",
            *evidence,
        )
    current, _ = current_prompt_version(ctx)
    evidence.append(f"{PROMPTS}: current version {current}; changelog covers every version")
    unknown = [
        f"workbench.toml:{ctx.toml.line('variants', name, 'prompt')}: variant {name} uses prompt "
        f"{variant.prompt!r}, not in {PROMPTS}"
        for name, variant in ctx.project.config.variants.items()
        if variant.prompt not in versions
    ]
    if unknown:
        return Verdict.fail(
            "point each variant's `prompt` at a version that exists", *evidence, *unknown
        )
    recorded = uses_of(ctx.source, "workbench.prompt_version")
    if not recorded:
        return Verdict.fail(
            "set the span attribute `workbench.prompt_version` to the version used, on the "
            "agent span "
            f"(in {ctx.module_rel('agents.loop', ctx.pkg('agents', 'loop.py'))})",
            *evidence,
        )
    return Verdict.ok(
        *evidence, *(f"{h.where}: spans record workbench.prompt_version" for h in recorded[:2])
    )


def check_locked_dependencies(ctx: CheckContext) -> Verdict:
    """``requirements.lock`` pins every dependency with hashes and matches pyproject.toml."""
    from workbench.core.lockfile import check_lock

    if not (ctx.root / "pyproject.toml").is_file():
        return Verdict.fail("declare the project's dependencies in pyproject.toml and lock them")
    problems = check_lock(ctx.root)
    if problems:
        return Verdict.fail(
            "re-lock: `uv pip compile pyproject.toml --generate-hashes -o requirements.lock` "
            "(every pin with --hash, the input digest of the current pyproject.toml), and "
            "install from it in the image and in CI",
            *problems[:8],
        )
    return Verdict.ok(
        "requirements.lock: every pin hash-checked; resolved from the current pyproject.toml"
    )

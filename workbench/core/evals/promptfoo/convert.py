"""A promptfoo config as an eval set, variants and prompt versions, with a report of each item."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.asserts import AssertContext, convert_assertions
from workbench.core.evals.promptfoo.cases import TEST_KEYS, build_cases, read_options, read_vars
from workbench.core.evals.promptfoo.files import is_file_ref, read_data, resolve
from workbench.core.evals.promptfoo.prompts import Prompt, read_prompts
from workbench.core.evals.promptfoo.providers import convert_provider, unique_name, variant_name
from workbench.core.evals.promptfoo.report import Report
from workbench.core.evals.promptfoo.tests import read_scenarios, read_tests
from workbench.errors import ConfigError

_IGNORED = {
    "description": None,
    "outputPath": "results are stored in the workbench's database (eval show, --json)",
    "sharing": "nothing is shared from here",
    "writeLatestResults": "every run is stored",
    "evaluateOptions": "use --concurrency and --repeat",
    "commandLineOptions": "use workbench eval's flags",
    "env": "never imported: keys and settings come from the environment or the project's .env",
    "nunjucksFilters": "custom Nunjucks filters are JavaScript; not run here",
    "extensions": "extension hooks are code; not run here",
    "derivedMetrics": "derived metrics are not computed; per-assertion metrics are kept",
    "redteam": "red-team generation is not converted",
    "tags": "config tags are not kept",
    "metadata": "config metadata is not kept",
    "tracing": "tracing is always on here",
}


@dataclass
class ImportPlan:
    """What an import writes: the set document, variants, prompt versions, copied files."""

    set_name: str
    set_path: Path
    document: dict[str, Any]
    variants: dict[str, dict[str, Any]]
    prompt_versions: dict[str, str]
    copies: dict[Path, Path]
    report: Report
    case_count: int = 0
    cases_without: dict[str, int] = field(default_factory=dict)


def import_config(config_path: Path, project_dir: Path, set_name: str | None = None) -> ImportPlan:
    """Convert ``config_path`` for the project at ``project_dir`` (nothing is written here)."""
    config_path = config_path.resolve()
    config = read_data(config_path)
    if not isinstance(config, dict):
        raise ConfigError(f"{config_path}:1: a promptfoo config is a mapping (prompts, tests …)")
    base = config_path.parent
    name = set_name or _default_name(config_path)
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name):
        raise ConfigError(f"--set {name!r}: use letters, digits, '-', '_' or '.'")
    report = Report()
    if config.get("description"):
        report.mapped("description", "the set's description")
    for key in config:
        if _IGNORED.get(key):
            report.skipped(key, str(_IGNORED[key]))
        elif key not in _IGNORED and key not in {
            "prompts",
            "providers",
            "targets",
            "tests",
            "defaultTest",
            "scenarios",
        }:
            report.skipped(key, "not a promptfoo config key known here")
    ctx = AssertContext(base, project_dir, name, report, {})
    prompts = read_prompts(config.get("prompts"), base, report)
    # Prompts given but none read (a glob matching nothing) is not "no prompts".
    inputs, versions = _arrange(prompts, report, declared=bool(config.get("prompts")))
    variants = _variants(config.get("providers", config.get("targets")), versions, report, base)
    default = _default_test(config.get("defaultTest"), base, ctx)
    document: dict[str, Any] = {
        "name": name,
        "description": _description(config, config_path),
    }
    if variants:
        document["variants"] = list(variants)
    if default["assert"]:
        document["defaults"] = {"assert": default["assert"]}
    tests = read_tests(config.get("tests"), base, report)
    tests += read_scenarios(config.get("scenarios"), base, report)
    cases = build_cases(tests, inputs, default, ctx)
    document["cases"] = cases
    return ImportPlan(
        set_name=name,
        set_path=project_dir / "evals" / f"{name}.yaml",
        document=document,
        variants=variants,
        prompt_versions={f"promptfoo-{label}": text for label, text in versions if text},
        copies=ctx.copies,
        report=report,
        case_count=len(cases),
    )


def _default_name(config_path: Path) -> str:
    stem = config_path.stem
    if stem.lower().startswith("promptfooconfig") or stem.lower() == "promptfoo":
        stem = config_path.parent.name
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "promptfoo"


def _description(config: dict[str, Any], path: Path) -> str:
    text = str(config.get("description") or "").strip()
    return f"{text} (imported from {path.name})" if text else f"Imported from {path.name}"


def _arrange(
    prompts: list[Prompt], report: Report, *, declared: bool = False
) -> tuple[list[Prompt], list[tuple[str, str | None]]]:
    """(prompts whose user part makes case inputs, (label, system) prompt versions)."""
    usable = []
    for prompt in prompts:
        if prompt.system and ("{{" in prompt.system or "{%" in prompt.system):
            report.skipped(
                f"prompt {prompt.label}",
                "its system message uses vars; prompt versions are fixed text",
            )
        else:
            usable.append(prompt)
    if not usable:
        if prompts or declared:
            return [], []
        report.mapped("prompts", "none: each case's input is its vars.input")
        return [Prompt("input", None, "{{input}}")], []
    users = {json.dumps(p.user) for p in usable}
    systems = {p.system for p in usable}
    if len(users) > 1 and len(systems) > 1:
        # Mixed: keep the larger group that varies only one thing, report the others.
        same_user = [p for p in usable if p.user == usable[0].user]
        same_system = [p for p in usable if p.system == usable[0].system]
        keep = same_user if len(same_user) >= len(same_system) else same_system
        for prompt in usable:
            if prompt not in keep:
                report.skipped(
                    f"prompt {prompt.label}",
                    f"differs from prompt {usable[0].label} in both its system and user"
                    " messages (system prompts vary by variant, inputs by case); import it"
                    " on its own",
                )
        usable = keep
        users = {json.dumps(p.user) for p in usable}
    if len(usable) > 1 and len(users) == 1:
        for prompt in usable:
            _version_row(prompt, report, "one variant per prompt × provider")
        return [usable[0]], [(p.label, p.system) for p in usable]
    for prompt in usable:
        copies = " (one copy of each case per prompt: id@prompt)" if len(usable) > 1 else ""
        report.mapped(
            f"prompt {prompt.label}",
            f"user message -> case input; its {{{{vars}}}} filled from each test's vars when"
            f" the case runs{copies}",
        )
    if usable[0].system:
        _version_row(usable[0], report, "its system message")
        return usable, [(usable[0].label, usable[0].system)]
    report.approximated(
        "prompts",
        "no system message: the agent's own current system prompt (prompts/system.yaml)"
        " comes before each input, as the project runs",
    )
    return usable, []


def _version_row(prompt: Prompt, report: Report, why: str) -> None:
    if prompt.system:
        report.mapped(
            f"prompt {prompt.label}", f"system -> prompt version promptfoo-{prompt.label}"
        )
    else:
        report.approximated(
            f"prompt {prompt.label}", f"no system message: the agent's current prompt ({why})"
        )


def _variants(
    raw: Any, versions: list[tuple[str, str | None]], report: Report, base: Path
) -> dict[str, dict[str, Any]]:
    entries: list[Any] = []
    for entry in raw if isinstance(raw, list) else ([] if raw is None else [raw]):
        if is_file_ref(entry) and str(entry).endswith((".yaml", ".yml", ".json")):
            for path in resolve(entry, base):
                data = read_data(path)
                entries += data if isinstance(data, list) else [data]
                report.mapped(f"providers {path.name}", "read")
        else:
            entries.append(entry)
    taken: set[str] = set()
    variants: dict[str, dict[str, Any]] = {}
    for entry in entries:
        converted = convert_provider(entry)
        where = f"provider {converted.source}"
        if converted.skipped:
            report.skipped(where, converted.skipped)
            continue
        for outcome, detail in converted.notes:
            report.add(where, outcome, detail)
        stem = variant_name(converted, taken)
        params = f", params {converted.params}" if converted.params else ""
        report.mapped(where, f"variant {stem}: model {converted.model}{params}")
        for label, system in versions or [("", None)]:
            name = stem if len(versions) <= 1 else unique_name(f"{stem}-{label}", taken)
            variant: dict[str, Any] = {"model": converted.model}
            if system:
                variant["prompt"] = f"promptfoo-{label}"
            if converted.params:
                variant["params"] = dict(converted.params)
            variant["description"] = f"promptfoo {converted.source}" + (
                f" with prompt {label}" if label else ""
            )
            variants[name] = variant
    if not variants:
        report.skipped(
            "providers",
            "no provider converted: the set runs on the project's variants or --variant",
        )
    return variants


def _default_test(raw: Any, base: Path, ctx: AssertContext) -> dict[str, Any]:
    if is_file_ref(raw):
        raw = read_data(resolve(raw, base)[0])
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError("defaultTest must be a mapping (vars, assert, options …)")
    ctx.graders = read_options(raw.get("options"), "defaultTest", ctx.report)
    default = {
        "vars": read_vars(raw.get("vars"), base, ctx.report, "defaultTest") or {},
        "assert": convert_assertions(raw.get("assert"), "defaultTest", ctx),
        "threshold": raw.get("threshold"),
        "metadata": raw.get("metadata") or {},
    }
    for key in sorted(set(raw) - TEST_KEYS):
        ctx.report.skipped(f"defaultTest {key}", "not converted (no equivalent here)")
    if raw:
        ctx.report.mapped("defaultTest", "vars merged into each case; assertions -> defaults")
    return default

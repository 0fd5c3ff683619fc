"""A promptfoo config as an eval set, variants and prompt versions, with a report of each item."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.asserts import AssertContext, convert_assertions, graders_from
from workbench.core.evals.promptfoo.files import is_file_ref, read_data, read_text, resolve
from workbench.core.evals.promptfoo.prompts import Prompt, read_prompts
from workbench.core.evals.promptfoo.providers import convert_provider, unique_name, variant_name
from workbench.core.evals.promptfoo.report import Report
from workbench.core.evals.promptfoo.templating import plain_names, render_nunjucks
from workbench.core.evals.promptfoo.tests import read_tests
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
    "scenarios": "scenarios are not expanded; write their combinations as tests",
    "redteam": "red-team generation is not converted",
    "tags": "config tags are not kept",
    "metadata": "config metadata is not kept",
    "tracing": "tracing is always on here",
}
_TEST_KEYS = {"description", "vars", "assert", "threshold", "metadata", "options"}


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
        }:
            report.skipped(key, "not a promptfoo config key known here")
    ctx = AssertContext(base, project_dir, name, report, {})
    prompts = read_prompts(config.get("prompts"), base, report)
    inputs, versions = _arrange(prompts, report)
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
    cases = _cases(read_tests(config.get("tests"), base, report), inputs, default, ctx)
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
    prompts: list[Prompt], report: Report
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
        if prompts:
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
    ctx.graders = _options(raw.get("options"), "defaultTest", ctx.report)
    default = {
        "vars": _vars(raw.get("vars"), base, ctx.report, "defaultTest") or {},
        "assert": convert_assertions(raw.get("assert"), "defaultTest", ctx),
        "threshold": raw.get("threshold"),
        "metadata": raw.get("metadata") or {},
    }
    for key in sorted(set(raw) - _TEST_KEYS):
        ctx.report.skipped(f"defaultTest {key}", "not converted (no equivalent here)")
    if raw:
        ctx.report.mapped("defaultTest", "vars merged into each case; assertions -> defaults")
    return default


def _options(options: Any, where: str, report: Report) -> dict[str, str]:
    """Report a test's ``options``; the grader models its ``provider`` names."""
    if not isinstance(options, dict):
        return {}
    graders: dict[str, str] = {}
    for key, value in options.items():
        if key == "provider":
            graders = graders_from(value)
            if graders:
                report.mapped(f"{where} options.provider", f"grader {graders}")
            else:
                report.skipped(f"{where} options.provider", "not a model litellm can call")
        elif key in {"transform", "postprocess"}:
            report.skipped(
                f"{where} options.{key}",
                "output transforms are JavaScript; assertions grade the agent's reply as is",
            )
        elif key == "rubricPrompt":
            report.approximated(
                f"{where} options.rubricPrompt", "dropped: the workbench's judge prompt is used"
            )
        else:
            report.skipped(f"{where} options.{key}", "test options are not used here")
    return graders


def _vars(raw: Any, base: Path, report: Report, where: str) -> dict[str, Any] | None:
    """A test's vars with ``file://`` values read; ``None`` when one cannot be."""
    if is_file_ref(raw):
        raw = read_data(resolve(raw, base)[0])
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        report.skipped(where, "'vars' must be a mapping")
        return None
    result = {}
    for key, value in raw.items():
        if is_file_ref(value):
            path = resolve(value, base)[0]
            if path.suffix in {".py", ".js", ".ts"}:
                report.skipped(f"{where} var {key}", "a var computed by code is not run here")
                return None
            value = (
                read_data(path) if path.suffix in {".json", ".yaml", ".yml"} else read_text(path)
            )
            report.mapped(f"{where} var {key}", f"read from {path.name}")
        result[str(key)] = value
    return result


def _cases(
    tests: list[tuple[str, dict[str, Any]]],
    inputs: list[Prompt],
    default: dict[str, Any],
    ctx: AssertContext,
) -> list[dict[str, Any]]:
    report = ctx.report
    cases: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, (where, test) in enumerate(tests, start=1):
        for key in sorted(set(test) - _TEST_KEYS - {"__prefix", "__suffix"}):
            if key in {"provider", "providers", "prompts"}:
                report.skipped(f"{where} {key}", "every case runs on every variant of the run")
            else:
                report.skipped(f"{where} {key}", "not a test key converted here")
        graders = {**ctx.graders, **_options(test.get("options"), where, report)}
        own = _vars(test.get("vars"), ctx.config_dir, report, where)
        if own is None:
            report.skipped(where, "test left out (see its vars)")
            continue
        variables = {**default["vars"], **own}
        before = len(report.by_outcome("not converted"))
        assertions = convert_assertions(test.get("assert"), where, replace(ctx, graders=graders))
        lost = len(report.by_outcome("not converted")) - before
        expansions = _expand(variables)
        if len(expansions) > 1:
            report.mapped(
                where, f"vars lists -> {len(expansions)} separate cases (promptfoo's matrix)"
            )
        base_id = _slug(str(test.get("description") or "")) or f"test-{index}"
        for number, combination in enumerate(expansions, start=1):
            for prompt in inputs:
                case_id = base_id
                if len(expansions) > 1:
                    case_id += f"-{number}"
                if len(inputs) > 1:
                    case_id += f"@{prompt.label}"
                case = _case(
                    _unique(case_id, taken), prompt, combination, test, default, where, report
                )
                if case is None:
                    continue
                if assertions:
                    case["assert"] = assertions
                if lost:
                    ctx.report.approximated(
                        where, f"runs without {lost} assertion(s) that did not convert"
                    )
                cases.append(case)
    return cases


def _expand(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """promptfoo's vars matrix: every list value multiplies the test (cartesian product)."""
    keys = [key for key, value in variables.items() if isinstance(value, list)]
    if not keys:
        return [variables]
    combos = itertools.product(*(variables[key] for key in keys))
    return [{**variables, **dict(zip(keys, combo, strict=True))} for combo in combos]


def _case(
    case_id: str,
    prompt: Prompt,
    variables: dict[str, Any],
    test: dict[str, Any],
    default: dict[str, Any],
    where: str,
    report: Report,
) -> dict[str, Any] | None:
    variables = dict(variables)
    try:
        if isinstance(prompt.user, str):
            text = f"{test.get('__prefix', '')}{prompt.user}{test.get('__suffix', '')}"
            case_input: Any = _template(text, variables, where, report)
        else:
            case_input = [
                {"role": m["role"], "content": _template(m["content"], variables, where, report)}
                for m in prompt.user
            ]
    except ValueError as error:
        report.skipped(where, f"prompt {prompt.label}: {error}")
        return None
    case: dict[str, Any] = {"id": case_id}
    if test.get("description"):
        case["description"] = str(test["description"])
    case["input"] = case_input
    if variables:
        case["vars"] = variables
    threshold = test.get("threshold", default.get("threshold"))
    if threshold is not None:
        case["threshold"] = threshold
    metadata = {**default.get("metadata", {}), **(test.get("metadata") or {})}
    tags = [f"{k}:{v}" for k, v in metadata.items() if isinstance(v, str | int | float | bool)]
    if tags:
        case["tags"] = tags
    return case


def _template(text: str, variables: dict[str, Any], where: str, report: Report) -> str:
    names = plain_names(text)
    if names is None:
        report.approximated(
            where, "prompt uses Nunjucks filters or tags: rendered at import with Jinja2"
        )
        return render_nunjucks(text, variables)
    for name in names:
        if name not in variables:
            variables[name] = ""
            report.approximated(
                where, f"var {name!r} is not defined: empty, as promptfoo renders it"
            )
    return text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")


def _unique(case_id: str, taken: set[str]) -> str:
    name, n = case_id, 2
    while name in taken:
        name, n = f"{case_id}-{n}", n + 1
    taken.add(name)
    return name

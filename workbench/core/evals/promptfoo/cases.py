"""promptfoo tests as cases: vars (matrices expanded, files read), inputs, ids, assertions."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.asserts import AssertContext, convert_assertions, graders_from
from workbench.core.evals.promptfoo.files import is_file_ref, read_data, read_text, resolve
from workbench.core.evals.promptfoo.prompts import Prompt
from workbench.core.evals.promptfoo.report import Report
from workbench.core.evals.promptfoo.templating import plain_names, render_nunjucks

TEST_KEYS = {"description", "vars", "assert", "threshold", "metadata", "options"}


def read_options(options: Any, where: str, report: Report) -> dict[str, str]:
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


def read_vars(raw: Any, base: Path, report: Report, where: str) -> dict[str, Any] | None:
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


def build_cases(
    tests: list[tuple[str, dict[str, Any]]],
    inputs: list[Prompt],
    default: dict[str, Any],
    ctx: AssertContext,
) -> list[dict[str, Any]]:
    """Every test as one case per vars combination and input prompt, with stable ids."""
    report = ctx.report
    cases: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, (where, test) in enumerate(tests, start=1):
        for key in sorted(set(test) - TEST_KEYS - {"__prefix", "__suffix"}):
            if key in {"provider", "providers", "prompts"}:
                report.skipped(f"{where} {key}", "every case runs on every variant of the run")
            else:
                report.skipped(f"{where} {key}", "not a test key converted here")
        graders = {**ctx.graders, **read_options(test.get("options"), where, report)}
        own = read_vars(test.get("vars"), ctx.config_dir, report, where)
        if own is None:
            report.skipped(where, "test left out (see its vars)")
            continue
        variables = {**default["vars"], **own}
        before = len(report.by_outcome("not converted"))
        written = test.get("assert")
        assertions = convert_assertions(written, where, replace(ctx, graders=graders))
        if isinstance(written, list):
            lost = len(written) - len(assertions)
        else:  # a file of assertions: count what the report refused
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

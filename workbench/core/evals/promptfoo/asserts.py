"""promptfoo assertions as workbench assertions: same name, approximated, or refused with why."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.files import (
    function_of,
    is_file_ref,
    read_data,
    read_text,
    resolve,
)
from workbench.core.evals.promptfoo.javascript import suggest_python
from workbench.core.evals.promptfoo.providers import litellm_model
from workbench.core.evals.promptfoo.report import Report
from workbench.core.evals.suggest import FOREIGN_TYPES
from workbench.errors import ConfigError

# Same name, same meaning.
SAME = {
    "equals",
    "contains",
    "icontains",
    "contains-any",
    "contains-all",
    "icontains-any",
    "icontains-all",
    "regex",
    "starts-with",
    "is-json",
    "contains-json",
    "finish-reason",
    "python",
    "llm-rubric",
    "similar",
    "assert-set",
}
# Figures of the whole agent turn here, of one model call in promptfoo.
_TURN_FIGURES = {"latency": " ms", "cost": " USD"}
# Same name, a little more lenient here than in promptfoo.
_LENIENT = {
    "equals": "compared after trimming whitespace around the reply and the value",
    "starts-with": "leading whitespace of the reply is ignored",
    "is-json": "a reply fenced in ```json … ``` also counts as JSON",
}
# Every type promptfoo's CSV shorthand may name.
KNOWN_TYPES = (
    SAME | set(_TURN_FIGURES) | set(FOREIGN_TYPES) | {"javascript", "context-faithfulness"}
)
_LIST_TYPES = {"contains-any", "contains-all", "icontains-any", "icontains-all"}
# promptfoo context fields the workbench's context does not have.
_PROMPTFOO_CONTEXT = re.compile(
    r"context\s*(?:\[\s*['\"]|\.get\(\s*['\"])(test|logProbs|provider|providerResponse|trace)"
)
_CONTEXT_NOTE = (
    "context has prompt (the input as sent), vars, config, tool_calls, result, status,"
    " latency_ms (no test, logProbs, provider, trace)"
)
_KEYS = {"type", "value", "threshold", "weight", "metric", "provider", "config", "assert"}


@dataclass
class AssertContext:
    """Where an assertion's files are: the config's folder, the project, the set's name."""

    config_dir: Path
    project_dir: Path
    set_name: str
    report: Report
    # Files to copy into the project: destination -> source.
    copies: dict[Path, Path]
    # Grader models from ``options.provider``: "text" (llm-rubric), "embedding" (similar).
    graders: dict[str, str] = field(default_factory=dict)


def convert_assertions(raw: Any, where: str, ctx: AssertContext) -> list[dict[str, Any]]:
    """A promptfoo ``assert`` list as workbench assertions; the rest goes into the report."""
    if raw is None:
        return []
    if is_file_ref(raw):
        raw = [item for path in resolve(raw, ctx.config_dir) for item in _as_list(read_data(path))]
    result = []
    for item in _as_list(raw):
        converted = convert_assertion(item, where, ctx)
        if converted is not None:
            result.append(converted)
    return result


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def convert_assertion(raw: Any, where: str, ctx: AssertContext) -> dict[str, Any] | None:
    """One assertion, or ``None`` (reported) when it cannot be converted."""
    try:
        return _convert_assertion(raw, where, ctx)
    except ConfigError as error:  # a file it names is missing or unreadable: this one only
        written = raw.get("type") if isinstance(raw, dict) else raw
        ctx.report.skipped(f"{where}: {written}", error.message)
        return None


def _convert_assertion(raw: Any, where: str, ctx: AssertContext) -> dict[str, Any] | None:
    report = ctx.report
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        report.skipped(f"{where}: assertion", "an assertion needs a 'type'")
        return None
    written = raw["type"]
    negate = written.startswith("not-")
    name = written.removeprefix("not-")
    label = f"{where}: {written}"
    if name == "javascript":
        report.skipped(label, f"JavaScript is not run here; suggested: {suggest_python(raw)}")
        return None
    if name == "context-faithfulness":
        return _faithfulness(raw, negate, label, ctx)
    if name not in SAME and name not in _TURN_FIGURES:
        why = FOREIGN_TYPES.get(name, "no equivalent assertion type here")
        report.skipped(label, why)
        return None
    extra = sorted(set(raw) - _KEYS)
    if "transform" in extra:
        report.skipped(label, "'transform' is not supported: the assertion would grade other text")
        return None
    if "rubricPrompt" in extra:
        report.approximated(label, "rubricPrompt dropped: the workbench's judge prompt is used")
    for key in (k for k in extra if k != "rubricPrompt"):
        report.approximated(label, f"option {key!r} dropped (not used here)")
    result: dict[str, Any] = {"type": written}
    value = raw.get("value")
    if isinstance(value, str) and is_file_ref(value) and name != "python":
        paths = resolve(value, ctx.config_dir)
        value = read_data(paths[0]) if paths[0].suffix in {".json", ".yaml", ".yml"} else None
        value = value if value is not None else read_text(paths[0]).strip()
        report.mapped(label, f"value read from {paths[0].name}")
    for key in ("weight", "metric", "threshold"):
        if raw.get(key) is not None:
            result[key] = raw[key]
    if name in _TURN_FIGURES:
        return _turn_figure(name, raw, result, label, report)
    if name == "assert-set":
        return _assert_set(raw, result, label, ctx)
    if name == "python":
        return _python(value, raw, result, label, ctx)
    if name in _LIST_TYPES and isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if value is not None:
        result["value"] = value
    grader = ctx.graders.get("text" if name == "llm-rubric" else "embedding")
    if raw.get("provider") is None and grader and name in {"llm-rubric", "similar"}:
        result["provider"] = grader
        report.mapped(
            label,
            f"{'judge' if name == 'llm-rubric' else 'embeddings'}: {grader}"
            " (the test's options.provider)",
        )
    elif raw.get("provider") is not None and name in {"llm-rubric", "similar"}:
        provider = _provider(raw["provider"])
        if provider is None:
            report.skipped(label, f"provider {raw['provider']!r} is not a model litellm can call")
            return None
        result["provider"] = provider
    problem = _invalid(name, negate, result)
    if problem:
        report.skipped(label, problem)
        return None
    if "provider" in result and raw.get("provider") is None:
        pass  # reported above, with the grader it came from
    elif name == "llm-rubric" and "provider" not in result:
        report.mapped(label, "judge: --judge-model, else the variant's own model and api base")
    elif name == "similar" and "provider" not in result:
        report.approximated(
            label,
            "embeddings from text-embedding-3-small at the variant's own endpoint (the mock's"
            " for mock runs), not promptfoo's default embedding model: similarity values"
            " differ between models, so check the threshold",
        )
    elif name in _LENIENT:
        report.approximated(label, _LENIENT[name])
    else:
        report.mapped(label, "same type" + (" (negated)" if negate else ""))
    return result


def _faithfulness(raw: dict, negate: bool, label: str, ctx: AssertContext) -> dict | None:
    """promptfoo's ``context-faithfulness`` as ``faithfulness`` on what the turn retrieved."""
    result: dict[str, Any] = {"type": "not-faithfulness" if negate else "faithfulness"}
    for key in ("weight", "metric", "threshold"):
        if raw.get(key) is not None:
            result[key] = raw[key]
    provider = _provider(raw["provider"]) if raw.get("provider") is not None else None
    if raw.get("provider") is not None and provider is None:
        ctx.report.skipped(label, f"provider {raw['provider']!r} is not a model litellm can call")
        return None
    provider = provider or ctx.graders.get("text")
    if provider:
        result["provider"] = provider
    problem = _invalid("faithfulness", negate, result)
    if problem:
        ctx.report.skipped(label, problem)
        return None
    dropped = sorted((set(raw) - _KEYS) | ({"value"} & set(raw)))
    judge = f"judge {provider}" if provider else "the judge of --judge-model, else a lexical check"
    ctx.report.approximated(
        label,
        f"as faithfulness ({judge}), graded against the chunks the turn retrieved (its RETRIEVER"
        " spans, else its result's contexts), not the test's vars.context"
        + (f"; {', '.join(dropped)} dropped" if dropped else ""),
    )
    return result


def _invalid(name: str, negate: bool, fields: dict[str, Any]) -> str | None:
    """Why the workbench's own check refuses the converted assertion (``None``: it accepts it)."""
    from pydantic import ValidationError

    from workbench.core.evals.checks import get_check
    from workbench.core.evals.spec import Assertion

    try:
        assertion = Assertion.model_validate({**fields, "type": name, "negate": negate})
        get_check(name).validate(assertion)
    except (ValueError, ValidationError) as error:
        text = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        return f"the value does not convert: {text}"
    return None


def graders_from(provider: Any) -> dict[str, str]:
    """promptfoo's ``options.provider`` as grader models: ``{"text": …, "embedding": …}``."""
    if isinstance(provider, dict) and ("text" in provider or "embedding" in provider):
        found = {
            kind: _provider(provider[kind]) for kind in ("text", "embedding") if kind in provider
        }
        return {kind: model for kind, model in found.items() if model}
    model = _provider(provider)
    if model is None:
        return {}
    return {"embedding" if "embedding" in str(model) else "text": model}


def _provider(raw: Any) -> str | None:
    provider_id = raw.get("id") if isinstance(raw, dict) else raw
    return litellm_model(str(provider_id)) if provider_id else None


def _turn_figure(
    name: str, raw: dict, result: dict, label: str, report: Report
) -> dict[str, Any] | None:
    limit = raw.get("threshold", raw.get("value"))
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        report.skipped(label, "needs a number as 'threshold' (the limit)")
        return None
    result.pop("threshold", None)
    result["value"] = limit
    report.approximated(
        label,
        f"limit {limit:g}{_TURN_FIGURES[name]} on the whole agent turn (tools and every model"
        " call), not on one model call",
    )
    return result


def _assert_set(raw: dict, result: dict, label: str, ctx: AssertContext) -> dict[str, Any] | None:
    children = _as_list(raw.get("assert") or [])
    before = len(ctx.report.by_outcome("not converted"))
    converted = [convert_assertion(child, label, ctx) for child in children]
    if any(child is None for child in converted) or not converted:
        ctx.report.skipped(
            label,
            "left out as a whole: grading only part of the group would change its meaning"
            if len(ctx.report.by_outcome("not converted")) > before
            else "an assert-set needs its 'assert' list",
        )
        return None
    result["assert"] = converted
    ctx.report.mapped(label, f"group of {len(converted)}")
    return result


def _python(
    value: Any, raw: dict, result: dict, label: str, ctx: AssertContext
) -> dict[str, Any] | None:
    report = ctx.report
    if raw.get("config") is not None:
        result["config"] = raw["config"]
    if not isinstance(value, str) or not value.strip():
        report.skipped(label, "needs a 'value' (a file:// reference or inline Python)")
        return None
    if not is_file_ref(value):
        result["value"] = value
        if _PROMPTFOO_CONTEXT.search(value):
            report.approximated(label, f"inline Python; {_CONTEXT_NOTE}")
        else:
            report.mapped(label, "inline Python, run in the assertion subprocess")
        return result
    source = resolve(value, ctx.config_dir)[0]
    if source.suffix != ".py":
        report.skipped(label, f"{source.name} is not a Python file")
        return None
    function = function_of(value) or "get_assert"
    project = ctx.project_dir.resolve()
    try:
        relative = source.resolve().relative_to(project)
        how = f"{relative}:{function} (the config's folder resolved to the project)"
    except ValueError:
        relative = Path(ctx.set_name + "_assertions") / source.name
        ctx.copies[project / "evals" / relative] = source
        relative = Path("evals") / relative
        how = f"copied to {relative} (outside the project), function {function}"
    result["value"] = f"{relative.as_posix()}:{function}"
    if _PROMPTFOO_CONTEXT.search(read_text(source)):
        report.approximated(label, f"{how}; {_CONTEXT_NOTE}")
    else:
        report.mapped(label, how)
    return result

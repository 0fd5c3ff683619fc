"""contains-json, finish-reason, assert-set, inline python, similar; meaning-aware suggestions."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.core.openai_stub import OpenAIStub
from tests.core.test_eval_checks import check, obs
from workbench.core.evals.checks import ASSERTION_TYPES
from workbench.core.evals.loader import load_set
from workbench.core.evals.services import EvalServices
from workbench.core.evals.spec import Assertion
from workbench.core.evals.suggest import did_you_mean, unknown_type_message
from workbench.core.evals.tracefacts import _finish_reason
from workbench.errors import ConfigError

SCHEMA = {
    "type": "object",
    "required": ["order_id"],
    "properties": {"order_id": {"type": "string"}},
}


@pytest.mark.parametrize(
    ("value", "output", "passed"),
    [
        (None, 'Sure! Here it is: {"order_id": "A1"} — anything else?', True),
        (None, "Here: [1, 2, 3].", True),
        (None, "No JSON at all {not json}", False),
        (SCHEMA, 'Result: {"order_id": "A1", "status": "shipped"}', True),
        (SCHEMA, 'first {"x": 1} then {"order_id": "B2"}', True),
        (SCHEMA, 'Result: {"order_id": 7}', False),
        (SCHEMA, "nothing", False),
    ],
)
async def test_contains_json(value, output, passed):
    result = await check("contains-json", value, obs(output))
    assert result.passed is passed, result.reason


async def test_not_contains_json_fails_when_json_is_there():
    assert not (await check("not-contains-json", None, obs('{"a": 1}'))).passed


@pytest.mark.parametrize(
    ("expected", "recorded", "passed"),
    [
        ("stop", "stop", True),
        ("stop", "end_turn", True),
        ("length", "max_tokens", True),
        ("stop", "length", False),
        ("tool_calls", "stop", False),
    ],
)
async def test_finish_reason(expected, recorded, passed):
    result = await check("finish-reason", expected, obs("x", finish_reason=recorded))
    assert result.passed is passed


async def test_finish_reason_from_the_result_and_an_error_when_nobody_recorded_one():
    assert await check("finish-reason", "length", obs("x", result={"finish_reason": "length"}))
    with pytest.raises(ValueError, match="no finish reason"):
        await check("finish-reason", "stop", obs("x"))


def test_finish_reason_is_read_from_the_llm_span_attribute():
    attributes = json.dumps({"gen_ai.response.finish_reasons": ["tool_calls", "length"]})
    assert _finish_reason(attributes) == "length"
    assert _finish_reason(json.dumps({"gen_ai.request.model": "x"})) is None


def _set(*children: dict, threshold=None) -> Assertion:
    parsed = [Assertion(**child) for child in children]
    return Assertion(type="assert-set", assertions=parsed, threshold=threshold)


async def test_assert_set_needs_every_child_without_a_threshold():
    from workbench.core.evals.checks import grade

    group = _set({"type": "contains", "value": "Paris"}, {"type": "contains", "value": "capital"})
    assert (await grade(group, obs("Paris is the capital"))).passed
    failed = await grade(group, obs("Paris is lovely"))
    assert not failed.passed and failed.score == 0.5 and "'capital' not found" in failed.reason


async def test_assert_set_threshold_is_the_weighted_share():
    from workbench.core.evals.checks import grade

    group = _set(
        {"type": "contains", "value": "Paris", "weight": 3},
        {"type": "contains", "value": "capital", "weight": 1},
        threshold=0.7,
    )
    assert (await grade(group, obs("Paris!"))).passed  # 0.75 >= 0.7
    assert not (await grade(group, obs("the capital"))).passed  # 0.25 < 0.7


def _write(tmp_path, body: str):
    path = tmp_path / "set.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def test_assert_set_is_parsed_with_its_children_and_their_lines(tmp_path):
    path = _write(
        tmp_path,
        """
        cases:
          - id: a
            input: hi
            assert:
              - type: assert-set
                threshold: 0.5
                assert:
                  - type: icontains
                    value: hello
                  - type: contians
                    value: x
        """,
    )
    with pytest.raises(ConfigError, match=r"set.yaml:11: .*assert-set: unknown assertion type"):
        load_set(path)
    path.write_text(path.read_text().replace("contians", "not-contains"))
    group = load_set(path).cases[0].assertions[0]
    assert [child.label for child in group.assertions] == ["icontains", "not-contains"]


def test_only_assert_set_takes_nested_assertions(tmp_path):
    path = _write(
        tmp_path,
        """
        cases:
          - id: a
            input: hi
            assert:
              - type: contains
                value: x
                assert: [{type: contains, value: y}]
        """,
    )
    with pytest.raises(ConfigError, match="only assert-set takes an 'assert' list"):
        load_set(path)


def test_inline_python_that_does_not_compile_fails_at_load_time(tmp_path):
    path = _write(
        tmp_path,
        """
        cases:
          - id: a
            input: hi
            assert:
              - type: python
                value: "len(output) >"
        """,
    )
    with pytest.raises(ConfigError, match=r"set.yaml:7: .*inline Python does not compile"):
        load_set(path)


async def test_inline_python_runs_in_the_assertion_subprocess(tmp_path):
    (tmp_path / "src").mkdir()
    services = EvalServices(tmp_path, tmp_path / "src")
    context = {"vars": {"city": "Paris"}, "config": {"min": 3}}
    try:
        assert (
            await services.python_check(
                "context['prompt'] == 'hi'", "x", {"prompt": "hi"}, inline=True
            )
        )[0]
        expression = "context['vars']['city'] in output"
        assert (await services.python_check(expression, "Paris!", context, inline=True))[0]
        assert not (await services.python_check(expression, "Rome", context, inline=True))[0]
        body = textwrap.dedent("""
            import os
            if len(output) < context['config']['min']:
                return {'pass': False, 'score': 0.0, 'reason': 'too short'}
            return {'pass': True, 'score': 1.0, 'reason': str(os.getpid())}
        """)
        ok, _, reason = await services.python_check(body, "long enough", context, inline=True)
        assert ok and reason.isdigit() and int(reason) != __import__("os").getpid()
        assert await services.python_check(body, "no", context, inline=True) == (
            False,
            0.0,
            "too short",
        )
        score = await services.python_check("math.log10(len(output))", "x" * 10, {}, inline=True)
        assert score == (True, 1.0, "score 1")
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            await services.python_check("1 / 0", "x", {}, inline=True)
    finally:
        await services.close()


async def test_similar_uses_the_variant_endpoint_and_fails_below_the_threshold(tmp_path):
    # The mock's /v1/embeddings is being added by the MOCK engineer; this stub serves the
    # same OpenAI-compatible endpoint with deterministic bag-of-words vectors.
    with OpenAIStub() as stub:
        judges = {"v": {"model": "openai/mock-model", "api_base": stub.api_base, "source": "mock"}}
        services = EvalServices(tmp_path, tmp_path, judges=judges)
        here = obs("Your order ships tomorrow", variant="v", services=services)
        close = await check("similar", "your order ships tomorrow!", here)
        assert close.passed and close.score > 0.99
        far = await check("similar", "The weather in Paris is sunny", here, threshold=0.8)
        assert not far.passed and "< 0.8" in far.reason
        assert (await check("not-similar", "The weather in Paris is sunny", here)).passed
        best = await check("similar", ["sunny weather", "order ships tomorrow"], here)
        assert best.passed and "order ships" in best.reason
    assert {r["path"] for r in stub.requests} == {"/v1/embeddings"}
    assert stub.requests[0]["body"]["model"] == "text-embedding-3-small"


async def test_similar_never_picks_a_hosted_embedding_model_nobody_named(tmp_path):
    judges = {"v": {"model": "anthropic/claude-3-5-haiku", "api_base": None, "source": "real"}}
    services = EvalServices(tmp_path, tmp_path, judges=judges)
    with pytest.raises(ValueError, match="name one with 'provider:'"):
        await check("similar", "x", obs("x", variant="v", services=services))


def test_suggestions_are_close_in_meaning_and_never_the_word_itself():
    without = [name for name in ASSERTION_TYPES if name != "contains-json"]
    assert did_you_mean("contains-json", without) == ""
    assert did_you_mean("contians", ASSERTION_TYPES) == " (did you mean 'contains'?)"
    assert did_you_mean("not-icontain", ASSERTION_TYPES) == " (did you mean 'not-icontains'?)"
    assert did_you_mean("llm_rubric", ASSERTION_TYPES) == " (did you mean 'llm-rubric'?)"
    assert did_you_mean("provider", ["provider", "providers"]) == " (did you mean 'providers'?)"
    assert did_you_mean("provider", ["provider"]) == ""
    assert "inline Python" in unknown_type_message("javascript", ASSERTION_TYPES)
    assert "use llm-rubric" in unknown_type_message("model-graded-closedqa", ASSERTION_TYPES)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("provider: openai:gpt-4o", "promptfoo's 'provider' is not used here"),
        ("options: {transform: output.trim()}", "promptfoo's 'options' is not used here"),
    ],
)
def test_promptfoo_case_keys_get_an_explanation_not_a_self_suggestion(tmp_path, snippet, message):
    path = _write(tmp_path, f"cases:\n  - id: a\n    input: hi\n    {snippet}\n")
    with pytest.raises(ConfigError) as raised:
        load_set(path)
    assert message in str(raised.value) and "did you mean 'provider'" not in str(raised.value)


def test_a_top_level_provider_key_is_explained(tmp_path):
    path = _write(tmp_path, "provider: openai:gpt-4o\ncases: [{id: a, input: hi}]\n")
    with pytest.raises(ConfigError, match=r"'provider' is not used here: declare variants"):
        load_set(path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tests: file://tests.csv\n", "takes a JSONL file (one case a line)"),
        ("prompts: ['{{q}}']\ncases: [{id: a, input: hi}]\n", "'prompts' is not used here"),
        ("cases: [{input: hi}]\n", "case without an 'id'"),
    ],
)
def test_a_promptfoo_config_loaded_as_a_set_points_to_the_importer(tmp_path, text, fragment):
    (tmp_path / "tests.csv").write_text("q,__expected\nhi,contains: hi\n")
    with pytest.raises(ConfigError) as raised:
        load_set(_write(tmp_path, text))
    message = str(raised.value)
    assert fragment in message and "workbench eval import FILE" in message
    assert "invalid JSON" not in message


async def test_python_context_carries_the_input_as_promptfoos_prompt_and_the_config():
    seen = {}

    class Services:
        async def python_check(self, reference, output, context, *, inline=False):
            seen.update(context, inline=inline, reference=reference)
            return True, 1.0, "ok"

    here = obs("out", input="Where is 12345?", services=Services())
    await check("python", "len(output) > 1", here, config={"min": 2})
    assert seen["prompt"] == seen["input"] == "Where is 12345?"
    assert seen["config"] == {"min": 2} and seen["inline"] is True
    await check("python", "checks.py:get_assert", here)
    assert seen["inline"] is False and seen["reference"] == "checks.py:get_assert"


@pytest.mark.parametrize(
    ("snippet", "ending"),
    [
        # a case-level typo is matched against case keys only (not an assertion's 'value')
        ("    valeu: x\n", "valeu: unknown field"),
        ("    descripton: x\n", "unknown field (did you mean 'description'?)"),
        ("    assert: [{type: contains, valeu: x}]\n", "unknown field (did you mean 'value'?)"),
        (
            "    assert: [{type: contains, value: x, transform: output.trim()}]\n",
            "output transforms are JavaScript and are not run; the assertion reads the reply",
        ),
    ],
)
def test_key_suggestions_come_from_the_keys_of_that_level(tmp_path, snippet, ending):
    path = _write(tmp_path, "cases:\n  - id: a\n    input: hi\n" + snippet)
    with pytest.raises(ConfigError) as raised:
        load_set(path)
    assert str(raised.value).endswith(ending)


@pytest.mark.parametrize(
    ("check", "provider", "litellm"),
    [
        ("llm-rubric", "openai:gpt-4o", "gpt-4o"),
        ("similar", "openai:embedding:text-embedding-3-large", "text-embedding-3-large"),
        (
            "llm-rubric",
            "anthropic:messages:claude-3-5-haiku-latest",
            "anthropic/claude-3-5-haiku-latest",
        ),
    ],
)
def test_a_promptfoo_provider_id_is_refused_at_load_with_the_litellm_name(
    tmp_path, check, provider, litellm
):
    # litellm cannot call 'openai:gpt-4o': it failed on every case, after retries.
    path = _write(
        tmp_path,
        f"""
        cases:
          - id: a
            input: hi
            assert:
              - type: {check}
                value: greets
                provider: "{provider}"
        """,
    )
    with pytest.raises(ConfigError, match=rf"set.yaml:7: .*promptfoo's spelling.*'{litellm}'"):
        load_set(path)


@pytest.mark.parametrize(
    "provider", ["gpt-4o", "anthropic/claude-3-5-haiku-latest", "ft:gpt-4o-mini:org::abc", "mock"]
)
def test_litellm_model_strings_are_accepted_as_providers(tmp_path, provider):
    path = _write(
        tmp_path,
        f"""
        cases:
          - id: a
            input: hi
            assert:
              - type: llm-rubric
                value: greets
                provider: "{provider}"
        """,
    )
    assert load_set(path).cases[0].assertions[0].provider == provider

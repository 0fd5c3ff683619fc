"""The retrieval assertion types on real inputs: figures checked by hand, guards broken once."""

from __future__ import annotations

import pytest

from tests.core.rag_traces import RETURNS
from tests.core.test_mock_server import make_project
from workbench.core.evals.checks import grade
from workbench.core.evals.checks.faithfulness import lexical_verdict, sentences
from workbench.core.evals.checks.retrieval import average_precision
from workbench.core.evals.grading import grade_case
from workbench.core.evals.observation import Observation
from workbench.core.evals.retrieval import Chunk
from workbench.core.evals.services import EvalServices
from workbench.core.evals.spec import Assertion, Case
from workbench.core.mock import start_mock

CHUNKS = [Chunk(i, i.split("#")[0], text, score) for i, text, score in RETURNS]
GROUNDED = (
    "You can return items within 30 days of delivery [returns-policy#1]. "
    "Refunds go back to the original payment method [returns-policy#3]."
)


def obs(output: str = GROUNDED, contexts=CHUNKS, **fields) -> Observation:
    fields.setdefault("contexts_source", "trace" if contexts is not None else None)
    return Observation(output=output, status="ok", latency_ms=1.0, contexts=contexts, **fields)


async def check(type_: str, value=None, observation: Observation | None = None, **extra):
    result = await grade(Assertion(type=type_, value=value, **extra), observation or obs())
    return result.passed, result.score, result.reason


def chunks(*ids: str) -> list[Chunk]:
    return [Chunk(i, i.split("#")[0], f"text {i}") for i in ids]


# context-recall


@pytest.mark.parametrize(
    ("value", "threshold", "passed", "score"),
    [
        (["returns-policy"], None, True, 1.0),  # a source id matches any of its chunks
        ("returns-policy#3", None, True, 1.0),
        (["returns-policy#2"], None, False, 0.0),  # a chunk id only matches that chunk
        (["returns-policy#1", "warranty"], None, False, 0.5),
        (["returns-policy#1", "warranty"], 0.5, True, 0.5),
        (["shipping", "returns-policy", "warranty", "faq"], 0.75, False, 0.5),
    ],
)
async def test_context_recall(value, threshold, passed, score):
    ok, got, reason = await check("context-recall", value, threshold=threshold)
    assert (ok, got) == (passed, score)
    if not passed:
        assert "missing" in reason


async def test_context_recall_fails_when_nothing_was_retrieved():
    ok, score, reason = await check("context-recall", ["faq"], obs(contexts=None))
    assert (ok, score) == (False, 0.0) and "no retrieval recorded" in reason
    ok, score, _ = await check("context-recall", ["faq"], obs(contexts=[]))
    assert (ok, score) == (False, 0.0)


# context-precision


@pytest.mark.parametrize(
    ("retrieved", "relevant", "expected", "ranks"),
    [
        # relevant at 1 and 3: (1/1 + 2/3) / 2
        (["r#1", "s#2", "r#3"], ["r"], (1 + 2 / 3) / 2, [1, 3]),
        # relevant at 2 and 4: (1/2 + 2/4) / 2
        (["s#1", "r#1", "s#2", "r#3"], ["r"], 0.5, [2, 4]),
        # relevant at 1, 2 and 5: (1 + 1 + 3/5) / 3
        (["r#1", "r#2", "s#1", "t#1", "r#3"], ["r"], (2 + 3 / 5) / 3, [1, 2, 5]),
        # one chunk id relevant, at 3
        (["r#1", "s#2", "r#3"], ["r#3"], 1 / 3, [3]),
        (["s#1", "t#1"], ["r"], 0.0, []),
        (["r#1", "s#1"], ["s", "r"], 1.0, [1, 2]),
    ],
)
def test_average_precision_by_hand(retrieved, relevant, expected, ranks):
    score, at = average_precision(chunks(*retrieved), relevant)
    assert score == pytest.approx(expected) and at == ranks


async def test_context_precision_passes_at_its_default_threshold_half():
    ok, score, reason = await check("context-precision", ["returns-policy"])
    assert ok and score == pytest.approx(5 / 6)
    assert reason.startswith("average precision 0.83 ≥ 0.5 over 3 chunks, relevant at rank 1, 3")
    ok, score, _ = await check("context-precision", ["returns-policy#3"])
    assert not ok and score == pytest.approx(1 / 3)
    ok, _, _ = await check("context-precision", ["returns-policy#3"], threshold=0.3)
    assert ok
    ok, _, _ = await check(
        "context-precision", ["r"], obs(contexts=chunks("s#1", "r#1", "s#2", "r#3"))
    )
    assert ok  # exactly 0.5 passes


async def test_context_precision_with_an_empty_retrieval_fails():
    ok, score, reason = await check("context-precision", ["faq"], obs(contexts=[]))
    assert (ok, score) == (False, 0.0) and "nothing retrieved" in reason


# citation-correctness


@pytest.mark.parametrize(
    ("reply", "value", "passed", "score", "fragment"),
    [
        (GROUNDED, None, True, 1.0, "every cited id was retrieved"),
        ("Within 30 days [returns-policy].", None, True, 1.0, "1/1"),  # a source id
        ("Within 30 days [returns-policy#9].", None, False, 0.0, "not retrieved"),  # invented
        ("Within 30 days [warranty].", None, False, 0.0, "not retrieved: warranty"),
        ("Within 30 days [returns-policy#1] [faq#7].", None, False, 0.5, "faq#7"),
        ("Within 30 days [1].", None, False, 0.0, "cites nothing though 3 chunks"),
        ("Within 30 days.", None, False, 0.0, "cites nothing"),
        (GROUNDED, ["returns-policy"], True, 1.0, "every cited"),
        (GROUNDED, "returns-policy#3", True, 1.0, "every cited"),
        (GROUNDED, ["shipping"], False, 1.0, "cites none of shipping"),
    ],
)
async def test_citation_correctness(reply, value, passed, score, fragment):
    ok, got, reason = await check("citation-correctness", value, obs(output=reply))
    assert (ok, got) == (passed, score)
    assert fragment in reason


async def test_a_threshold_tolerates_a_share_of_invented_citations():
    reply = "A [returns-policy#1]. B [returns-policy#3]. C [faq#7]."
    ok, score, _ = await check("citation-correctness", observation=obs(output=reply))
    assert not ok and score == pytest.approx(2 / 3)
    ok, _, reason = await check(
        "citation-correctness", threshold=0.6, observation=obs(output=reply)
    )
    assert ok and "within the threshold" in reason


async def test_the_results_citations_are_graded_not_the_reply():
    result = {"citations": ["faq#1"]}
    ok, _, reason = await check("citation-correctness", observation=obs(result=result))
    assert not ok and "faq#1" in reason and "citations from the result" in reason


async def test_no_citations_and_nothing_retrieved_passes():
    ok, score, _ = await check(
        "citation-correctness", observation=obs(output="I could not find that.", contexts=[])
    )
    assert ok and score == 1.0


# faithfulness, lexical


async def test_a_grounded_reply_is_faithful():
    ok, score, reason = await check("faithfulness")
    assert ok and score == 1.0
    assert reason.startswith("lexical check: 2/2 sentences supported by the 3 retrieved chunks")


async def test_a_sentence_not_grounded_fails():
    reply = GROUNDED + " Refunds are paid in bitcoin to your wallet."
    ok, score, reason = await check("faithfulness", observation=obs(output=reply))
    assert not ok and score == pytest.approx(2 / 3)
    assert "unsupported: 'Refunds are paid in bitcoin to your wallet.'" in reason
    ok, _, _ = await check("faithfulness", threshold=0.6, observation=obs(output=reply))
    assert ok


async def test_citation_markers_and_courtesy_are_not_claims():
    reply = "You can return items within 30 days [returns-policy-long-name#1]. Hope this helps!"
    ok, score, reason = await check("faithfulness", observation=obs(output=reply))
    assert ok and score == 1.0 and "1/1" in reason


def test_a_sentence_must_be_supported_by_one_chunk_not_several_together():
    # Each half is in a different chunk; no single chunk holds most of the sentence.
    reply = "Standard shipping takes 30 days and refunds go to the original payment method."
    ok, score, _ = lexical_verdict(reply, CHUNKS, None)
    assert not ok and score == 0.0


def test_sentences_split_on_punctuation_and_lines():
    assert sentences("- One [a#1].\n- Two! Three? Four") == ["One .", "Two!", "Three?", "Four"]


async def test_faithfulness_with_nothing_retrieved_fails_every_claim():
    ok, score, reason = await check("faithfulness", observation=obs(contexts=[]))
    assert not ok and score == 0.0 and "0/2" in reason


# no retrieval recorded: an error, not a fail (except context-recall)


@pytest.mark.parametrize(
    ("type_", "value"),
    [("context-precision", ["faq"]), ("faithfulness", None), ("citation-correctness", None)],
)
async def test_no_retrieval_recorded_is_the_cases_error(type_, value):
    case = Case.model_validate(
        {"id": "c", "input": "x", "assert": [{"type": type_, "value": value}]}
    )
    graded = await grade_case(case, obs(contexts=None))
    assert graded.status == "error"
    assert graded.error.startswith(f"{type_}: no retrieval recorded (the turn's trace has no")


async def test_context_recall_without_retrieval_is_a_fail_not_an_error():
    case = Case.model_validate(
        {"id": "c", "input": "x", "assert": [{"type": "context-recall", "value": ["faq"]}]}
    )
    graded = await grade_case(case, obs(contexts=None))
    assert graded.status == "fail" and graded.error is None


# faithfulness, judged by the workbench's own mock

JUDGE_RULES = """
rules:
  - id: faithful-judge
    when:
      system: You are an eval judge
      user: {contains: [FAITHFULNESS, "[returns-policy#1] You can return items within 30 days"]}
    respond: {text: '{"pass": false, "score": 0.5, "reason": "the bitcoin claim is unsupported"}'}
  - id: default
    respond: {text: "Hello! How can I help you today?"}
"""


@pytest.fixture(scope="module")
def mock_api(tmp_path_factory):
    server = start_mock(project_dir=make_project(tmp_path_factory.mktemp("p"), JUDGE_RULES))
    yield server.api_base
    server.stop()


def services(tmp_path, api_base: str, override: dict | None = None) -> EvalServices:
    target = {"model": "openai/gpt-4o-mini", "api_base": api_base, "source": "mock"}
    return EvalServices(tmp_path, tmp_path, judges={"a": target}, judge_override=override)


async def test_the_judge_named_by_provider_grades_with_the_contexts(tmp_path, mock_api):
    observation = obs(services=services(tmp_path, mock_api), variant="a")
    ok, score, reason = await check("faithfulness", provider="gpt-4o-mini", observation=observation)
    assert (ok, score) == (False, 0.5)
    assert reason == "judge: the bitcoin claim is unsupported"
    # The threshold decides on the judge's score.
    ok, _, _ = await check(
        "faithfulness", provider="gpt-4o-mini", threshold=0.5, observation=observation
    )
    assert ok


async def test_judge_model_of_the_run_is_used(tmp_path, mock_api):
    override = {"model": "openai/gpt-4o-mini", "api_base": mock_api, "forced": True}
    observation = obs(services=services(tmp_path, "http://127.0.0.1:9/v1", override), variant="a")
    _, _, reason = await check("faithfulness", observation=observation)
    # The forced judge is a real-model target at the mock's address: its verdict is used.
    assert reason == "judge: the bitcoin claim is unsupported"


async def test_a_mock_judge_without_a_rule_falls_back_to_the_lexical_check(tmp_path, mock_api):
    chunks_elsewhere = [Chunk("faq#1", "faq", "Refunds are paid in bitcoin.")]
    observation = obs(
        output="Refunds are paid in bitcoin.",
        contexts=chunks_elsewhere,
        services=services(tmp_path, mock_api),
        variant="a",
    )
    ok, score, reason = await check("faithfulness", provider="gpt-4o-mini", observation=observation)
    assert ok and score == 1.0
    assert reason.startswith("lexical check: 1/1")
    assert reason.endswith("(no mock rule answered the judge prompt)")


async def test_without_a_named_judge_no_model_is_called(tmp_path):
    # The variant's endpoint does not exist: a judge call would fail the case.
    observation = obs(services=services(tmp_path, "http://127.0.0.1:9/v1"), variant="a")
    ok, _, reason = await check("faithfulness", observation=observation)
    assert ok and reason.startswith("lexical check")
    ok, _, reason = await check("faithfulness", provider="mock", observation=observation)
    assert ok and reason.startswith("lexical check")
    mock_judge = services(tmp_path, "http://127.0.0.1:9/v1", {"model": "mock", "forced": True})
    _, _, reason = await check("faithfulness", observation=obs(services=mock_judge, variant="a"))
    assert reason.startswith("lexical check")


# loading: bad values are one line with file:line

SET = """name: rag
cases:
  - id: a
    input: Can I return my order?
    assert:
      - type: context-recall
        value: [returns-policy]
      - type: {type}
{extra}
"""


@pytest.mark.parametrize(
    ("type_", "extra", "message"),
    [
        ("context-recall", "", r":8: case 'a': context-recall: 'value' must be a list of ids"),
        (
            "context-precision",
            "        value: []",
            r":9: case 'a': context-precision: 'value' must",
        ),
        (
            "context-precision",
            "        value: [faq, 3]",
            r":9: .*context-precision: 'value' must be a list of ids .*each id a non-empty string",
        ),
        (
            "context-recall",
            "        value: [faq]\n        threshold: 2",
            r":9: .*context-recall: 'threshold' is a share, from 0 to 1",
        ),
        ("faithfulness", "        value: gpt-4o", r":9: case 'a': faithfulness: takes no 'value'"),
        (
            "faithfulness",
            "        provider: openai:gpt-4o",
            r":8: .*faithfulness: provider 'openai:gpt-4o' is promptfoo's spelling",
        ),
        ("citation-correctness", "        value: {a: 1}", r":9: .*citation-correctness: 'value'"),
    ],
)
def test_bad_values_are_refused_at_load_time(tmp_path, type_, extra, message):
    from workbench.core.evals.loader import load_set
    from workbench.errors import ConfigError

    path = tmp_path / "rag.yaml"
    path.write_text(SET.format(type=type_, extra=extra))
    with pytest.raises(ConfigError, match=message) as caught:
        load_set(path)
    assert "\n" not in str(caught.value)


def test_the_four_types_load(tmp_path):
    from workbench.core.evals.loader import load_set

    path = tmp_path / "rag.yaml"
    extra = (
        "      - faithfulness\n"
        "      - {type: faithfulness, provider: gpt-4o-mini, threshold: 0.8}\n"
        "      - {type: context-precision, value: [returns-policy#1, shipping]}\n"
        "      - {type: citation-correctness, value: returns-policy}\n"
        "      - citation-correctness"
    )
    path.write_text(SET.format(type="context-recall", extra="        value: faq\n" + extra))
    (case,) = load_set(path).cases
    assert [a.type for a in case.assertions] == [
        "context-recall",
        "context-recall",
        "faithfulness",
        "faithfulness",
        "context-precision",
        "citation-correctness",
        "citation-correctness",
    ]

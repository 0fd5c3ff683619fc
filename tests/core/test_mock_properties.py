"""Property tests: any JSON body is either accepted or refused with an ``ApiError``, and the
mock's generated values and embeddings keep their promises."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.mock_sdk import TOOLS
from workbench.core.mock.api_errors import ApiError
from workbench.core.mock.constraints import Constraints
from workbench.core.mock.embeddings import embed
from workbench.core.mock.engine import decide
from workbench.core.mock.loader import RuleBook
from workbench.core.mock.responses_api import ResponseStore, to_chat
from workbench.core.mock.schema import Respond, Rule
from workbench.core.mock.validation import validate_chat

SCALARS = (
    st.none() | st.booleans() | st.integers(-300, 300) | st.floats(-3, 3) | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "model",
        "messages",
        "tools",
        "tool_choice",
        "response_format",
        "n",
        "max_tokens",
        "stop",
        "logprobs",
        "top_logprobs",
        "parallel_tool_calls",
        "stream",
        "stream_options",
        "seed",
        "temperature",
        "logit_bias",
        "input",
        "instructions",
        "text",
        "max_output_tokens",
    ]
)
BODIES = st.dictionaries(FIELDS, JSON, max_size=8) | st.builds(
    lambda extra: {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "where is order 5?"}],
        "tools": TOOLS,
        **extra,
    },
    st.dictionaries(FIELDS, JSON, max_size=3),
)
BOOK = RuleBook(
    rules=(
        Rule(id="call", respond=Respond(tool_calls=[{"name": "lookup_order"}])),
        Rule(id="default", respond=Respond(text="plain")),
    )
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_any_body_is_accepted_or_refused_cleanly(body):
    try:
        validate_chat(body)
    except ApiError as problem:
        assert problem.status == 400 and problem.message
        return
    # What validation lets through, the rules can always answer within its constraints.
    constraints = Constraints.of(body)
    decision = decide(BOOK, body, "k", constraints=constraints)
    calls = decision.message.get("tool_calls") or []
    assert {c["function"]["name"] for c in calls} <= set(constraints.tools.offered)
    if constraints.tools.mode in ("required", "named"):
        assert calls


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_any_responses_body_converts_or_is_refused_cleanly(body):
    try:
        validate_chat(to_chat(body, ResponseStore()))
    except ApiError as problem:
        assert problem.status in (400, 404)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.integers(1, 64))
def test_embeddings_are_unit_length_and_repeatable(text, size):
    vector = embed(text, size)
    assert len(vector) == size
    assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-9)
    assert embed(text, size) == vector

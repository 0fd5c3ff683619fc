"""Answering a chat-completions request from the rules: ``n`` choices shaped by the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.mock import openai_format as wire
from workbench.core.mock import sampling
from workbench.core.mock.constraints import Constraints
from workbench.core.mock.engine import Decision, decide
from workbench.core.mock.loader import RuleBook
from workbench.core.mock.usage import completion_tokens, prompt_tokens, usage_object


@dataclass
class Answer:
    """The ``chat.completion`` body and the decision behind its first choice."""

    body: dict[str, Any]
    decision: Decision


def draw_seed(mock_seed: int, body: dict) -> int | str:
    """The seed of the rules' random draws: the mock's, mixed with the request's ``seed``."""
    return mock_seed if body.get("seed") is None else f"{mock_seed}:{body['seed']}"


def first_decision(book: RuleBook, body: dict, key: str, mock_seed: int) -> Decision:
    """The decision answering the first choice (it also decides latency and faults)."""
    return decide(book, body, key, draw_seed(mock_seed, body), Constraints.of(body))


def answer(
    book: RuleBook, body: dict, key: str, *, mock_seed: int, priced_as: str, first: Decision
) -> Answer:
    """A ``chat.completion`` for a valid request: one shaped choice per ``n``, with usage."""
    constraints = Constraints.of(body)
    seed = draw_seed(mock_seed, body)
    count = body.get("n") or 1
    choices, spent = [], 0
    overrides = first.usage
    for index in range(count):
        # Each choice draws on its own, so random branches differ between choices.
        decision = first if index == 0 else decide(book, body, f"{key}:{index}", seed, constraints)
        choice, tokens = _choice(index, decision, body, priced_as, f"{key}:{index}")
        choices.append(choice)
        spent += tokens
    prompt = overrides.get("prompt_tokens")
    if prompt is None:
        prompt = prompt_tokens(priced_as, body)
    completion = overrides.get("completion_tokens", spent)
    usage = usage_object(prompt, completion)
    result = wire.completion(
        id=f"chatcmpl-{key[:24]}",
        model=priced_as,
        choices=choices,
        usage=usage,
        fingerprint=sampling.fingerprint(priced_as),
    )
    return Answer(result, first)


def _choice(
    index: int, decision: Decision, body: dict, model: str, key: str
) -> tuple[dict[str, Any], int]:
    message = dict(decision.message)
    finish = decision.finish_reason
    content = message.get("content")
    if isinstance(content, str):
        content, stopped = sampling.cut_at_stop(content, sampling.stop_sequences(body))
        if stopped:
            finish = "stop"
        message["content"] = content
    tokens = completion_tokens(model, message)
    limit = sampling.token_limit(body)
    if limit is not None and tokens > limit:
        message, tokens, finish = _truncated(model, message, limit), limit, "length"
    logprobs = None
    if body.get("logprobs"):
        entries = sampling.logprob_entries(
            model, message.get("content") or "", body.get("top_logprobs") or 0, key
        )
        logprobs = {"content": entries, "refusal": None}
    message.setdefault("refusal", None)
    choice = {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}
    return choice, tokens


def _truncated(model: str, message: dict, limit: int) -> dict:
    """The message cut to ``limit`` tokens: its text first, then tool-call arguments."""
    out = dict(message)
    budget = limit
    text = out.get("content")
    if isinstance(text, str) and text:
        out["content"], _ = sampling.truncate(model, text, budget)
        budget -= len(sampling.encode(model, out["content"]))
    calls = []
    for call in out.get("tool_calls") or []:
        # A model that ran out of tokens never started the calls after that point.
        if budget <= 0:
            break
        function = dict(call["function"])
        function["arguments"], cut = sampling.truncate(model, function["arguments"], budget)
        budget -= len(sampling.encode(model, function["arguments"]))
        calls.append({**call, "function": function})
        if cut:
            break
    out.pop("tool_calls", None)
    if calls:
        out["tool_calls"] = calls
    return out

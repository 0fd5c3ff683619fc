"""Warming the model client libraries a child has loaded, so its first turn pays only the turn.

A project's ``warm_up`` loads its own code and calls its router offline
(``mock_response``), which skips what only a real answer exercises: the OpenAI
SDK builds the pydantic schemas of its response types on the first response it
parses (tens of ms, more at load), litellm builds its own response types likewise
and resolves a model's provider the first time it sees it. The child runs these
after the project's ``warm_up``, without importing anything new or calling any model.
"""

from __future__ import annotations

import contextlib
import copy
import sys
from typing import Any

# The largest response shapes a chat turn parses: a tool call, usage with its details.
_TOOL_CALL = {"id": "call", "type": "function", "function": {"name": "f", "arguments": "{}"}}
_USAGE = {
    "prompt_tokens": 1,
    "completion_tokens": 1,
    "total_tokens": 2,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
_COMPLETION: dict[str, Any] = {
    "id": "warm-up",
    "object": "chat.completion",
    "created": 0,
    "model": "warm-up",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "logprobs": None,
            "message": {"role": "assistant", "content": None, "tool_calls": [_TOOL_CALL]},
        }
    ],
    "usage": _USAGE,
}
_CHUNK: dict[str, Any] = {
    "id": "warm-up",
    "object": "chat.completion.chunk",
    "created": 0,
    "model": "warm-up",
    "choices": [
        {
            "index": 0,
            "finish_reason": None,
            "logprobs": None,
            "delta": {
                "role": "assistant",
                "content": "",
                "tool_calls": [{**_TOOL_CALL, "index": 0}],
            },
        }
    ],
    "usage": _USAGE,
}


def warm_clients(request: dict[str, Any]) -> list[str]:
    """Warm what the loaded client libraries do on a turn's first answer; the names of the
    libraries warmed. Libraries the child has not imported are left alone (never imported)."""
    warmed: list[str] = []
    openai = sys.modules.get("openai")
    if openai is not None:
        with contextlib.suppress(Exception):  # another SDK version: only the first turn is slower
            from openai.types.chat import ChatCompletion, ChatCompletionChunk

            # The SDK parses responses with ``construct`` (no validation), which builds each
            # nested type's schema on first use; ``model_validate`` would not warm that path.
            ChatCompletion.construct(**_COMPLETION)
            ChatCompletionChunk.construct(**_CHUNK)
            warmed.append("openai")
    litellm = sys.modules.get("litellm")
    model = request.get("model")
    if litellm is not None and isinstance(model, str) and model:
        with contextlib.suppress(Exception):  # a model litellm cannot place fails in the turn
            litellm.get_llm_provider(model=model, api_base=request.get("api_base"))
            # litellm turns each answer into its own response types, built on first use too.
            litellm.ModelResponse(**copy.deepcopy(_COMPLETION))
            warmed.append("litellm")
    return warmed

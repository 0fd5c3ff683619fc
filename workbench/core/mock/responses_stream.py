"""The server-sent events that stream a Responses API answer, in the order the API sends them."""

from __future__ import annotations

import copy
from typing import Any

from workbench.core.mock.openai_format import ARGUMENT_PIECE
from workbench.core.mock.sampling import pieces


def events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """``response.created`` ... ``response.completed`` (or ``.incomplete``) for ``response``."""
    out: list[dict[str, Any]] = []

    def emit(kind: str, **fields: Any) -> None:
        out.append({"type": kind, "sequence_number": len(out), **fields})

    start = {**copy.deepcopy(response), "status": "in_progress", "output": [], "usage": None}
    start["incomplete_details"] = None
    emit("response.created", response=start)
    emit("response.in_progress", response=start)
    for index, item in enumerate(response["output"]):
        if item["type"] == "message":
            _message(emit, index, item)
        else:
            _function_call(emit, index, item)
    final = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    emit(final, response=response)
    return out


def _message(emit, index: int, item: dict) -> None:
    emit(
        "response.output_item.added",
        output_index=index,
        item={**item, "status": "in_progress", "content": []},
    )
    for number, part in enumerate(item["content"]):
        ids = {"item_id": item["id"], "output_index": index, "content_index": number}
        emit("response.content_part.added", **ids, part={**part, "text": ""})
        for piece in pieces(part["text"]) if part["text"] else []:
            emit("response.output_text.delta", **ids, delta=piece, logprobs=[])
        emit("response.output_text.done", **ids, text=part["text"], logprobs=[])
        emit("response.content_part.done", **ids, part=part)
    emit("response.output_item.done", output_index=index, item=item)


def _function_call(emit, index: int, item: dict) -> None:
    emit(
        "response.output_item.added",
        output_index=index,
        item={**item, "arguments": "", "status": "in_progress"},
    )
    arguments = item["arguments"]
    for start in range(0, len(arguments), ARGUMENT_PIECE):
        emit(
            "response.function_call_arguments.delta",
            item_id=item["id"],
            output_index=index,
            delta=arguments[start : start + ARGUMENT_PIECE],
        )
    emit(
        "response.function_call_arguments.done",
        item_id=item["id"],
        output_index=index,
        name=item["name"],
        arguments=arguments,
    )
    emit("response.output_item.done", output_index=index, item=item)

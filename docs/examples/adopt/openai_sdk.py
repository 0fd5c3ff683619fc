"""A plain OpenAI SDK agent under the adapter contract: one tool, a loop until it answers."""

import json
import os

from openai import OpenAI
from openinference.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument()  # LLM spans with tokens, sent where OTEL_* points

SYSTEM_PROMPT = "You are a shop assistant. Look orders up before answering about them."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Look up an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


def get_order_status(order_id: str) -> dict:
    """The order's status (a stand-in for your order system)."""
    return {"order_id": order_id, "status": "delivered"}


def answer(question, history=None, *, model="gpt-4o-mini", base_url=None, api_key=None):
    """Answer one message; the workbench fills every parameter by its name."""
    client = OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY"))
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        *(history or []),
        {"role": "user", "content": question},
    ]
    for _ in range(5):
        reply = client.chat.completions.create(model=model, messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = get_order_status(**json.loads(call.function.arguments or "{}"))
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    return "Sorry, I could not finish that."

"""A pydantic-ai agent under the adapter contract: an OpenAI-compatible model per run."""

from openinference.instrumentation.openai import OpenAIInstrumentor
from pydantic_ai import Agent
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

OpenAIInstrumentor().instrument()  # or Agent(..., instrument=True): OTel GenAI spans

INSTRUCTIONS = "You are a shop assistant. Look orders up before answering about them."


def get_order_status(order_id: str) -> str:
    """Look up an order by its number."""
    return f"order {order_id}: delivered"


def earlier(history):
    """The workbench's ``[{"role", "content"}]`` history as pydantic-ai messages."""
    messages = []
    for item in history or []:
        if item["role"] == "user":
            messages.append(ModelRequest(parts=[UserPromptPart(content=item["content"])]))
        elif item["role"] == "assistant":
            messages.append(ModelResponse(parts=[TextPart(content=item["content"])]))
    return messages


async def reply(message, history=None, *, model_name=None, base_url=None, api_key=None):
    """Answer one message; without the workbench the provider reads OPENAI_* variables."""
    provider = OpenAIProvider(base_url=base_url, api_key=api_key)
    agent = Agent(
        OpenAIChatModel(model_name or "gpt-4o-mini", provider=provider),
        instructions=INSTRUCTIONS,
        tools=[get_order_status],
    )
    result = await agent.run(message, message_history=earlier(history))
    return result.output

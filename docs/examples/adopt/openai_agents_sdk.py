"""An OpenAI Agents SDK agent under the adapter contract: the whole request in one dict."""

from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI
from openinference.instrumentation.openai import OpenAIInstrumentor

set_tracing_disabled(True)  # the SDK's own traces go to OpenAI's dashboard; spans come from:
OpenAIInstrumentor().instrument()  # (or openinference-instrumentation-openai-agents)

INSTRUCTIONS = "You are a shop assistant. Look orders up before answering about them."


@function_tool
def get_order_status(order_id: str) -> str:
    """Look up an order by its number."""
    return f"order {order_id}: delivered"


async def run_turn(request):
    """One turn; ``api_base``, ``api_key`` and ``model_name`` are None outside the workbench."""
    client = AsyncOpenAI(base_url=request["api_base"], api_key=request["api_key"])
    agent = Agent(
        name="support",
        instructions=INSTRUCTIONS,
        tools=[get_order_status],
        model=OpenAIChatCompletionsModel(
            model=request["model_name"] or "gpt-4o-mini", openai_client=client
        ),
    )
    result = await Runner.run(
        agent, [*request["history"], {"role": "user", "content": request["message"]}]
    )
    return result.final_output

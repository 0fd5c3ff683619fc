"""A LangGraph agent under the adapter contract: the graph keeps each thread's conversation."""

import operator
import os
from typing import Annotated, Any, TypedDict

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import END, START, StateGraph
from openinference.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument()


class State(TypedDict):
    messages: Annotated[list[dict[str, Any]], operator.add]
    model: str
    api_base: str | None
    api_key: str | None


def call_model(state: State) -> dict[str, Any]:
    """The model node: the conversation so far, to the model the run chose."""
    response = litellm.completion(
        model=state["model"],
        messages=state["messages"],
        api_base=state["api_base"],
        api_key=state["api_key"],
    )
    return {"messages": [{"role": "assistant", "content": response.choices[0].message.content}]}


def build_graph():
    graph = StateGraph(State)
    graph.add_node("model", call_model)
    graph.add_edge(START, "model")
    graph.add_edge("model", END)
    return graph.compile(checkpointer=MemorySaver())


GRAPH = build_graph()


def ask(question, thread_id="default", *, model="openai/gpt-4o-mini", api_base=None, api_key=None):
    """Answer in the conversation ``thread_id`` (the workbench passes its session id)."""
    state = GRAPH.invoke(
        {
            "messages": [{"role": "user", "content": question}],
            "model": model,
            "api_base": api_base,
            "api_key": api_key,
        },
        config={"configurable": {"thread_id": thread_id}},
    )
    return state["messages"][-1]["content"]

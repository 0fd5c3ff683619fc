"""A plain litellm agent under the adapter contract: the model string and address from a run."""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no price-map download

import litellm
from openinference.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument()  # litellm calls OpenAI-compatible servers through openai

SYSTEM_PROMPT = "You are a concise, friendly assistant."


def chat(message, history=None, *, model="openai/gpt-4o-mini", api_base=None, api_key=None):
    """Answer one message: litellm's model string, with ``api_base`` as litellm names it."""
    response = litellm.completion(
        model=model,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            *(history or []),
            {"role": "user", "content": message},
        ],
        api_base=api_base,
        api_key=api_key,
    )
    return response.choices[0].message.content or ""

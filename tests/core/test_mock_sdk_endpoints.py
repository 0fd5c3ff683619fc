"""The mock's embeddings and Responses API through the official ``openai`` SDK."""

from __future__ import annotations

import json
import math

import jsonschema
import openai
import pytest
from pydantic import BaseModel

from tests.core.mock_sdk import serve

MODEL = "gpt-4o-mini"
EMBEDDER = "text-embedding-3-small"
LOOKUP = {
    "type": "function",
    "name": "lookup_order",
    "description": "Look up an order",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    for _server, sdk in serve(tmp_path_factory.mktemp("sdk-endpoints")):
        yield sdk


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_are_deterministic_unit_vectors_where_similar_texts_are_close(client):
    texts = [
        "How do I return my order?",
        "how can I return an order",
        "The weather in Paris is sunny today",
    ]
    # The SDK asks for base64 unless told otherwise; both encodings give the same numbers.
    base64 = client.embeddings.create(model=EMBEDDER, input=texts)
    floats = client.embeddings.create(model=EMBEDDER, input=texts, encoding_format="float")
    vectors = [item.embedding for item in floats.data]
    assert [item.index for item in floats.data] == [0, 1, 2]
    assert all(len(v) == 1536 for v in vectors)
    assert all(abs(math.sqrt(cosine(v, v)) - 1) < 1e-9 for v in vectors)
    for coded, plain in zip(base64.data, floats.data, strict=True):
        assert max(abs(x - y) for x, y in zip(coded.embedding, plain.embedding, strict=True)) < 1e-6
    assert cosine(vectors[0], vectors[1]) > 0.5 > cosine(vectors[0], vectors[2])
    again = client.embeddings.create(model=EMBEDDER, input=texts[0], encoding_format="float")
    assert again.data[0].embedding == vectors[0]
    assert floats.usage.prompt_tokens == floats.usage.total_tokens > 10
    assert floats.model == EMBEDDER


def test_embeddings_honour_dimensions_and_refuse_what_the_api_refuses(client):
    small = client.embeddings.create(model=EMBEDDER, input="hi", dimensions=64)
    assert len(small.data[0].embedding) == 64
    large = client.embeddings.create(model="text-embedding-3-large", input="hi")
    assert len(large.data[0].embedding) == 3072
    with pytest.raises(openai.BadRequestError) as fixed:
        client.embeddings.create(model="text-embedding-ada-002", input="hi", dimensions=64)
    assert fixed.value.body["param"] == "dimensions"
    with pytest.raises(openai.BadRequestError) as empty:
        client.embeddings.create(model=EMBEDDER, input=[])
    assert empty.value.body["param"] == "input"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-9", input="hi")


def test_responses_text_turn(client):
    response = client.responses.create(model=MODEL, input="hello", instructions="Be brief.")
    assert response.status == "completed"
    assert response.output_text == "Hello! How can I help you today?"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_responses_function_call_turn_and_its_result(client):
    first = client.responses.create(model=MODEL, input="where is order 41?", tools=[LOOKUP])
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "lookup_order" and json.loads(call.arguments) == {"order_id": "41"}
    result = {"type": "function_call_output", "call_id": call.call_id, "output": '{"ok": 1}'}
    history = [{"role": "user", "content": "where is order 41?"}, call.model_dump(), result]
    second = client.responses.create(model=MODEL, input=history, tools=[LOOKUP])
    assert second.output_text == "Order shipped on Monday."
    # previous_response_id continues the stored conversation instead.
    follow = client.responses.create(
        model=MODEL, previous_response_id=first.id, input=[result], tools=[LOOKUP]
    )
    assert follow.output_text == "Order shipped on Monday."
    none = client.responses.create(
        model=MODEL, input="where is order 41?", tools=[LOOKUP], tool_choice="none"
    )
    assert none.output_text == "I cannot look up order 41 without tools."


class Weather(BaseModel):
    city: str
    temperature_c: int
    conditions: str


def test_responses_structured_output_parses(client):
    parsed = client.responses.parse(model=MODEL, input="weather?", text_format=Weather)
    assert parsed.output_parsed == Weather(city="Paris", temperature_c=21, conditions="sunny")
    schema = Weather.model_json_schema()
    jsonschema.validate(json.loads(parsed.output_text), schema)


def test_responses_max_output_tokens_makes_an_incomplete_answer(client):
    response = client.responses.create(model=MODEL, input="a story", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 16
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="a story", max_output_tokens=3)
    assert caught.value.body["param"] == "max_output_tokens"


def test_responses_validation_names_responses_params(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input=[{"role": "robot", "content": "hi"}])
    assert caught.value.body["param"] == "input[0].role"
    with pytest.raises(openai.BadRequestError) as unnamed:
        client.responses.create(
            model=MODEL, input="hi", text={"format": {"type": "json_schema", "schema": {}}}
        )
    assert unnamed.value.body["param"] == "text.format.name"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-nope", input="hi")
    with pytest.raises(openai.NotFoundError) as unknown:
        client.responses.create(model=MODEL, input="hi", previous_response_id="resp_nope")
    assert unknown.value.body["param"] == "previous_response_id"


def test_responses_stream_text_and_function_calls(client):
    with client.responses.stream(model=MODEL, input="tell me a story") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) > 3 and "".join(deltas) == final.output_text
    assert final.output_text.startswith("Once upon a time")
    with client.responses.stream(
        model=MODEL, input="where is order 9?", tools=[LOOKUP], tool_choice="required"
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in kinds
    call = final.output[-1]
    assert call.type == "function_call" and json.loads(call.arguments) == {"order_id": "9"}

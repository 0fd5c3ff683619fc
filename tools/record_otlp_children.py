"""The child half of tools/record_otlp_fixtures.py: one library records one turn.

Run as ``python tools/record_otlp_children.py CONVENTION API_BASE ENDPOINT`` in a
fresh process (instrumentations patch the ``openai`` SDK for good): it instruments
the SDK (or litellm) with the convention's real library, exporting OTLP/HTTP
protobuf to ENDPOINT, runs one two-step turn against the mock at API_BASE, and
flushes every signal.
"""

from __future__ import annotations

import json
import os
import sys
import time

SYSTEM = "You are a weather assistant. Use the tools."
QUESTION = "What is the weather in Paris?"
ANSWER = "It is 18°C and sunny in Paris."
TOOL_RESULT = '{"city": "Paris", "temp_c": 18, "sky": "sunny"}'
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _turn_messages(tool_call_id: str, arguments: str) -> list[dict]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": tool_call_id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": tool_call_id, "content": TOOL_RESULT},
    ]


def _sdk_providers(endpoint: str, service: str):
    """Tracer, logger and meter providers exporting OTLP/HTTP protobuf to ``endpoint``."""
    from opentelemetry import _logs, metrics, trace
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": service})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
    )
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"))
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"), export_interval_millis=3_600_000
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    trace.set_tracer_provider(tracer_provider)
    _logs.set_logger_provider(logger_provider)
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, logger_provider, meter_provider


def _openai_turn(api_base: str) -> None:
    """One turn through the official openai SDK: a tool call, then the answer."""
    import openai

    client = openai.OpenAI(base_url=api_base, api_key="mock-key", max_retries=0)
    messages = _turn_messages("", "")[:2]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    second = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=_turn_messages(call.id, call.function.arguments),
        tools=TOOLS,
    )
    assert second.choices[0].message.content == ANSWER, second


def _litellm_turn(api_base: str) -> None:
    """The same turn through litellm.completion."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    litellm.callbacks = ["otel"]
    common = {"model": "openai/gpt-4o-mini", "api_base": api_base, "api_key": "mock-key"}
    messages = _turn_messages("", "")[:2]
    first = litellm.completion(messages=messages, tools=TOOLS, **common)
    call = first.choices[0].message.tool_calls[0]
    second = litellm.completion(
        messages=_turn_messages(call.id, call.function.arguments), tools=TOOLS, **common
    )
    assert second.choices[0].message.content == ANSWER, second


def _wrapt_module_keyword() -> None:
    """opentelemetry-instrumentation-openai-v2 2.3b0 calls wrapt 1's ``module=`` keyword,
    which wrapt 2 renamed ``target``; 2.4b0 needs an opentelemetry-util-genai not yet
    released. Only the call is adapted: what the library records is untouched."""
    import wrapt

    original = wrapt.wrap_function_wrapper

    def wrap_function_wrapper(target=None, name=None, wrapper=None, module=None):
        return original(target if target is not None else module, name, wrapper)

    wrapt.wrap_function_wrapper = wrap_function_wrapper


def _genai_semconv_turn(api_base: str, tracer_provider, logger_provider, meter_provider) -> None:
    """The turn through the openai SDK, recorded by OpenTelemetry's own GenAI helper
    (opentelemetry-util-genai's TelemetryHandler): the current semconv, with messages as
    ``gen_ai.input.messages`` / ``gen_ai.output.messages`` span attributes."""
    os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_AND_EVENT"
    import openai
    from opentelemetry.util.genai.handler import TelemetryHandler
    from opentelemetry.util.genai.types import (
        InputMessage,
        OutputMessage,
        TextPart,
        ToolCallRequestPart,
        ToolCallResponsePart,
    )

    handler = TelemetryHandler(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
    )
    client = openai.OpenAI(base_url=api_base, api_key="mock-key", max_retries=0)

    def to_parts(message: dict) -> list:
        parts: list = []
        if message["role"] == "tool":
            return [ToolCallResponsePart(response=message["content"], id=message["tool_call_id"])]
        if message.get("content"):
            parts.append(TextPart(content=message["content"]))
        for call in message.get("tool_calls") or []:
            parts.append(
                ToolCallRequestPart(
                    name=call["function"]["name"],
                    arguments=json.loads(call["function"]["arguments"]),
                    id=call["id"],
                )
            )
        return parts

    def call(messages: list[dict]):
        with handler.inference("openai", request_model="gpt-4o-mini") as invocation:
            invocation.input_messages = [
                InputMessage(role=m["role"], parts=to_parts(m))
                for m in messages
                if m["role"] != "system"
            ]
            invocation.system_instructions = [TextPart(content=SYSTEM)]
            response = client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, tools=TOOLS
            )
            choice = response.choices[0]
            reply = choice.message.model_dump(exclude_none=True)
            invocation.output_messages = [
                OutputMessage(
                    role="assistant", parts=to_parts(reply), finish_reason=choice.finish_reason
                )
            ]
            invocation.response_model_name = response.model
            invocation.response_id = response.id
            invocation.finish_reasons = [choice.finish_reason]
            invocation.input_tokens = response.usage.prompt_tokens
            invocation.output_tokens = response.usage.completion_tokens
        return response

    first = call(_turn_messages("", "")[:2])
    tool_call = first.choices[0].message.tool_calls[0]
    second = call(_turn_messages(tool_call.id, tool_call.function.arguments))
    assert second.choices[0].message.content == ANSWER, second


def record_child(convention: str, api_base: str, endpoint: str) -> None:
    """In a fresh process: instrument with ``convention``'s library, run a turn, flush."""
    service = f"weather-agent-{convention}"
    if convention == "litellm":
        os.environ.update(
            {
                "OTEL_EXPORTER": "otlp_http",
                "OTEL_ENDPOINT": endpoint,
                "OTEL_SERVICE_NAME": service,
                "LITELLM_OTEL_INTEGRATION_ENABLE_EVENTS": "true",
                "LITELLM_OTEL_INTEGRATION_ENABLE_METRICS": "true",
            }
        )
        _litellm_turn(api_base)
        # litellm logs from a background thread: give it the time to hand its spans over.
        time.sleep(3)
        from opentelemetry import _logs, metrics, trace

        for provider in (trace.get_tracer_provider(), _logs.get_logger_provider()):
            flush = getattr(provider, "force_flush", None)
            if flush:
                flush()
        meter_flush = getattr(metrics.get_meter_provider(), "force_flush", None)
        if meter_flush:
            meter_flush()
        return
    tracer_provider, logger_provider, meter_provider = _sdk_providers(endpoint, service)
    if convention == "genai-semconv":
        _genai_semconv_turn(api_base, tracer_provider, logger_provider, meter_provider)
    elif convention == "genai-events":
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
        _wrapt_module_keyword()
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            meter_provider=meter_provider,
        )
    elif convention == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OIInstrumentor

        OIInstrumentor().instrument(tracer_provider=tracer_provider)
    elif convention in ("openllmetry", "openllmetry-legacy"):
        os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as TLInstrumentor

        TLInstrumentor().instrument(
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            meter_provider=meter_provider,
        )
    else:
        raise SystemExit(f"unknown convention {convention!r}")
    if convention != "genai-semconv":
        _openai_turn(api_base)
    tracer_provider.force_flush()
    logger_provider.force_flush()
    meter_provider.force_flush()


if __name__ == "__main__":
    record_child(*sys.argv[1:4])

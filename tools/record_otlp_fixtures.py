"""Record the OTLP exports of real GenAI instrumentation libraries as test fixtures.

Usage (from the repository root, in the workbench's venv)::

    pip install openinference-instrumentation-openai opentelemetry-instrumentation-openai \
        opentelemetry-instrumentation-openai-v2
    python tools/record_otlp_fixtures.py [CONVENTION ...]

It starts ``workbench mock serve`` on a free port with two rules (the first call of
a turn gets a ``get_weather`` tool call, the call after the tool result gets text),
and a tiny local HTTP server that captures every OTLP request. Then, for each
convention, a fresh child process instruments the ``openai`` SDK (or litellm) with
the real library, exporting over OTLP/HTTP protobuf to the capture server, and runs
one two-step turn. The raw request bodies are written to
``tests/fixtures/otlp/<convention>/<signal>-<n>.pb`` (signal: traces, logs,
metrics), replacing what was there. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "otlp"
CONVENTIONS = (
    "genai-semconv",
    "genai-events",
    "openinference",
    "openllmetry",
    "openllmetry-legacy",
    "litellm",
)
# OpenLLMetry before 0.53 spread messages over gen_ai.prompt.N.* / gen_ai.completion.N.*
# (many agents still pin such a release): recorded with this one, installed aside.
LEGACY_OPENLLMETRY = (
    "opentelemetry-instrumentation-openai==0.52.6",
    "opentelemetry-semantic-conventions-ai==0.4.13",
)
SIGNALS = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}

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
RULES = f"""\
rules:
  - id: weather-tool
    when:
      user: {{contains: weather}}
      tool_results: false
    respond:
      tool_calls:
        - name: get_weather
          arguments: {{city: Paris}}
  - id: weather-answer
    when:
      tool_results: true
    respond:
      text: "{ANSWER}"
"""
CONFIG = """\
[project]
name = "weather-agent"
package = "weather_agent"

[agent]
entry = "weather_agent.entry:run_turn"
"""


class _Capture(BaseHTTPRequestHandler):
    """Keeps every POST body, answering like an OTLP server that accepted everything."""

    captured: list[tuple[str, bytes]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.lock:
            self.captured.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


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
        raise SystemExit(f"unknown convention {convention!r}; choose from {CONVENTIONS}")
    if convention != "genai-semconv":
        _openai_turn(api_base)
    tracer_provider.force_flush()
    logger_provider.force_flush()
    meter_provider.force_flush()


def _start_mock(project: Path) -> tuple[subprocess.Popen, str]:
    from workbench.core.serving import free_port

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "mock",
            "serve",
            "--project",
            str(project),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "WORKBENCH_HOME": str(project / ".home")},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, f"{base}/v1"
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the mock did not start")


def record(conventions: list[str]) -> None:
    """Record every convention in ``conventions`` into tests/fixtures/otlp/."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "workbench.toml").write_text(CONFIG)
        (project / "mocks").mkdir()
        (project / "mocks" / "weather.yaml").write_text(RULES)
        mock, api_base = _start_mock(project)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for convention in conventions:
                _Capture.captured.clear()
                env = {key: value for key, value in os.environ.items() if "OTEL" not in key}
                if convention == "openllmetry-legacy":
                    env["PYTHONPATH"] = _install_aside(Path(tmp) / "legacy", LEGACY_OPENLLMETRY)
                subprocess.run(
                    [sys.executable, __file__, "--child", convention, api_base, endpoint],
                    check=True,
                    env=env,
                )
                _write(convention, list(_Capture.captured))
        finally:
            server.shutdown()
            mock.terminate()
            mock.wait(timeout=10)


def _install_aside(target: Path, requirements: tuple[str, ...]) -> str:
    """Install ``requirements`` (without their dependencies) into ``target``; return it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            *requirements,
        ],
        check=True,
    )
    return str(target)


def _write(convention: str, captured: list[tuple[str, bytes]]) -> None:
    folder = FIXTURES / convention
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.pb"):
        old.unlink()
    counts: dict[str, int] = {}
    for path, body in captured:
        signal = SIGNALS.get(path)
        if signal is None or not body:
            continue
        counts[signal] = counts.get(signal, 0) + 1
        (folder / f"{signal}-{counts[signal]}.pb").write_bytes(body)
    print(f"{convention}: {json.dumps(counts)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        record_child(*sys.argv[2:5])
    else:
        record(sys.argv[1:] or list(CONVENTIONS))

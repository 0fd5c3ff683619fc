"""Project- and store-backed grading: python assertions in a subprocess, traces, prompts, watch."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.core.collector.sink import write_spans
from workbench.core.evals.engine import EvalEngine
from workbench.core.evals.observation import Observation
from workbench.core.evals.services import EvalServices, read_prompts
from workbench.core.evals.tracefacts import StoreTraceSource
from workbench.core.evals.watch import run_diff
from workbench.store.db import connect
from workbench.store.schema.spans import SPAN_COLUMNS

TRACE = "0123456789abcdef" * 2


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src" / "shopchecks").mkdir(parents=True)
    (tmp_path / "src" / "shopchecks" / "__init__.py").write_text(
        "import os\n\ndef pid_is_not_mine(output, context):\n"
        "    return {'pass': True, 'score': 1.0, 'reason': str(os.getpid())}\n"
    )
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "checks.py").write_text(
        textwrap.dedent("""
        def get_assert(output, context):
            print("noise on stdout must not break the protocol")
            return 0.75 if context["vars"].get("x") == 1 else 0.25

        def boom(output, context):
            raise ValueError("bad input")
    """)
    )
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.yaml").write_text(
        "current: v1\nversions:\n  v1: You are v1.\n  v2: {text: You are v2.}\n"
    )
    return tmp_path


async def test_python_assertions_run_in_a_subprocess(project):
    services = EvalServices(project, project / "src")
    try:
        ok, _, reason = await services.python_check(
            "shopchecks:pid_is_not_mine", "out", {"vars": {}}
        )
        assert ok and int(reason) != os.getpid()
        assert await services.python_check("evals/checks.py", "o", {"vars": {"x": 1}}) == (
            True,
            0.75,
            "score 0.75",
        )
        assert (await services.python_check("file://evals/checks.py", "o", {"vars": {}}))[
            0
        ] is False
        with pytest.raises(RuntimeError, match="ValueError: bad input"):
            await services.python_check("evals/checks.py:boom", "o", {})
        with pytest.raises(RuntimeError, match="ModuleNotFoundError"):
            await services.python_check("nowhere:fn", "o", {})
    finally:
        await services.close()


async def test_prompts_and_the_mock_judge(project):
    assert read_prompts(project / "prompts" / "system.yaml") == {
        "v1": "You are v1.",
        "v2": "You are v2.",
        "__current__": "You are v1.",
    }
    services = EvalServices(project, project / "src", judges={"a": {"source": "mock"}})
    assert services.system_prompt("v2") == "You are v2."
    assert services.system_prompt(None) == "You are v1."
    observation = Observation(
        output="Refunds arrive in 5 to 7 business days", status="ok", latency_ms=1, variant="a"
    )
    ok, _, reason = await services.judge(
        "Refunds arrive within 5 to 7 business days",
        observation.output,
        provider=None,
        observation=observation,
    )
    assert ok and reason.startswith("mock judge")


def span_row(span_id, kind, start, name, tool=None, arguments=None):
    values = dict.fromkeys(SPAN_COLUMNS)
    attributes = {}
    if tool:
        attributes = {"gen_ai.tool.name": tool, "gen_ai.tool.call.arguments": json.dumps(arguments)}
    values.update(
        trace_id=TRACE,
        span_id=span_id,
        name=name,
        kind=kind,
        service="demo",
        status="ok",
        start_ns=start,
        end_ns=start + 10,
        duration_ms=0.01,
        tool_name=tool,
        attributes=json.dumps(attributes),
        resource="{}",
        input_tokens=10 if kind == "llm" else None,
        output_tokens=5 if kind == "llm" else None,
        cost_usd=0.001 if kind == "llm" else None,
    )
    return tuple(values[column] for column in SPAN_COLUMNS)


async def test_trace_facts_come_from_the_stored_spans_in_start_order():
    db = connect()
    with db.conn:
        write_spans(
            db,
            [
                span_row("a" * 16, "agent", 1, "invoke_agent demo"),
                span_row(
                    "b" * 16,
                    "tool",
                    30,
                    "execute_tool check",
                    "check_return_eligibility",
                    {"order_id": "1"},
                ),
                span_row(
                    "c" * 16, "tool", 20, "execute_tool lookup", "lookup_order", {"order_id": "1"}
                ),
                span_row("d" * 16, "llm", 10, "chat m"),
                span_row("e" * 16, "llm", 40, "chat m"),
            ],
        )
    source = StoreTraceSource(wait_s=0.2)
    try:
        facts = await source.facts([TRACE])
        assert [call.name for call in facts.tool_calls] == [
            "lookup_order",
            "check_return_eligibility",
        ]
        assert facts.tool_calls[0].arguments == {"order_id": "1"}
        assert (facts.llm_calls, facts.input_tokens, facts.output_tokens) == (2, 20, 10)
        assert facts.cost_usd == pytest.approx(0.002)
        assert await source.facts(["f" * 32]) is None
    finally:
        source.close()


async def test_watch_describes_what_changed_between_runs(tmp_path):
    first = plan_for(tmp_path, variants=("a",))
    await EvalEngine(FakeRunner(agent)).run(first)

    def better(request):
        result = agent(request)
        if "tool_calls" in result:
            result["tool_calls"].append({"name": "check_return_eligibility", "arguments": {}})
        return result

    second = plan_for(tmp_path, variants=("a",))
    await EvalEngine(FakeRunner(better)).run(second)
    (line,) = run_diff(connect(), first.run_id, second.run_id)
    assert line == "a: pass rate 60% → 100%; now passing: return-1, return-2"

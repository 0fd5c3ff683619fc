"""Each static analyzer on small fixture code: a passing and a failing variant, with evidence."""

from __future__ import annotations

from tests.core.test_readiness_fixtures import make_project
from workbench.core.readiness import checks_cost as cost
from workbench.core.readiness import checks_deployment as dep
from workbench.core.readiness import checks_observability as obs
from workbench.core.readiness import checks_reliability as rel
from workbench.core.readiness import checks_safety as saf
from workbench.core.readiness.probes.health import probe_health

LLM_OK = """
import litellm
from litellm.router import RetryPolicy

def build(settings):
    return litellm.Router(
        model_list=[],
        fallbacks=[{"a": ["b"]}],
        num_retries=3,
        retry_policy=RetryPolicy(RateLimitErrorRetries=3, BadRequestErrorRetries=0),
        timeout=settings.llm_timeout_s,
        cooldown_time=30,
    )
"""

LLM_NO_RETRY = """
from litellm import Router

def build(settings):
    return Router(model_list=[], timeout=settings.llm_timeout_s)
"""

API = """
from fastapi import APIRouter, Depends, FastAPI
from fastapi.security import APIKeyHeader

header = APIKeyHeader(name="X-API-Key")

def require_key(key: str = Depends(header)) -> str:
    return key

app = FastAPI()
agent = APIRouter(prefix="/agent", dependencies=[Depends(require_key)])

@app.get("/healthz")
async def healthz():
    return {"status": "ok"}

@app.get("/readiness")
async def readiness():
    return {"checks": {}}

@agent.post("/run")
async def run():
    return {}

app.include_router(agent)
"""


def test_retry_config_found_with_file_and_line(tmp_path):
    ctx = make_project(tmp_path, {"src/mini/agents/llm.py": LLM_OK})
    evidence, _ = rel.retry_config(ctx)
    assert any(e.startswith("src/mini/agents/llm.py:6: Router(num_retries=3)") for e in evidence)


def test_retry_config_missing_gives_hint_naming_the_router_file(tmp_path):
    ctx = make_project(tmp_path, {"src/mini/agents/llm.py": LLM_NO_RETRY})
    evidence, hint = rel.retry_config(ctx)
    assert evidence == []
    assert "num_retries=" in hint and "src/mini/agents/llm.py" in hint
    assert "HTTP status" in hint  # a class-based RetryPolicy retried litellm 1.110's 403s


def test_routes_with_prefix_and_auth_dependency_chain(tmp_path):
    ctx = make_project(tmp_path, {"src/mini/api.py": API})
    routes = {(r.method, r.path) for r in ctx.source.routes}
    assert {("GET", "/healthz"), ("GET", "/readiness"), ("POST", "/agent/run")} <= routes
    verdict = saf.check_api_auth(ctx)
    assert verdict.status == "pass"
    assert any("POST /agent/run requires require_key -> header" in e for e in verdict.evidence)


def test_open_post_route_fails_auth(tmp_path):
    code = API.replace(", dependencies=[Depends(require_key)]", "")
    verdict = saf.check_api_auth(make_project(tmp_path, {"src/mini/api.py": code}))
    assert verdict.status == "fail"
    assert "src/mini/api.py:21: POST /agent/run has no auth dependency" in verdict.evidence


def test_missing_readiness_route_fails_the_health_item_statically(tmp_path):
    code = API.replace('@app.get("/readiness")', '@app.get("/ready-ish")')
    verdict = probe_health(make_project(tmp_path, {"src/mini/api.py": code}))
    assert verdict.status == "fail"
    assert "GET /readiness" in verdict.hint and "src/mini/api.py" in verdict.hint
    assert "src/mini/api.py:13: GET /healthz" in verdict.evidence


def test_health_routes_present_but_not_probed_is_a_warning(tmp_path):
    verdict = probe_health(make_project(tmp_path, {"src/mini/api.py": API}))
    assert verdict.status == "warn"
    assert "src/mini/api.py:17: GET /readiness" in verdict.evidence


def test_circuit_breaker_created_and_used(tmp_path):
    code = """
    import pybreaker
    breaker = pybreaker.CircuitBreaker(fail_max=5)

    async def call(tool):
        with breaker.calling():
            return await tool()
    """
    verdict = rel.check_circuit_breakers(
        make_project(tmp_path, {"src/mini/tools/registry.py": code})
    )
    assert verdict.status == "pass"
    assert verdict.evidence[0] == "src/mini/tools/registry.py:3: pybreaker.CircuitBreaker()"


def test_circuit_breaker_missing_or_unused(tmp_path):
    assert rel.check_circuit_breakers(make_project(tmp_path, {})).status == "fail"
    code = "import pybreaker\nbreaker = pybreaker.CircuitBreaker()\n"
    verdict = rel.check_circuit_breakers(make_project(tmp_path, {"src/mini/tools/r.py": code}))
    assert verdict.status == "fail" and "never used" in verdict.hint


def test_timeouts_need_llm_tool_and_session(tmp_path):
    tools = """
    import asyncio
    async def call(tool, args):
        async with asyncio.timeout(tool.timeout_s):
            return await tool.func(args)
    """
    agent_loop = """
    async def run(router, messages):
        for step in range(8):
            reply = await router.acompletion(messages=messages)
            if reply:
                return reply
    """
    entry = """
    import asyncio
    from mini.agents.loop import run
    async def turn(settings, router, messages):
        async with asyncio.timeout(settings.session_timeout_s):
            return await run(router, messages)
    """
    files = {
        "src/mini/agents/llm.py": LLM_OK,
        "src/mini/tools/registry.py": tools,
        "src/mini/agents/loop.py": agent_loop,
    }
    verdict = rel.check_timeouts(make_project(tmp_path, files))
    assert verdict.status == "fail" and "the session" in verdict.hint
    files["src/mini/agents/entry.py"] = entry
    verdict = rel.check_timeouts(make_project(tmp_path, files))
    assert verdict.status == "pass"
    assert (
        "src/mini/agents/entry.py:5: timeout(settings.session_timeout_s) around the agent loop"
        in verdict.evidence
    )


def test_a_session_timeout_must_bound_the_loop_with_a_real_limit(tmp_path):
    tools = (
        "import asyncio\nasync def call(tool):\n"
        "    async with asyncio.timeout(1):\n        return 1\n"
    )
    loop = "async def run(router):\n    for step in range(8):\n        await router.acompletion()\n"
    around_other = (
        "import asyncio\nfrom mini.agents.loop import run\n"
        "async def turn(settings, router):\n"
        "    async with asyncio.timeout(settings.session_timeout_s):\n"
        "        await asyncio.sleep(0)\n"
        "    return await run(router)\n"
    )
    maybe_none = around_other.replace(
        "settings.session_timeout_s):\n        await asyncio.sleep(0)\n    return",
        "settings.session_timeout_s if False else None):\n        return",
    )
    for entry in (around_other, maybe_none):
        files = {
            "src/mini/agents/llm.py": LLM_OK,
            "src/mini/tools/registry.py": tools,
            "src/mini/agents/loop.py": loop,
            "src/mini/agents/entry.py": entry,
        }
        verdict = rel.check_timeouts(make_project(tmp_path / str(len(entry)), files))
        assert verdict.status == "fail" and "the session" in verdict.hint, entry


LOOP = """
from collections import Counter

async def run(limits, model, tools):
    seen = Counter()
    for step in range(limits.max_steps):
        call = await model()
        seen[call] += 1
        if seen[call] >= limits.loop_threshold:
            raise RuntimeError("loop")
"""


def test_step_limit_and_loop_detection(tmp_path):
    verdict = rel.check_step_limits(make_project(tmp_path, {"src/mini/agents/loop.py": LOOP}))
    assert verdict.status == "pass"
    assert "src/mini/agents/loop.py:6: range(limits.max_steps)" in verdict.evidence
    assert any(e.startswith("src/mini/agents/loop.py:9: stops when") for e in verdict.evidence)


def test_step_limit_without_loop_detection_fails(tmp_path):
    code = LOOP.replace("        if seen[call] >= limits.loop_threshold:\n", "").replace(
        '            raise RuntimeError("loop")\n', ""
    )
    verdict = rel.check_step_limits(make_project(tmp_path, {"src/mini/agents/loop.py": code}))
    assert verdict.status == "fail" and "detect loops" in verdict.hint
    unbounded = "async def run(model):\n    while True:\n        await model()\n"
    verdict = rel.check_step_limits(make_project(tmp_path, {"src/mini/agents/loop.py": unbounded}))
    assert verdict.status == "fail" and "max_steps" in verdict.hint


TOOLS = """
from dataclasses import dataclass
from enum import StrEnum

class Risk(StrEnum):
    LOW = "low"
    HIGH = "high"

@dataclass
class Tool:
    name: str
    func: object
    risk: Risk = Risk.LOW
    timeout_s: float = 5.0
    idempotency_key: object = None

def refund_key(args):
    return args.order_id

TOOLS = [
    Tool("lookup", print, timeout_s=2.0),
    Tool("refund", print, Risk.HIGH, idempotency_key=refund_key),
]

def execute(tool, args):
    key = tool.idempotency_key(args) if tool.idempotency_key else None
    if tool.risk == Risk.HIGH:
        return "pending_approval"
    return key
"""


def test_idempotent_writes_and_human_approval(tmp_path):
    ctx = make_project(tmp_path, {"src/mini/tools/base.py": TOOLS})
    verdict = rel.check_idempotent_writes(ctx)
    assert verdict.status == "pass"
    assert verdict.evidence[0] == "src/mini/tools/base.py:22: refund idempotency_key=refund_key"
    assert saf.check_human_approval(ctx).status == "pass"


def test_write_tool_without_idempotency_key_fails(tmp_path):
    code = TOOLS.replace(", idempotency_key=refund_key", "")
    verdict = rel.check_idempotent_writes(make_project(tmp_path, {"src/mini/tools/base.py": code}))
    assert verdict.status == "fail"
    assert list(verdict.evidence) == [
        "src/mini/tools/base.py:22: refund (risk high) has no idempotency key"
    ]


WORKFLOW = """\
name: ci
on:
  pull_request:
  push:
    branches: [main]
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          pip install -e .
          workbench eval . --gate
  deploy:
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: workbench eval . --set full --gate
"""


def test_eval_gate_in_every_ci_stage(tmp_path):
    ctx = make_project(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    verdict = dep.check_eval_gate_ci(ctx)
    assert verdict.status == "pass"
    assert any(
        e.startswith(".github/workflows/ci.yml:13: `workbench eval . --gate`")
        for e in verdict.evidence
    )


def test_eval_without_gate_or_missing_stage_fails(tmp_path):
    ctx = make_project(tmp_path, {".github/workflows/ci.yml": WORKFLOW.replace(" --gate", "")})
    verdict = dep.check_eval_gate_ci(ctx)
    assert verdict.status == "fail"
    assert (
        ".github/workflows/ci.yml:13: `workbench eval .` runs evals without --gate"
        in verdict.evidence
    )


def test_a_project_without_ci_fails_and_is_told_that_ship_writes_it(tmp_path):
    verdict = dep.check_eval_gate_ci(make_project(tmp_path, {}))
    assert verdict.status == "fail"
    assert "no .github/workflows/ in the project" in verdict.evidence
    assert "workbench ship" in verdict.hint


RUNBOOK = """\
# Runbook

## Rollback

1. Redeploy the previous image tag.
2. Set the prompt `current` back to the previous version.

## Incident response

Nothing yet.
"""


def test_runbook_sections(tmp_path):
    ctx = make_project(tmp_path, {"RUNBOOK.md": RUNBOOK})
    verdict = dep.check_rollback_documented(ctx)
    assert verdict.status == "pass"
    assert list(verdict.evidence) == ["RUNBOOK.md:3: ## Rollback (2 steps)"]
    incident = obs.check_incident_runbook(ctx)
    assert incident.status == "fail" and list(incident.evidence) == [
        "RUNBOOK.md:8: ## Incident response"
    ]
    assert saf.check_incident_plan(ctx).status == "fail"


PROMPTS = """\
current: v2
versions:
  v1: You are a support agent.
  v2: You are a careful support agent.
changelog:
  - version: v1
    change: first
  - version: v2
    change: careful
"""


def test_prompt_versioning(tmp_path):
    tracing = 'PROMPT_VERSION = "workbench.prompt_version"\n'
    use = (
        "from . import tracing\n\n"
        "def tag(span, v):\n"
        "    span.set_attribute(tracing.PROMPT_VERSION, v)\n"
    )
    files = {
        "prompts/system.yaml": PROMPTS,
        "src/mini/tracing.py": tracing,
        "src/mini/agent.py": use,
    }
    verdict = dep.check_prompt_versioning(make_project(tmp_path, files))
    assert verdict.status == "pass"
    assert "src/mini/agent.py:4: spans record workbench.prompt_version" in verdict.evidence
    files["prompts/system.yaml"] = PROMPTS.replace("  - version: v2\n    change: careful\n", "")
    verdict = dep.check_prompt_versioning(make_project(tmp_path, files))
    assert verdict.status == "fail" and "changelog entry" in verdict.hint and "v2" in verdict.hint


def test_structured_logs_and_tracing(tmp_path):
    logs = """
    import structlog
    def configure():
        structlog.configure(processors=[structlog.contextvars.merge_contextvars,
                                        structlog.processors.JSONRenderer()])
    def get_logger():
        return structlog.get_logger()
    """
    agent = """
    from .logs import get_logger
    log = get_logger()
    def turn():
        log.info("turn_done", steps=1)
    """
    ctx = make_project(tmp_path, {"src/mini/logs.py": logs, "src/mini/agent.py": agent})
    assert obs.check_structured_logs(ctx).status == "pass"
    plain = logs.replace("structlog.processors.JSONRenderer()", "structlog.dev.ConsoleRenderer()")
    verdict = obs.check_structured_logs(make_project(tmp_path, {"src/mini/logs.py": plain}))
    assert verdict.status == "fail" and "JSONRenderer" in verdict.hint
    assert obs.check_tracing(ctx).status == "fail"


def test_routing_caching_and_cost_alerts(tmp_path):
    routing = (
        "def route(settings, simple):\n"
        "    return settings.cheap_model() if simple else settings.strong_model()\n"
    )
    cache = """
    class ResponseCache:
        def get(self, key): ...
        def put(self, key, value): ...
    def get_cache():
        return ResponseCache()
    """
    llm = "from .cache import get_cache\n\ndef call():\n    return get_cache().get('k')\n"
    budget = "def alerts(limits):\n    return sorted(limits.alert_thresholds)\n"
    files = {
        "src/mini/routing.py": routing,
        "src/mini/cache.py": cache,
        "src/mini/llm.py": llm,
        "src/mini/budget.py": budget,
    }
    ctx = make_project(tmp_path, files)
    assert cost.check_model_routing(ctx).status == "pass"
    caching = cost.check_caching(ctx)
    assert caching.status == "pass" and "src/mini/llm.py:4: get_cache()" in caching.evidence
    assert cost.check_cost_alerts(ctx).status == "pass"
    bare = make_project(tmp_path / "bare", {}, toml=TOML_WITHOUT_LIMITS)
    assert cost.check_cost_alerts(bare).status == "fail"
    assert cost.check_model_routing(bare).status == "fail"
    assert cost.check_caching(bare).status == "fail"


TOML_WITHOUT_LIMITS = """\
[project]
name = "bare"
package = "mini"

[agent]
entry = "mini.agent:run_turn"
"""


def test_guardrails_called_recorded_and_tested(tmp_path):
    guardrails = """
    VERDICT = "workbench.guardrail.verdict"
    def check_input(text): ...
    def check_output(text): ...
    def record(span, verdict):
        span.set_attribute(VERDICT, verdict)
    """
    agent = (
        "from . import guardrails\n\n"
        "def turn(t):\n"
        "    guardrails.check_input(t)\n"
        "    return guardrails.check_output(t)\n"
    )
    files = {"src/mini/guardrails.py": guardrails, "src/mini/agent.py": agent}
    verdict = saf.check_guardrails(make_project(tmp_path, files))
    assert verdict.status == "fail" and "tests/test_guardrails.py" in verdict.hint
    files["tests/test_guardrails.py"] = "from mini.guardrails import check_input\n"
    verdict = saf.check_guardrails(make_project(tmp_path, files))
    assert verdict.status == "pass"
    assert verdict.evidence[0] == "src/mini/agent.py:4: check_input()"


def test_feedback_channel_and_secrets(tmp_path):
    feedback = API + '\n@app.post("/feedback")\nasync def feedback():\n    return {}\n'
    files = {
        "src/mini/api.py": feedback,
        ".env.template": "OPENAI_API_KEY=\n",
        ".gitignore": ".env\n",
    }
    ctx = make_project(tmp_path, files)
    assert saf.check_feedback_channel(ctx).status == "pass"
    assert saf.check_secrets(ctx).status == "pass"
    files.update({"src/mini/api.py": API, ".env.template": "OPENAI_API_KEY=sk-live-123\n"})
    ctx = make_project(tmp_path, files)
    assert saf.check_feedback_channel(ctx).status == "fail"
    secrets = saf.check_secrets(ctx)
    assert secrets.status == "fail" and ".env.template:1: Secret Keyword" in secrets.evidence


def test_feature_flags_declared_and_read(tmp_path):
    settings = (
        "from pydantic import BaseModel\n\nclass Features(BaseModel):\n    refunds: bool = True\n"
    )
    use = "def tools(settings):\n    return ['refund'] if settings.features.refunds else []\n"
    ctx = make_project(tmp_path, {"src/mini/settings.py": settings, "src/mini/tools.py": use})
    verdict = dep.check_feature_flags(ctx)
    assert (
        verdict.status == "pass" and "src/mini/tools.py:2: reads flag `refunds`" in verdict.evidence
    )
    assert dep.check_feature_flags(make_project(tmp_path / "none", {})).status == "fail"

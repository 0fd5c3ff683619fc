"""The mutations: at least one per automated readiness item (static and dynamic)."""

from __future__ import annotations

from tests.readiness.mutations import PKG, Edit, Mutation

M = Mutation

STATIC: tuple[Mutation, ...] = (
    # Reliability
    M(
        "reliability.circuit-breakers",
        "breaker-created-never-used",
        (
            Edit(
                f"{PKG}/tools/registry.py",
                "with self.breakers[tool.name].calling():",
                "if self.breakers[tool.name] is not None:",
            ),
        ),
        r"never used",
    ),
    M(
        "reliability.timeouts",
        "session-timeout-may-be-none",
        (
            Edit(
                f"{PKG}/agents/entry.py",
                "asyncio.timeout(settings.session_timeout_s)",
                "asyncio.timeout(settings.session_timeout_s if False else None)",
            ),
        ),
        r"the session: bound the whole turn",
    ),
    M(
        "reliability.timeouts",
        "session-timeout-removed-name-kept",
        (
            Edit(
                f"{PKG}/agents/entry.py",
                "asyncio.timeout(settings.session_timeout_s)",
                "contextlib.nullcontext(settings.session_timeout_s)",
            ),
            Edit(
                f"{PKG}/agents/entry.py", "import asyncio\n", "import asyncio\nimport contextlib\n"
            ),
        ),
        r"the session: bound the whole turn",
    ),
    M(
        "reliability.timeouts",
        "no-llm-timeout",
        (Edit(f"{PKG}/agents/llm.py", r"^\s*timeout=timeout,\n", "", regex=True),),
        r"LLM calls: pass `timeout=`",
    ),
    M(
        "reliability.idempotent-writes",
        "uuid4-key",
        (
            Edit(
                f"{PKG}/tools/shop.py",
                "idempotency_key=canonical_arguments",
                "idempotency_key=lambda args: uuid.uuid4().hex",
            ),
        ),
        r"uuid\.uuid4\(\) in the key",
    ),
    M(
        "reliability.idempotent-writes",
        "write-tool-without-key",
        (Edit(f"{PKG}/tools/shop.py", "idempotency_key=canonical_arguments,", ""),),
        r"issue_refund \(risk high\) has no idempotency key",
    ),
    # Deployment
    M(
        "deployment.eval-gate-ci",
        "no-workflows",
        (Edit(".github", delete=True),),
        r"no \.github/workflows/ in the project",
    ),
    M(
        "deployment.eval-gate-ci",
        "gate-flag-dropped",
        (
            Edit(
                ".github/workflows/pre-merge.yml",
                r"(workbench eval[^\n]*?) --gate",
                r"\1",
                regex=True,
            ),
        ),
        r"runs evals without --gate",
    ),
    M(
        "deployment.rollback-documented",
        "no-rollback-section",
        (Edit("RUNBOOK.md", "## Rollback", "## Previous versions"),),
        r"Rollback",
    ),
    M(
        "deployment.feature-flags",
        "flags-never-read",
        (
            Edit(
                f"{PKG}/agents/entry.py",
                r"settings\.features\.response_cache\s+and ",
                "",
                regex=True,
            ),
        ),
        r"no code reads them",
    ),
    M(
        "deployment.prompt-versioning",
        "version-without-changelog",
        (Edit("prompts/system.yaml", "  - version: v1\n", "  - version: v0\n"),),
        r"changelog entry .* for v1",
    ),
    M(
        "deployment.locked-dependencies",
        "lock-deleted",
        (Edit("requirements.lock", delete=True),),
        r"requirements\.lock: missing",
    ),
    M(
        "deployment.locked-dependencies",
        "dependency-added-after-locking",
        (Edit("pyproject.toml", "dependencies = [\n", 'dependencies = [\n    "leftpad>=1.0",\n'),),
        r"stale|leftpad",
    ),
    M(
        "deployment.shared-state",
        "redis-client-dropped",
        (Edit("pyproject.toml", '    "redis>=5",\n', ""),),
        r"Redis client",
    ),
    M(
        "deployment.shared-state",
        "autoscaler-over-sqlite",
        (
            Edit("workbench.toml", 'state = "redis"', 'state = "sqlite"'),
            Edit(
                "k8s/base/hpa.yaml",
                new="apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: {}\n",
                append=True,
            ),
        ),
        r"HorizontalPodAutoscaler",
    ),
    # Observability
    M(
        "observability.structured-logs",
        "console-renderer",
        (
            Edit(
                f"{PKG}/infra/logs.py",
                "structlog.processors.JSONRenderer()",
                "structlog.dev.ConsoleRenderer()",
            ),
            Edit(
                f"{PKG}/infra/logs.py",
                "structlog.processors.JSONRenderer()",
                "structlog.dev.ConsoleRenderer()",
            ),
        ),
        r"JSONRenderer",
    ),
    M(
        "observability.tracing",
        "no-otlp-export",
        (Edit(f"{PKG}/infra/tracing.py", "exporter = OTLPSpanExporter(", "exporter = dict("),),
        r"OTLPSpanExporter",
    ),
    M(
        "observability.incident-runbook",
        "no-incident-section",
        (Edit("RUNBOOK.md", "## Incident response", "## Notes"),),
        r"Incident",
    ),
    # Cost
    M(
        "cost.monitoring-alerts",
        "thresholds-never-acted-on",
        (
            Edit(
                f"{PKG}/infra/budget.py",
                "sorted(self.limits.alert_thresholds)",
                "sorted(())",
            ),
        ),
        r"alert_thresholds",
    ),
    M(
        "cost.monitoring-alerts",
        "no-dollar-limits",
        (
            Edit("workbench.toml", r"^usd_per_day = .*\n", "", regex=True),
            Edit("workbench.toml", r"^usd_per_month = .*\n", "", regex=True),
        ),
        r"no daily or monthly limit",
    ),
    # Safety
    M(
        "safety.incident-plan",
        "no-safety-section",
        (Edit("RUNBOOK.md", "## Safety incidents", "## Other incidents"),),
        r"Safety incidents",
    ),
    M(
        "safety.feedback-channel",
        "feedback-route-removed",
        (Edit(f"{PKG}/api/app.py", '@app.post("/feedback", status_code=202)\n', ""),),
        r"POST /feedback",
    ),
    M(
        "safety.secrets",
        "openai-key-in-settings",
        (
            Edit(
                f"{PKG}/infra/settings.py",
                "llm_api_key: str | None = None",
                'llm_api_key: str | None = "sk-proj-Q7vX2mN9pL4kR8sT1wY6zB3cD5fG0hJ2aE7uI9oP4qW"',
            ),
        ),
        r"infra/settings\.py:\d+: (Secret Keyword|OpenAI Token|Base64 High Entropy String)",
    ),
    M(
        "safety.secrets",
        "token-in-prompt",
        (
            Edit(
                "prompts/system.yaml",
                "",
                '\nnotes: "deploy with ghp_8kF3nR7tY2wQ9xZ4vB6mC1pL5sD0aH3jK7eG"\n',
                append=True,
            ),
        ),
        r"prompts/system\.yaml:\d+: GitHub Token",
    ),
    M(
        "safety.secrets",
        "aws-key-in-generated-workflow",
        (
            Edit(
                ".github/workflows/deploy.yml",
                "",
                "env:\n  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLF\n",
                append=True,
            ),
        ),
        r"\.github/workflows/deploy\.yml:\d+: AWS Access Key",
    ),
    M(
        "safety.evals",
        "safety-gate-below-100",
        (Edit("workbench.toml", "safety = 1.0", "safety = 0.9"),),
        r"safety = 0\.9",
    ),
)

DYNAMIC: tuple[Mutation, ...] = (
    M(
        "safety.api-auth",
        "if-true-or",
        (
            Edit(
                f"{PKG}/api/security.py",
                "    if not key:\n        return None\n",
                "    if not key:\n        return None\n    if True or not key:\n"
                '        return Caller(rate_limit_key(key), "client", None)\n',
            ),
        ),
        r"with a wrong key -> (200|202|422)",
        dynamic=True,
    ),
    M(
        "safety.human-approval",
        "gate-deleted",
        (
            Edit(
                f"{PKG}/tools/registry.py",
                "if tool.risk.needs_approval and not approved:",
                "if False:",
            ),
        ),
        r"executed without anyone's approval",
        dynamic=True,
    ),
    M(
        "safety.human-approval",
        "gate-inverted",
        (
            Edit(
                f"{PKG}/tools/registry.py",
                "if tool.risk.needs_approval and not approved:",
                "if not (tool.risk.needs_approval and not approved):",
            ),
        ),
        r"executed without anyone's approval",
        dynamic=True,
    ),
    M(
        "safety.human-approval",
        "refund-downgraded-to-medium",
        (Edit(f"{PKG}/tools/shop.py", "Risk.HIGH,", "Risk.MEDIUM,"),),
        r"issue_refund.*executed without anyone's approval",
        dynamic=True,
    ),
    M(
        "safety.human-approval",
        "client-key-approves",
        (
            Edit(
                f"{PKG}/api/security.py",
                '    if caller.role != "approver":\n        raise HTTPException(status_code=403',
                '    if caller.role not in ("approver", "client"):\n'
                "        raise HTTPException(status_code=403",
            ),
        ),
        r"with the requesting client's key -> 20\d",
        dynamic=True,
    ),
    M(
        "safety.request-limits",
        "no-body-cap",
        (
            Edit(
                f"{PKG}/infra/settings.py",
                "max_body_bytes: int = 1_048_576",
                "max_body_bytes: int = 10**12",
            ),
        ),
        r"30 MiB body .* -> (200|422)",
        dynamic=True,
    ),
    M(
        "safety.guardrails",
        "injection-check-skipped",
        (
            Edit(
                f"{PKG}/infra/guardrails.py",
                "    for pattern in INJECTION_PATTERNS:",
                "    for pattern in INJECTION_PATTERNS[:0]:",
            ),
        ),
        r"injection as the message -> 200, turn ok",
        dynamic=True,
    ),
    M(
        "safety.session-isolation",
        "sessions-not-namespaced",
        (
            Edit(
                f"{PKG}/agents/entry.py",
                "return f\"{caller['id']}:{session_id}\" if caller else session_id",
                "return session_id",
            ),
        ),
        r"client B's turn with the same session id saw [1-9]",
        dynamic=True,
    ),
    M(
        "reliability.step-limits",
        "no-step-limit-names-kept",
        (
            Edit(
                f"{PKG}/agents/loop.py",
                "for step in range(1, limits.max_steps + 1):",
                "for step in range(1, limits.max_steps * 10**6 + 1):",
            ),
        ),
        r"new arguments every step: .*not stopped within|stopped after \d{2,} steps",
        dynamic=True,
    ),
    M(
        "reliability.step-limits",
        "loop-detection-disabled-names-kept",
        (
            Edit(
                f"{PKG}/agents/loop.py",
                "if seen[signature] >= limits.loop_threshold:",
                "if seen[signature] >= limits.loop_threshold and False:",
            ),
        ),
        r"same arguments each step -> stopped after \d+ calls",
        dynamic=True,
    ),
    M(
        "cost.model-routing",
        "routing-removed-names-kept",
        (
            Edit(
                f"{PKG}/agents/routing.py",
                "elif is_simple(text, settings.cheap_max_chars):",
                "elif False and is_simple(text, settings.cheap_max_chars):",
            ),
        ),
        r"simple request -> openai/gpt-4o\b",
        dynamic=True,
    ),
    M(
        "cost.caching",
        "cache-never-hits-names-kept",
        (
            Edit(
                f"{PKG}/infra/cache.py",
                'value = await self.state.cache_get(f"response:{key}")',
                "value = None",
            ),
        ),
        r"the same request twice -> 1 model call\(s\), then [1-9]",
        dynamic=True,
    ),
    M(
        "cost.dollar-caps",
        "dollar-caps-disabled",
        (
            Edit(
                f"{PKG}/infra/budget.py",
                "            if limit is not None:\n                caps[name] = limit\n",
                '            if limit is not None and not kind.startswith("usd"):\n'
                "                caps[name] = limit\n",
            ),
        ),
        r"usd_per_day cap of .*status (ok|error)",
        dynamic=True,
    ),
    M(
        "reliability.rate-limiting",
        "limiter-never-checked",
        (
            Edit(
                f"{PKG}/api/security.py",
                "    await request.app.state.rate_limiter.check(caller.id)\n    return caller\n",
                "    return caller\n",
            ),
        ),
        r"never 429",
        dynamic=True,
    ),
    M(
        "reliability.idempotent-writes",
        "claim-ignored",
        (
            Edit(
                f"{PKG}/tools/registry.py",
                "if not await state.claim_idempotency(key, ttl_s):",
                "if not await state.claim_idempotency(key, ttl_s) and False:",
            ),
        ),
        r"the retried request wrote again",
        dynamic=True,
    ),
    M(
        "reliability.hung-tool",
        "tool-timeout-ignored",
        (
            Edit(
                f"{PKG}/tools/registry.py",
                "async with asyncio.timeout(tool.timeout_s):",
                "async with asyncio.timeout(None):",
            ),
        ),
        r"never cut off",
        dynamic=True,
    ),
    M(
        "reliability.graceful-degradation",
        "fallbacks-dropped",
        (
            Edit(
                f"{PKG}/agents/llm.py",
                "fallbacks=[{target.primary: list(target.fallbacks)}] if target.fallbacks else [],",
                "fallbacks=[],",
            ),
        ),
        r"primary down \(HTTP 503\)",
        dynamic=True,
    ),
    M(
        "reliability.retries",
        "no-retry-config",
        (Edit(f"{PKG}/agents/llm.py", r"num_retries=[\w.]+,", "num_retries=0,", regex=True),),
        r"no retry configuration on the model calls",
        dynamic=True,
    ),
    M(
        "reliability.retries",
        "retries-zeroed-at-runtime-config-kept",
        (
            Edit(
                f"{PKG}/agents/llm.py",
                r"attempts\.host_class\(\)\(settings\.llm_num_retries\b",
                "attempts.host_class()(0",
                regex=True,
            ),
        ),
        r"the 429s were not retried|HTTP 429",
        dynamic=True,
    ),
    M(
        "reliability.health-probes",
        "readiness-route-renamed",
        (Edit(f"{PKG}/api/app.py", '@app.get("/readiness")', '@app.get("/ready")'),),
        r"no route GET /readiness",
        dynamic=True,
    ),
    M(
        "cost.session-budgets",
        "token-budget-ignored",
        (
            Edit(
                f"{PKG}/infra/budget.py",
                'if "tokens_per_session" in names:',
                'if "tokens_per_session" in names and False:',
            ),
        ),
        r"budget_exceeded|model calls",
        dynamic=True,
    ),
    M(
        "deployment.project-tests",
        "failing-test",
        (
            # The template's own suite is replaced by one passing and one failing test:
            # the probe must fail on a failing test among passing ones, and the template's
            # full suite (~40 s of CPU) proves nothing more here; it passes the probe in
            # tests/core/test_readiness_template.py.
            Edit("tests", delete=True),
            Edit(
                "tests/test_mutation_probe.py",
                "",
                "def test_order_total_is_checked():\n    assert 1 + 1 == 2\n\n\n"
                "def test_refund_total_is_checked():\n    assert 1 + 1 == 3\n",
                append=True,
            ),
        ),
        r"test_mutation_probe\.py::test_refund_total_is_checked",
        dynamic=True,
    ),
)

ALL = STATIC + DYNAMIC

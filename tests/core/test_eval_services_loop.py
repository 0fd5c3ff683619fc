"""Graders that need litellm import it off the event loop, so turns in flight are not held up
(their measured latency would carry the import's seconds)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.core.evals.observation import Observation
from workbench.core.evals.services import EvalServices


class _FakeLitellm:
    async def acompletion(self, **_: object) -> SimpleNamespace:
        message = SimpleNamespace(content='{"pass": true, "score": 1, "reason": "ok"}')
        return SimpleNamespace(choices=[SimpleNamespace(message=message)])

    async def aembedding(self, **kwargs: object) -> SimpleNamespace:
        return SimpleNamespace(data=[{"embedding": [1.0, 0.0]} for _ in kwargs["input"]])


@pytest.mark.parametrize("grader", ["judge", "embed"])
async def test_the_litellm_import_leaves_the_event_loop_running(
    tmp_path: Path, monkeypatch, grader: str
) -> None:
    released = threading.Event()
    seen: list[bool] = []

    def slow_import() -> _FakeLitellm:
        # Returns at once when the event loop could run meanwhile; after 10 s otherwise.
        seen.append(released.wait(timeout=10))
        return _FakeLitellm()

    monkeypatch.setattr("workbench.core.llm.import_litellm", slow_import)
    services = EvalServices(
        tmp_path,
        tmp_path,
        judges={"v": {"model": "openai/m", "api_base": "http://127.0.0.1:9/v1", "source": "real"}},
        env={},
    )
    obs = Observation(output="fine", status="ok", latency_ms=0.0, variant="v")

    async def release() -> None:
        await asyncio.sleep(0)
        released.set()

    if grader == "judge":
        call = services.judge("is fine", "fine", provider=None, observation=obs)
    else:
        call = services.embed(["fine", "ok"], provider=None, observation=obs)
    _, result = await asyncio.gather(release(), call)
    assert seen == [True]
    assert result

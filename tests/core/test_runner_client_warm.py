"""The child's warm-up also warms the loaded model clients (the first turn pays only the turn);
the child process imports none of the workbench's settings or config models."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.runner.pool import WorkerPool

# An agent that imports the OpenAI SDK and reports whether its response types' schemas are
# built: the SDK builds them on the first response it parses, i.e. during a first turn.
ENTRY = """
import openai
from openai.types.chat import ChatCompletionMessage


async def run_turn(request):
    return {"status": "ok", "built": ChatCompletionMessage.__pydantic_complete__}
"""


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """Only what the agent itself imports is loaded (no litellm preload)."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


def openai_project(root: Path):
    project = make_fake_project(root)
    (root / "src" / "fake_agent" / "agents" / "entry.py").write_text(ENTRY)
    return project


async def first_turn(project, *, warm: bool) -> dict:
    async with WorkerPool(project, size=1) as pool:
        if warm:
            assert await pool.warm_up({"model": "openai/gpt-4o-mini"}) == []
        outcome = await pool.run({"input": "hello", "session_id": "s"})
    assert outcome.ok, outcome.message
    return outcome.result or {}


def test_warm_up_builds_the_sdk_response_types_before_the_first_turn(tmp_path: Path) -> None:
    project = openai_project(tmp_path)
    assert asyncio.run(first_turn(project, warm=True))["built"] is True


def test_without_a_warm_up_the_first_turn_would_build_them(tmp_path: Path) -> None:
    """The check above can fail: a child that was not warmed has not built them."""
    project = openai_project(tmp_path)
    assert asyncio.run(first_turn(project, warm=False))["built"] is False


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_client_warm_up_imports_no_client_library_itself() -> None:
    out = run_python(
        "import sys\n"
        "from workbench.core.runner.client_warm import warm_clients\n"
        "print(warm_clients({'model': 'openai/gpt-4o-mini'}), "
        "'openai' in sys.modules, 'litellm' in sys.modules)"
    )
    assert out == "[] False False"


def test_the_child_imports_only_its_protocol_from_the_workbench() -> None:
    """The child's own imports sit on the critical path of every start (the project's
    imports wait for them): no settings, config models, pool or store."""
    out = run_python(
        "import sys, workbench.core.runner.child\n"
        "print(sorted(m for m in sys.modules if m.startswith('workbench')))"
    )
    loaded = set(eval(out))  # a printed list of module names
    assert "workbench.core.runner.protocol" in loaded
    assert not loaded & {
        "workbench.settings",
        "workbench.core.config",
        "workbench.core.projects",
        "workbench.core.runner.pool",
        "workbench.core.runner.worker",
    }


def test_the_runner_package_still_exports_its_names() -> None:
    from workbench.core import runner

    assert runner.WorkerPool is WorkerPool
    assert callable(runner.child_env) and callable(runner.run_turn_sync)
    with pytest.raises(AttributeError):
        runner.NoSuchName  # noqa: B018  # the attribute access is the test


@pytest.mark.slow
def test_warm_up_builds_litellms_response_types() -> None:
    """litellm (preloaded in real children) converts every answer into its own types."""
    out = run_python(
        "import os\n"
        "os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] = 'True'\n"
        "import litellm\n"
        "from litellm.types.utils import Message, Usage\n"
        "from workbench.core.runner.client_warm import warm_clients\n"
        "before = (Message.__pydantic_complete__, Usage.__pydantic_complete__)\n"
        "warmed = warm_clients({'model': 'openai/gpt-4o-mini', 'api_base': 'http://127.0.0.1:9/v1'})\n"
        "print(before, (Message.__pydantic_complete__, Usage.__pydantic_complete__), warmed)"
    )
    assert out == "(False, False) (True, True) ['openai', 'litellm']"

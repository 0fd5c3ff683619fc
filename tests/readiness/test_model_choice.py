"""``workbench check --model``: the chosen model is probed, and verdicts say which model."""

from __future__ import annotations

import pytest

from tests.readiness.mutations import explained
from workbench.core.mock import start_mock
from workbench.core.projects import open_project
from workbench.core.readiness.checklist import judge
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.modelchoice import ModelChoice
from workbench.core.readiness.registry import item
from workbench.core.serving import free_port

pytestmark = pytest.mark.slow


def _judge(root, item_id, choice):
    ctx = CheckContext(open_project(root), run_dynamic=True, model=choice)
    try:
        return judge(item(item_id), ctx)
    finally:
        ctx.close()


def test_an_unreachable_model_fails_its_own_item(rendered):
    dead = ModelChoice("openai/nobody-home", api_base=f"http://127.0.0.1:{free_port()}/v1")
    result = _judge(rendered, "reliability.model-reachable", dead)
    assert result.status == "fail", explained(result)
    assert "model: openai/nobody-home at http://127.0.0.1:" in explained(result)


def test_a_local_openai_compatible_server_is_probed_and_named(rendered):
    # The workbench's mock is an OpenAI-compatible server: here it plays the "real" model.
    server = start_mock()
    try:
        choice = ModelChoice("openai/local-model", api_base=server.api_base)
        before = server.state.calls
        result = _judge(rendered, "reliability.model-reachable", choice)
        assert result.status == "pass", explained(result)
        assert f"model: openai/local-model at {server.api_base}" in explained(result)
        assert server.state.calls > before  # the server saw the probe's requests
    finally:
        server.stop()


def test_missing_key_variable_is_a_clear_error(monkeypatch):
    from workbench.errors import WorkbenchError

    monkeypatch.delenv("WB_TEST_NO_SUCH_KEY", raising=False)
    with pytest.raises(WorkbenchError, match="WB_TEST_NO_SUCH_KEY"):
        ModelChoice("openai/x", api_key_env="WB_TEST_NO_SUCH_KEY").request_fields()

"""``workbench mock serve``: one-line errors with exit 2, and a real server in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import openai
import pytest
from click.testing import CliRunner

from tests.core.test_mock_server import RULES, TOOLS, make_project
from workbench.cli import cli


def test_a_bad_rule_file_is_one_line_naming_file_and_line(tmp_path):
    project = make_project(
        tmp_path / "p",
        "rules:\n  - id: ok\n    respond: {text: fine}\n  - id: bad\n    respnd: x\n",
    )
    result = CliRunner().invoke(cli, ["mock", "serve", "--project", str(project)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    where = f"error: {project / 'mocks' / 'rules.yaml'}:5: rules[1].respnd: "
    assert lines[0] == where + "unknown key (did you mean 'respond'?)"


def test_record_without_an_upstream_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_MOCK_UPSTREAM_MODEL", raising=False)
    project = make_project(tmp_path / "p", RULES)
    result = CliRunner().invoke(
        cli, ["mock", "serve", "--project", str(project), "--mode", "record"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "--upstream-model" in result.output


def test_a_fault_rate_above_one_is_refused(tmp_path):
    project = make_project(tmp_path / "p", RULES)
    args = ["mock", "serve", "--project", str(project), "--fault-rate", "1.5"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "between 0 and 1" in result.output


@pytest.mark.slow
def test_serve_prints_the_address_and_answers(tmp_path):
    project = make_project(tmp_path / "p", RULES)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "mock",
            "serve",
            "--project",
            str(project),
            "--latency-ms",
            "1",
            "--serve-model",
            "local-llama",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if line.startswith("press Ctrl+C") or not line:
                break
        output = "".join(lines)
        api_base = next(line.split()[-1] for line in lines if line.strip().startswith("api_base:"))
        assert 'model="openai/gpt-4o-mini"' in output and "latency 1 ms" in output
        body = {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "order 31"}],
            "tools": TOOLS,
        }
        reply = httpx.post(f"{api_base}/chat/completions", json=body, timeout=10).json()
        call = reply["choices"][0]["message"]["tool_calls"][0]["function"]
        assert json.loads(call["arguments"]) == {"order_id": "31"}
        assert "models:    gpt-4o-mini, local-llama" in output
        served = httpx.post(
            f"{api_base}/chat/completions", json={**body, "model": "local-llama"}, timeout=10
        )
        unknown = httpx.post(
            f"{api_base}/chat/completions", json={**body, "model": "gpt-nope"}, timeout=10
        )
        assert served.status_code == 200
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "model_not_found"
        # The official SDK against the CLI's server: tool_choice, limits and a 400.
        client = openai.OpenAI(base_url=api_base, api_key="mock", max_retries=0)
        ask = {"model": "gpt-4o-mini", "messages": body["messages"], "tools": TOOLS}
        quiet = client.chat.completions.create(**ask, tool_choice="none", max_tokens=3)
        assert quiet.choices[0].message.tool_calls is None
        assert quiet.choices[0].finish_reason == "length" and quiet.usage.completion_tokens == 3
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(**{**ask, "messages": [{"role": "bot", "content": "x"}]})
        assert caught.value.body["param"] == "messages[0].role"
    finally:
        process.terminate()
        process.wait(10)

"""``workbench eval import``: the table, the files written, one-line errors; and the imported
sets run end to end offline, against the workbench's mock, through a model-calling agent."""

from __future__ import annotations

import json
import textwrap
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from tests.conftest import REPO_ROOT
from workbench.cli import cli

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "promptfoo"

# An agent that sends each turn to the model it is given (litellm), with the variant's prompt.
MODEL_AGENT = '''
"""Calls the turn's model through litellm with the prompt version's system message."""
import pathlib

import litellm
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _system(version):
    path = ROOT / "prompts" / "system.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text()) or {}
    versions = data.get("versions") or {}
    return versions.get(version) or versions.get(data.get("current"))


async def run_turn(request):
    messages = []
    system = _system(request.get("prompt_version"))
    if system:
        messages.append({"role": "system", "content": system})
    value = request["input"]
    messages += value if isinstance(value, list) else [{"role": "user", "content": value}]
    options = dict(request.get("params") or {})
    if request.get("api_base"):
        options.update(api_base=request["api_base"], api_key="placeholder-not-a-key")
    response = await litellm.acompletion(model=request["model"], messages=messages, **options)
    choice = response.choices[0]
    return {
        "output": choice.message.content or "",
        "status": "ok",
        "steps": 1,
        "finish_reason": choice.finish_reason,
        "usage": {
            "input_tokens": response.usage.prompt_tokens,
            "output_tokens": response.usage.completion_tokens,
            "cost_usd": 0.0,
        },
    }
'''

RULES = """
rules:
  - id: judge
    when: {system: {contains: You are an eval judge}}
    respond: {text: '{"pass": true, "score": 1.0, "reason": "mock rule judge"}'}
  - id: french
    when: {user: {contains: French}}
    respond: {text: "Merci beaucoup ! Bonjour."}
  - id: german
    when: {user: {contains: German}}
    respond: {text: "Bis morgen! Guten Morgen."}
  - id: order-json
    when: {user: {contains: JSON}}
    respond: {text: 'Here it is: {"order_id": "12345", "status": "shipped"}'}
  - id: default
    respond: {text: "Hello! Our refund policy gives you 30 days. OK"}
"""


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "translator"
    (root / "src" / "translator").mkdir(parents=True)
    (root / "src" / "translator" / "__init__.py").write_text("")
    (root / "src" / "translator" / "agent.py").write_text(MODEL_AGENT)
    (root / "workbench.toml").write_text(
        '[project]\nname = "translator"\npackage = "translator"\n\n'
        '[agent]\nentry = "translator.agent:run_turn"\n'
    )
    (root / "prompts").mkdir()
    (root / "prompts" / "system.yaml").write_text(
        "current: v1\nversions:\n  v1: You translate and answer briefly.\n"
    )
    (root / "mocks").mkdir()
    (root / "mocks" / "rules.yaml").write_text(textwrap.dedent(RULES))
    return root


def invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args], terminal_width=200)


def test_import_prints_the_table_and_writes_set_variants_and_versions(project):
    result = invoke(
        "eval", "import", FIXTURES / "support" / "promptfooconfig.yaml", "--project", project
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "model-graded-closedqa" in out and "not converted" in out and "approximated" in out
    assert f"wrote {project / 'evals' / 'support.yaml'}" in out
    assert f"run: workbench eval {project} --set support" in out
    toml = (project / "workbench.toml").read_text()
    assert '[variants.gpt4o]\nmodel = "gpt-4o"\nprompt = "promptfoo-chat"' in toml
    assert "sk-should-never" not in toml + (project / "evals" / "support.yaml").read_text()
    assert "promptfoo-chat: |" in (project / "prompts" / "system.yaml").read_text()
    again = invoke(
        "eval", "import", FIXTURES / "support" / "promptfooconfig.yaml", "--project", project
    )
    assert again.exit_code == 2
    assert (
        again.stderr.strip()
        .splitlines()[-1]
        .endswith("exists; choose another --set or pass --force")
    )


def test_dry_run_writes_nothing(project):
    before = (project / "workbench.toml").read_text()
    result = invoke(
        "eval",
        "import",
        FIXTURES / "translate" / "promptfooconfig.yaml",
        "--project",
        project,
        "--dry-run",
    )
    assert result.exit_code == 0, result.output
    assert "dry run: would write" in result.output and "(12 cases)" in result.output
    assert not (project / "evals").exists()
    assert (project / "workbench.toml").read_text() == before


def test_a_broken_config_is_one_line_with_file_and_line(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text("prompts: ['{{q}}']\ntests:\n  - vars: {q: [unclosed\n")
    result = invoke("eval", "import", config, "--project", project)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {config}:") and "invalid YAML" in line


def _mock_serves_embeddings(api_base: str) -> bool:
    request = urllib.request.Request(
        f"{api_base}/embeddings",
        data=json.dumps({"model": "text-embedding-3-small", "input": ["x"]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer mock"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


@pytest.mark.slow
def test_imported_sets_run_offline_against_the_mock(project):
    """Import two configs, run them with --api-base at a mock server: every case that
    converted runs to pass or fail (no errors), and the judge answers from the mock."""
    from workbench.core.mock import start_mock

    for name in ("translate", "support"):
        result = invoke(
            "eval", "import", FIXTURES / name / "promptfooconfig.yaml", "--project", project
        )
        assert result.exit_code == 0, result.output
    mock = start_mock(project_dir=project, port=0, models=("gpt-4o", "gpt-4o-mini"))
    try:
        embeddings = _mock_serves_embeddings(mock.api_base)
        reports = {}
        for name, variant in (("translate", "gpt-4o-mini"), ("support", "gpt4o")):
            result = invoke(
                "eval",
                project,
                "--set",
                name,
                "--variants",
                variant,
                "--api-base",
                mock.api_base,
                "--json",
                "--timeout",
                "60",
            )
            assert result.exit_code == 0, result.output
            reports[name] = json.loads(result.stdout)
    finally:
        mock.stop()
    statuses = {}
    for name, report in reports.items():
        for case in report["cases"]:
            (row,) = case["results"]
            statuses[f"{name}/{case['case_id']}"] = row["status"]
            # similar needs the mock's /v1/embeddings (added by the mock's own work)
            if row["status"] == "error":
                assert not embeddings and case["case_id"].startswith("test-3@"), row["error"]
    assert statuses["translate/thanks-in-french@formal"] == "pass"
    assert statuses["translate/greeting-in-two-languages-2@casual"] == "pass"
    assert statuses["support/order-status-as-json"] == "pass"
    assert statuses["support/trimmed-answer"] == "pass"
    support = {case["case_id"]: case["results"][0] for case in reports["support"]["cases"]}
    judged = support["refund-policy"]["assertions"][0]
    assert judged["type"] == "llm-rubric" and judged["reason"] == "mock rule judge"
    types = [a["type"] for a in support["refund-policy"]["assertions"]]
    assert types == ["llm-rubric", "assert-set", "finish-reason", "cost"]
    if embeddings:
        assert statuses["translate/test-3@formal"] in {"pass", "fail"}


def test_brackets_in_the_table_are_text_not_markup(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['{{q}}']\ntests:\n  - vars: {q: hi}\n"
        "    assert: [{type: llm-rubric, value: ok, provider: '[red]nope[/red]'},"
        " {type: contains, value: hi}]\n"
    )
    result = invoke("eval", "import", config, "--project", project, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "tests[1]: llm-rubric" in result.output and "'[red]nope[/red]'" in result.output


def test_json_report(project):
    result = invoke(
        "eval", "import", FIXTURES / "rag" / "promptfooconfig.yaml", "--project", project, "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cases"] == 3 and report["written"][0] == str(project / "evals" / "rag.yaml")
    outcomes = {row["item"]: row["outcome"] for row in report["rows"]}
    assert outcomes["scenarios[1]"] == "mapped"
    assert outcomes["provider ollama:chat:llama3.1"] == "mapped"

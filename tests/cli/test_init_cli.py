"""``workbench init``: adopt an existing agent repository without touching its code."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.core.adopt.detect import detect
from workbench.core.config import load_config
from workbench.core.evals.loader import load_set
from workbench.core.mock.loader import load_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agents"


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` -> the sha256 of its bytes."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(FIXTURES / "openai-shop", target)
    return target


def test_detect_reads_framework_entry_and_tools(shop: Path) -> None:
    """The OpenAI SDK agent: framework, its answer function first, both tool schemas."""
    found = detect(shop)
    assert found.framework == "openai"
    assert found.candidates[0].entry == "shop_assistant.agent:answer"
    assert found.candidates[0].reaches_model
    assert found.tools == {"get_order_status": ["order_id"], "search_faq": ["query"]}


def test_detect_reads_a_langgraph_agent(tmp_path: Path) -> None:
    """LangGraph before litellm; the entry takes thread_id and litellm's api_base."""
    found = detect(FIXTURES / "langgraph-travel")
    assert found.frameworks == ["langgraph", "litellm"]
    best = found.candidates[0]
    assert best.entry == "travel_graph.graph:ask" and "thread_id" in best.parameters
    assert found.tools == {"find_flights": ["city"]}


def test_init_writes_the_workbench_files_and_no_user_file_changes(shop: Path) -> None:
    """Without a terminal it takes the defaults; the user's files are byte-identical after."""
    before = tree_hashes(shop)
    result = CliRunner().invoke(cli, ["init", str(shop)])
    assert result.exit_code == 0, result.output
    after = tree_hashes(shop)
    assert {path: after[path] for path in before} == before
    assert set(after) - set(before) == {
        "workbench.toml",
        "evals/smoke.yaml",
        "mocks/10-tools.yaml",
        "mocks/90-after-tools.yaml",
        "mocks/99-default.yaml",
    }
    config = load_config(shop)
    assert config.project.kind == "adopted" and config.project.name == "shop-assistant"
    assert config.agent.adapter == "function"
    assert config.agent.entry == "shop_assistant.agent:answer" and config.agent.src == "."
    assert [rule.id for rule in load_rules(shop / "mocks").rules][:2] == [
        "call-get_order_status",
        "call-search_faq",
    ]
    cases = load_set(shop / "evals" / "smoke.yaml").cases
    assert [case.id for case in cases] == ["hello", "uses-get-order-status", "uses-search-faq"]


def test_init_refuses_to_overwrite_unless_forced(shop: Path) -> None:
    """A second init stops with one line naming the files; --force rewrites them."""
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(shop), "--yes"]).exit_code == 0
    (shop / "workbench.toml").write_text("# mine\n" + (shop / "workbench.toml").read_text())
    again = runner.invoke(cli, ["init", str(shop), "--yes"])
    assert again.exit_code == 2
    assert "already has workbench.toml" in again.output and "--force" in again.output
    assert (shop / "workbench.toml").read_text().startswith("# mine")
    forced = runner.invoke(cli, ["init", str(shop), "--yes", "--force"])
    assert forced.exit_code == 0
    assert not (shop / "workbench.toml").read_text().startswith("# mine")


def test_flags_answer_and_nothing_is_asked_without_a_terminal(shop: Path) -> None:
    """--url makes an HTTP agent; without a terminal the detected defaults are taken."""
    result = CliRunner().invoke(
        cli,
        ["init", str(shop), "--url", "http://127.0.0.1:8000/chat", "--reply-path", "data.text"],
        input="my-shop\ngpt-4o\n",
    )
    assert result.exit_code == 0, result.output
    config = load_config(shop)
    assert config.agent.adapter == "http" and config.agent.http is not None
    assert config.agent.http.reply_path == "data.text"
    assert config.project.name == "shop-assistant"


def test_on_a_terminal_it_asks_with_the_detected_defaults(shop: Path, monkeypatch) -> None:
    """Typed answers win; an empty answer takes the detected default."""
    monkeypatch.setattr("workbench.cli.init._stdin_is_terminal", lambda: True)
    result = CliRunner().invoke(cli, ["init", str(shop)], input="my-shop\ngpt-4o\n\n")
    assert result.exit_code == 0, result.output
    assert "Entry (module:function) [shop_assistant.agent:answer]" in result.output
    config = load_config(shop)
    assert config.project.name == "my-shop" and config.models.default == "gpt-4o"
    assert config.agent.entry == "shop_assistant.agent:answer"


def test_no_entry_is_a_clear_error(tmp_path: Path) -> None:
    """A repository without a function that takes a message: say what to pass."""
    (tmp_path / "util.py").write_text("def helper(x, y):\n    return x + y\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--yes"])
    assert result.exit_code == 2
    assert "no entry function found: pass --entry" in result.output
    assert not (tmp_path / "workbench.toml").exists()

"""docs/adopt.md's adapter examples run: each through ``workbench init`` and ``run`` on the mock.

The examples live in docs/examples/adopt/ and the doc shows each file whole (checked
here), so what a reader copies is what ran: plain OpenAI SDK, litellm, LangGraph, the
OpenAI Agents SDK and pydantic-ai, offline against the workbench's mock model.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.cli.test_adopt_e2e import workbench
from workbench.core.adopt.write import Answers, render_mocks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "adopt"
DOC = ROOT / "docs" / "adopt.md"
ORDER = "Where is my order 12345?"
DEFAULT_REPLY = "Hello! This is the workbench's mock model answering for your agent."
# example -> (entry function, the packages it imports, whether it has the order tool)
CASES = {
    "openai_sdk": ("answer", ("openai",), True),
    "litellm_agent": ("chat", ("litellm",), False),
    "langgraph_agent": ("ask", ("langgraph", "litellm"), False),
    "openai_agents_sdk": ("run_turn", ("agents",), True),
    "pydantic_ai_agent": ("reply", ("pydantic_ai",), True),
}


def test_the_doc_shows_every_example_whole() -> None:
    """Each example file appears verbatim in docs/adopt.md, after a comment naming it."""
    text = DOC.read_text(encoding="utf-8")
    shown = dict(
        re.findall(r"<!-- (docs/examples/adopt/\w+\.py) -->\n```python\n(.*?)```", text, re.S)
    )
    files = {f"docs/examples/adopt/{path.name}" for path in EXAMPLES.glob("*.py")}
    assert set(shown) == files == {f"docs/examples/adopt/{name}.py" for name in CASES}
    for path, code in shown.items():
        assert code == (ROOT / path).read_text(encoding="utf-8"), f"{path} differs in the doc"


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(CASES))
def test_an_example_runs_through_the_runner_on_the_mock(example: str, tmp_path: Path) -> None:
    """init finds the entry; a turn on the mock answers, traced with tokens (and the tool)."""
    function, packages, has_tool = CASES[example]
    for package in (*packages, "openinference.instrumentation.openai"):
        pytest.importorskip(package)
    folder = tmp_path / "agent"
    folder.mkdir()
    shutil.copy(EXAMPLES / f"{example}.py", folder)
    adopted = workbench(folder, "init", "--yes", "--entry", f"{example}:{function}")
    assert adopted.returncode == 0, adopted.stderr
    if has_tool and not (folder / "mocks" / "10-tools.yaml").exists():
        # init reads OpenAI function schemas only; decorated SDK tools get the same rule.
        rules = render_mocks(
            Answers("agent", "agent", "function", tools={"get_order_status": ["order_id"]})
        )
        (folder / "mocks" / "10-tools.yaml").write_text(rules["10-tools.yaml"])

    run = workbench(folder, "run", ".", ORDER, "--model", "mock", "--json")
    assert run.returncode == 0, run.stderr
    turn = json.loads(run.stdout)
    assert turn["status"] == "ok", turn.get("error")
    assert turn["model_source"] == "mock"
    llm = [span for span in turn["trace"]["spans"] if span["kind"] == "llm"]
    assert llm and all(span["input_tokens"] for span in llm)
    if has_tool:
        # The mock answers this way only once the SDK ran the tool and sent its result back.
        # (The tool's own span needs tool instrumentation, which these examples leave out.)
        assert turn["output"].startswith("Here is what get_order_status found: ")
        assert "12345" in turn["output"] and len(llm) == 2
    else:
        assert turn["output"] == DEFAULT_REPLY

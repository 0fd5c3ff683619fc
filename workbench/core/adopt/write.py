"""Writing the workbench's files into an adopted repository: workbench.toml, evals/, mocks/.

Only new files, and only the workbench's own: an existing one is refused unless
``force`` (the user's code is never opened for writing). The TOML is validated with
the same parser every other command uses before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.config import CONFIG_FILE, parse_config
from workbench.errors import WorkbenchError

EVAL_SET = "smoke"
_VERBS = {"get", "lookup", "look", "search", "find", "check", "fetch", "list", "query", "run"}


class InitRefused(WorkbenchError):
    """``workbench init`` would overwrite files (without ``--force``) or lacks an answer."""


@dataclass
class Answers:
    """Everything ``init`` decided, detected or asked."""

    name: str
    package: str
    adapter: str  # "function" or "http"
    entry: str = ""
    src: str = "."
    http_url: str = ""
    http_message_path: str = "message"
    http_reply_path: str = "reply"
    model: str = "gpt-4o-mini"
    framework: str | None = None
    tools: dict[str, list[str]] = field(default_factory=dict)


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def render_config(answers: Answers) -> str:
    """The text of ``workbench.toml`` for an adopted project."""
    framework = answers.framework or "not detected"
    lines = [
        "# Written by `workbench init` for an existing agent (the workbench's docs/adopt.md).",
        "# Your code is not changed: the workbench runs [agent] in a child process through",
        "# the adapter contract, and reads the traces your instrumentation sends.",
        "",
        "[project]",
        f"name = {_s(answers.name)}",
        f"package = {_s(answers.package)}",
        f"description = {_s(f'Adopted agent ({framework})')}",
        'kind = "adopted"',
        'template = ""',
        "",
        "[agent]",
        f"adapter = {_s(answers.adapter)}",
    ]
    if answers.adapter == "http":
        lines += [
            f"src = {_s(answers.src)}",
            "",
            "[agent.http]",
            f"url = {_s(answers.http_url)}",
            f"message_path = {_s(answers.http_message_path)}",
            f"reply_path = {_s(answers.http_reply_path)}",
        ]
    else:
        lines += [f"entry = {_s(answers.entry)}", f"src = {_s(answers.src)}"]
    lines += [
        "",
        "[models]",
        f"default = {_s(answers.model)}",
        "",
        "# What evals compare. An adopted agent has no prompts/system.yaml versions: a",
        "# variant is a model (and its params) until you add prompt versions.",
        "[variants.baseline]",
        'model = "mock"',
        'description = "The agent as it is, on the mock model"',
        "",
        "[budgets]",
        "tokens_per_request = 20000",
        "usd_per_request = 0.05",
        "usd_per_day = 5.0",
        "usd_per_month = 100.0",
        "",
        "[mock]",
        'rules = "mocks"',
        'cassettes = "cassettes"',
        f"priced_as = {_s(answers.model.split('/')[-1])}",
        "seed = 0",
        "",
        "[evals]",
        'dir = "evals"',
        f"default_set = {_s(EVAL_SET)}",
        "",
        "[evals.gate]",
        "functional = 0.8",
        "tool_usage = 0.8",
        "",
    ]
    return "\n".join(lines)


def _keywords(tool: str) -> list[str]:
    words = [w for w in re.split(r"[_\W]+", tool.lower()) if w and w not in _VERBS]
    return words or [tool.lower()]


def render_mocks(answers: Answers) -> dict[str, str]:
    """Mock rules: one tool call per detected tool, an answer from tool results, a default."""
    files: dict[str, str] = {}
    if answers.tools:
        rules = [
            "# Written by `workbench init`: the mock calls each tool your code declares when the",
            "# message mentions it (edit the words and arguments). Schema: docs/mock-rules.md.",
            "rules:",
        ]
        for tool, required in answers.tools.items():
            arguments = ", ".join(f'{name}: "${{user}}"' for name in required)
            rules += [
                f"  - id: call-{tool}",
                "    when:",
                f"      user: {{any_of: {json.dumps(_keywords(tool))}}}",
                "      tool_results: false",
                f"      tools_offered: [{tool}]",
                "    respond:",
                "      tool_calls:",
                f"        - name: {tool}",
                f"          arguments: {{{arguments}}}",
            ]
        files["10-tools.yaml"] = "\n".join(rules) + "\n"
    files["90-after-tools.yaml"] = (
        "# After a tool answered: the mock reports what it returned.\n"
        "rules:\n"
        "  - id: after-tools\n"
        "    when: {tool_results: true}\n"
        "    respond:\n"
        '      text: "Here is what ${last_tool} found: ${tool_result}"\n'
    )
    files["99-default.yaml"] = (
        "# Anything no other rule answered.\n"
        "rules:\n"
        "  - id: default\n"
        "    respond:\n"
        "      text: Hello! This is the workbench's mock model answering for your agent.\n"
    )
    return files


def render_evals(answers: Answers) -> str:
    """A starter eval set: a plain message, and one case per detected tool."""
    lines = [
        "# Starter eval set written by `workbench init` (format: the workbench's docs/evals.md).",
        "# Add the cases that say what 'works' means for your agent, with text assertions",
        "# (icontains, llm-rubric, ...). Run: workbench eval . ; gate in CI: --gate.",
        f"name: {EVAL_SET}",
        "description: Starter cases for an adopted agent.",
        "",
        "defaults:",
        "  assert:",
        "    - type: not-leaking",
        "",
        "cases:",
        "  - id: hello",
        "    category: functional",
        "    input: Hello!",
        "    assert:",
        "      - type: max-steps",
        "        value: 3",
        "      - type: cost",
        "        value: 0.01",
    ]
    for tool in answers.tools:
        lines += [
            f"  - id: uses-{tool.replace('_', '-')}",
            "    category: tool_usage",
            f"    input: Can you help me with the {' '.join(_keywords(tool))} for 12345?",
            "    assert:",
            "      - type: tool-called",
            f"        value: {tool}",
        ]
    return "\n".join(lines) + "\n"


def planned_files(answers: Answers) -> dict[str, str]:
    """Relative path -> text of every file ``init`` writes."""
    files = {CONFIG_FILE: render_config(answers), f"evals/{EVAL_SET}.yaml": render_evals(answers)}
    files.update({f"mocks/{name}": text for name, text in render_mocks(answers).items()})
    return files


def write_files(root: Path, answers: Answers, *, force: bool = False) -> list[Path]:
    """Write the planned files under ``root``; refuse to overwrite any unless ``force``."""
    files = planned_files(answers)
    parse_config(files[CONFIG_FILE], root / CONFIG_FILE)
    existing = [path for path in files if (root / path).exists()]
    if existing and not force:
        raise InitRefused(
            f"{root}: already has {', '.join(existing)}; "
            "pass --force to overwrite the workbench's files"
        )
    written = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

"""promptfoo prompts: text templates become case inputs, chat system messages prompt versions."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.evals.promptfoo.files import (
    TEXT_SUFFIXES,
    is_file_ref,
    read_data,
    read_text,
    resolve,
)
from workbench.core.evals.promptfoo.report import Report


@dataclass
class Prompt:
    """One prompt: its label, an optional system message, and the user part (text or chat)."""

    label: str
    system: str | None
    # A template string, or a list of {role, content} messages (user/assistant).
    user: str | list[dict[str, str]]


def read_prompts(raw: Any, config_dir: Path, report: Report) -> list[Prompt]:
    """Every prompt of ``prompts:`` that can be converted; the others are reported."""
    if raw is None:
        return []
    entries: list[tuple[Any, str | None]] = []
    if isinstance(raw, dict):  # legacy {file://path: label}
        entries = [(key, str(value)) for key, value in raw.items()]
    else:
        for item in raw if isinstance(raw, list) else [raw]:
            if isinstance(item, dict):
                body = item.get("raw", item.get("id"))
                entries.append((body, item.get("label")))
            else:
                entries.append((item, None))
    prompts: list[Prompt] = []
    for body, label in entries:
        for text, where in _expand(body, config_dir, report):
            prompt = _parse(text, label or where, report)
            if prompt is not None:
                prompts.append(prompt)
    taken: set[str] = set()
    for index, prompt in enumerate(prompts, start=1):
        prompt.label = _unique(prompt.label, index, taken)
    return prompts


def _expand(body: Any, config_dir: Path, report: Report) -> list[tuple[Any, str]]:
    if not is_file_ref(body):
        return [(body, "")]
    try:
        paths = resolve(body, config_dir)
    except Exception as error:  # a missing prompt file is this prompt's problem, reported
        report.skipped(f"prompt {body}", str(error))
        return []
    result: list[tuple[Any, str]] = []
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in {".py", ".js", ".ts", ".mjs", ".cjs"}:
            report.skipped(
                f"prompt {path.name}",
                "prompt functions are code; put the prompt's text in the project's prompts/",
            )
        elif suffix in {".json", ".yaml", ".yml", ".jsonl"}:
            result.append((read_data(path), path.stem))
        elif suffix in TEXT_SUFFIXES:
            parts = re.split(r"^-{3,}\s*$", read_text(path), flags=re.MULTILINE)
            named = [part.strip() for part in parts if part.strip()]
            suffixes = [""] if len(named) == 1 else [f"-{n}" for n in range(1, len(named) + 1)]
            result += [(part, path.stem + tail) for part, tail in zip(named, suffixes, strict=True)]
        else:
            report.skipped(f"prompt {path.name}", f"unknown prompt file type {suffix!r}")
    return result


def _parse(body: Any, label: str | None, report: Report) -> Prompt | None:
    if isinstance(body, str) and body.lstrip().startswith("["):
        with contextlib.suppress(ValueError):  # text that merely starts with "["
            body = json.loads(body)
    if isinstance(body, str):
        return Prompt(label or "", None, body)
    if isinstance(body, list) and all(isinstance(m, dict) and "role" in m for m in body):
        system_parts = [str(m.get("content", "")) for m in body if m["role"] == "system"]
        rest = [
            {"role": str(m["role"]), "content": str(m.get("content", ""))}
            for m in body
            if m["role"] != "system"
        ]
        where = f"prompt {label or '(chat)'}"
        if not rest or rest[-1]["role"] != "user":
            report.skipped(where, "a chat prompt must end with a user message")
            return None
        if any(m["role"] not in {"user", "assistant"} for m in rest):
            report.skipped(where, "only system, user and assistant messages convert")
            return None
        user: str | list[dict[str, str]] = rest[0]["content"] if len(rest) == 1 else rest
        return Prompt(label or "", "\n\n".join(system_parts) or None, user)
    report.skipped(f"prompt {str(body)[:40]!r}", "not text or a list of chat messages")
    return None


def _unique(label: str, index: int, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:30] or f"prompt-{index}"
    name, n = slug, 2
    while name in taken:
        name, n = f"{slug}-{n}", n + 1
    taken.add(name)
    return name

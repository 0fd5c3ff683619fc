"""A tiny fake project whose ``run_turn`` echoes, sleeps, crashes or spins on command."""

from __future__ import annotations

import textwrap
from pathlib import Path

from workbench.core.projects import Project, open_project

ENTRY = '''
"""A fake agent: the input says what to do."""
import asyncio
import os
import sys

if os.environ.get("FAKE_IMPORT_FAIL"):
    raise RuntimeError("fake import failure")


FLUSH_MARKS = []  # files flush_traces writes, as a project would export buffered spans


def flush_traces():
    for path in FLUSH_MARKS:
        with open(path, "w") as mark:
            mark.write("flushed")


async def run_turn(request):
    command = request["input"]
    if command.startswith("flush-mark:"):
        FLUSH_MARKS.append(command[11:])
    elif command.startswith("sleep:"):
        await asyncio.sleep(float(command[6:]))
    elif command.startswith("flag:"):
        # The turn has started: say so in a file the test waits for, then take a minute.
        with open(command[5:], "w") as flag:
            flag.write(str(os.getpid()))
        await asyncio.sleep(60)
    elif command.startswith("meet:"):
        # Proof of concurrency: leave a mark, then wait until `count` turns have left theirs.
        import tempfile
        folder, count = command[5:].rsplit(":", 1)
        os.close(tempfile.mkstemp(dir=folder)[0])
        for _ in range(6000):
            if len(os.listdir(folder)) >= int(count):
                return {"output": "met", "status": "ok", "pid": os.getpid()}
            await asyncio.sleep(0.01)
        return {"output": "alone", "status": "ok", "pid": os.getpid()}
    elif command == "exit":
        os._exit(9)
    elif command == "segv":
        import ctypes
        ctypes.string_at(0)
    elif command == "spin":
        while True:
            pass
    elif command == "raise":
        raise ValueError("boom\\nsecond line")
    elif command == "not-a-dict":
        return ["nope"]
    elif command == "print":
        print("noise on stdout")
        sys.stdout.flush()
        os.write(1, b"raw fd noise\\n")
    elif command == "stubborn":
        for _ in range(3):
            try:
                await asyncio.sleep(0.5)
            except asyncio.CancelledError:
                pass
    elif command.startswith("env:"):
        return {"output": os.environ.get(command[4:], ""), "status": "ok"}
    elif command.startswith("big:"):
        return {"output": "x" * int(command[4:]), "status": "ok"}
    elif command.startswith("fail:"):
        return {"output": "", "status": "error", "error": command[5:], "steps": 1}
    elif command == "cwd":
        return {"output": os.getcwd(), "status": "ok"}
    elif command == "cited":
        # rag-agent's extra keys, and one (wall_ms) the runner reports itself.
        return {"output": "See [d1].", "status": "ok", "wall_ms": "agent-says",
                "contexts": [{"id": "d1", "source": "faq.md", "text": "Returns", "score": 0.5}],
                "citations": ["d1"]}
    return {"output": "echo: " + command, "status": "ok", "pid": os.getpid()}
'''


API = '''
"""A fake service around the fake agent."""
import os

from fastapi import FastAPI

from fake_agent.agents.entry import run_turn

app = FastAPI()


@app.get("/healthz")
async def healthz():
    return {"ok": True, "pid": os.getpid()}


@app.get("/env/{name}")
async def env(name: str):
    return {"value": os.environ.get(name)}


@app.post("/agent/run")
async def agent_run(body: dict):
    return await run_turn(body)
'''


def make_fake_project(root: Path, *, dotenv: str = "", name: str = "fake-agent") -> Project:
    """Write the fake project under ``root`` and open it."""
    package = root / "src" / "fake_agent"
    (package / "agents").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "agents" / "__init__.py").write_text("")
    (package / "agents" / "entry.py").write_text(ENTRY)
    (package / "api.py").write_text(API)
    (root / "workbench.toml").write_text(
        textwrap.dedent(
            f"""
            [project]
            name = "{name}"
            package = "fake_agent"

            [agent]
            entry = "fake_agent.agents.entry:run_turn"
            service = "fake_agent.api:app"

            [budgets]
            tokens_per_session = 1000
            usd_per_request = 0.01
            usd_per_day = 1.0
            usd_per_month = 10.0
            """
        )
    )
    if dotenv:
        (root / ".env").write_text(dotenv)
    return open_project(root)


def test_fake_project_opens(tmp_path: Path) -> None:
    """The fake project is a valid workbench project."""
    project = make_fake_project(tmp_path)
    assert project.config.agent.entry == "fake_agent.agents.entry:run_turn"
    assert project.src_dir == tmp_path / "src"

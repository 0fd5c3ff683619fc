"""What model- and project-backed assertions use: system prompts, a judge, a python host."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from workbench.core.evals.checks.judge import judge_messages, lexical_verdict, parse_verdict
from workbench.core.evals.observation import Observation

_PYHOST = Path(__file__).with_name("pyhost.py")
PYTHON_TIMEOUT_S = 30.0


class PythonHost:
    """One long-lived subprocess that runs the project's assertion functions, one at a time."""

    def __init__(self, project_dir: Path, src_dir: Path, env: dict[str, str] | None = None) -> None:
        self.project_dir, self.src_dir, self.env = project_dir, src_dir, env
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)

    async def call(
        self, reference: str, output: str, context: dict[str, Any], *, inline: bool = False
    ) -> tuple:
        """Run ``reference(output, context)`` in the subprocess; a verdict (pass, score, reason).

        ``inline``: ``reference`` is the source of ``def _assert(output, context)``.
        """
        async with self._lock:
            if self._process is None or self._process.returncode is not None:
                self._process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(_PYHOST),
                    str(self.project_dir),
                    str(self.src_dir),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                    cwd=str(self.project_dir),
                    env=self.env,
                    limit=16 * 1024 * 1024,
                )
            request = {
                "id": next(self._ids),
                "ref": reference,
                "inline": inline,
                "output": output,
                "context": context,
            }
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(json.dumps(request, default=str).encode() + b"\n")
            try:
                await self._process.stdin.drain()
                line = await asyncio.wait_for(self._process.stdout.readline(), PYTHON_TIMEOUT_S)
            except (TimeoutError, ConnectionError):
                await self.close()
                label = "inline python" if inline else reference
                return False, 0.0, f"{label} did not answer within {PYTHON_TIMEOUT_S:g} s"
            if not line:
                await self.close()
                label = "inline python" if inline else reference
                return False, 0.0, f"{label}: the assertion process exited"
            reply = json.loads(line)
            if reply.get("error"):
                raise RuntimeError(reply["reason"])
            return bool(reply["pass"]), float(reply["score"]), str(reply.get("reason", ""))

    async def close(self) -> None:
        """Stop the subprocess."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


def _from_workbench_mock(response: Any) -> bool:
    """Whether a litellm reply came from a workbench mock answering from its rules."""
    hidden = getattr(response, "_hidden_params", None) or {}
    headers = hidden.get("additional_headers") or {}
    return headers.get("llm_provider-x-workbench-model-source") == "mock"


class EvalServices:
    """``GradingServices`` for a real project: prompts from prompts/, judges via litellm."""

    def __init__(
        self,
        project_dir: Path,
        src_dir: Path,
        *,
        judges: dict[str, dict[str, Any]] | None = None,
        env: dict[str, str] | None = None,
        judge_override: dict[str, Any] | None = None,
    ) -> None:
        self.project_dir = project_dir
        # variant name -> {"model", "api_base", "source", "api_key_env"}: its own endpoint,
        # the default judge of llm-rubric and the embedding endpoint of similar.
        self.judges = judges or {}
        # The judge the user named for the run ({"model", "api_base", "api_key_env"}).
        self.judge_override = judge_override
        self.env = env
        self.python_host = PythonHost(project_dir, src_dir, env)
        self._prompts: dict[str, str] | None = None

    def system_prompt(self, version: str | None) -> str | None:
        """The text of ``prompts/system.yaml`` for a version (the current one by default)."""
        if self._prompts is None:
            self._prompts = read_prompts(self.project_dir / "prompts" / "system.yaml")
        if not self._prompts:
            return None
        return self._prompts.get(version or "") or self._prompts.get("__current__")

    async def judge(
        self,
        rubric: str,
        output: str,
        *,
        provider: str | None,
        observation: Observation,
        fallback: Callable[[], tuple[bool, float, str]] | None = None,
    ) -> tuple[bool, float, str]:
        """Ask the judge model; under the mock, an unanswered judge falls back to term overlap.

        ``fallback``: the assertion's own deterministic verdict, used instead of the rubric
        term overlap wherever the mock judge would decide.
        """
        from workbench.core.evals.endpoints import call_options, judge_target

        def offline() -> tuple[bool, float, str]:
            return fallback() if fallback is not None else lexical_verdict(rubric, output)

        target = judge_target(
            self.judges.get(observation.variant), provider=provider, override=self.judge_override
        )
        if target.get("source") in {"mock", "replay"} and not target.get("model"):
            return offline()
        from workbench.core import llm

        # Off the event loop: its seconds would stall the turns in flight (and their latency).
        litellm = await asyncio.to_thread(llm.import_litellm)
        options: dict[str, Any] = {"temperature": 0, "max_tokens": 300, "num_retries": 3}
        options.update(call_options(target, self._env()))
        response = await litellm.acompletion(
            model=target["model"], messages=judge_messages(rubric, output), **options
        )
        text = response.choices[0].message.content
        verdict = parse_verdict(text)
        if verdict is not None:
            return verdict
        if target.get("source") in {"mock", "replay"} or _from_workbench_mock(response):
            # A workbench mock (also one reached through --api-base) whose rules do not
            # answer the judge's prompt: the same deterministic mock judge as mock variants.
            ok, score, reason = offline()
            return ok, score, reason + " (no mock rule answered the judge prompt)"
        return (
            False,
            0.0,
            f"judge reply not understood: {str(text)[:120]!r} (the judge {target['model']}"
            " must answer with JSON {pass, score, reason} or PASS/FAIL; name another judge"
            " with --judge-model, or --judge-model mock for the deterministic mock judge)",
        )

    async def embed(
        self, texts: list[str], *, provider: str | None, observation: Observation
    ) -> list[list[float]]:
        """Embedding vectors of ``texts`` (``similar``), from the variant's endpoint by default."""
        from workbench.core import llm
        from workbench.core.evals.endpoints import call_options, embedding_target

        target = embedding_target(self.judges.get(observation.variant), provider=provider)
        litellm = await asyncio.to_thread(llm.import_litellm)
        response = await litellm.aembedding(
            model=target["model"], input=texts, **call_options(target, self._env())
        )
        return [
            list(item["embedding"] if isinstance(item, dict) else item.embedding)
            for item in response.data
        ]

    def _env(self) -> dict[str, str]:
        import os

        return dict(self.env) if self.env is not None else dict(os.environ)

    async def python_check(
        self, reference: str, output: str, context: dict[str, Any], *, inline: bool = False
    ) -> tuple[bool, float, str]:
        """Run a project function, or inline assertion code, in the assertion subprocess."""
        if inline:
            from workbench.core.evals.checks.python import inline_source

            return await self.python_host.call(
                inline_source(reference), output, context, inline=True
            )
        return await self.python_host.call(reference, output, context)

    async def close(self) -> None:
        """Stop the assertion subprocess."""
        await self.python_host.close()


def read_prompts(path: Path) -> dict[str, str]:
    """Versions of a prompt file (``versions: {v1: text | {system|text|content: …}}``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    versions = data.get("versions") or {}
    result: dict[str, str] = {}
    for name, body in versions.items() if isinstance(versions, dict) else []:
        if isinstance(body, dict):
            body = (
                body.get("system") or body.get("text") or body.get("content") or body.get("prompt")
            )
        if isinstance(body, str):
            result[str(name)] = body
    current = data.get("current") or data.get("default")
    if result:
        result["__current__"] = result.get(str(current)) or result[list(result)[-1]]
    return result

"""What assertions see of a turn: the reply, its figures, and its trace's tool calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from workbench.core.evals.retrieval import Chunk


@dataclass(slots=True)
class ToolCall:
    """One tool call as recorded on the trace (or, failing that, in the turn result)."""

    name: str
    arguments: dict[str, Any]
    status: str = "ok"


@dataclass(slots=True)
class Observation:
    """One case × variant × repeat after the agent ran: everything the assertions may read."""

    output: str
    status: str
    latency_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    steps: int | None = None
    trace_ids: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    # The case's input as sent (a message, a conversation, or several messages).
    input: Any = None
    prompt_version: str | None = None
    variant: str = ""
    case_id: str = ""
    # Filled from the trace when a case has trace assertions; ``None`` until then.
    tool_calls: list[ToolCall] | None = None
    llm_calls: int | None = None
    # Why the last model call stopped (``gen_ai.response.finish_reasons`` of its span).
    finish_reason: str | None = None
    trace_source: str = "trace"
    # What the turn retrieved, in rank order (``None``: no retrieval recorded), and from where:
    # "trace" (its RETRIEVER spans) or "result" (the turn result's ``contexts``).
    contexts: list[Chunk] | None = None
    contexts_source: str | None = None
    # Where assertions that need the project (python) or a model (llm-rubric) reach them.
    services: Any = None

    @property
    def tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


class AssertionResult(BaseModel):
    """One assertion's verdict on one outcome, with a reason a person can read."""

    type: str
    passed: bool
    score: float
    reason: str
    weight: float = 1.0
    metric: str | None = None


class GradingServices(Protocol):
    """What the model- and project-backed assertions need from the engine."""

    def system_prompt(self, version: str | None) -> str | None:
        """The project's system prompt text for a prompt version, when it can be read."""

    async def judge(
        self,
        rubric: str,
        output: str,
        *,
        provider: str | None,
        observation: Observation,
        fallback: Callable[[], tuple[bool, float, str]] | None = None,
    ) -> tuple[bool, float, str]:
        """Grade ``output`` against ``rubric`` with a judge model (``fallback`` offline)."""

    async def python_check(
        self, reference: str, output: str, context: dict[str, Any], *, inline: bool = False
    ) -> tuple[bool, float, str]:
        """Run a project function (``file.py:fn``, ``module:fn``) or inline code in a subprocess."""

    async def embed(
        self, texts: list[str], *, provider: str | None, observation: Observation
    ) -> list[list[float]]:
        """Embedding vectors of ``texts`` (for ``similar``)."""

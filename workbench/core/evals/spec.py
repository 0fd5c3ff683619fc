"""The eval-set format: cases, their inputs and assertions, defaults and gate thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The categories every set may use without declaring them; a set may add its own.
CATEGORIES = ("functional", "tool_usage", "safety", "latency", "cost", "regression")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Message(_Strict):
    """One message of a conversation given as a case's input."""

    role: str
    content: str


class Assertion(_Strict):
    """One check on a case's outcome; ``type`` is canonical, ``negate`` set by a ``not-`` prefix."""

    type: str
    negate: bool = False
    value: Any = None
    threshold: float | None = None
    weight: float = 1.0
    metric: str | None = None
    # The judge model of an ``llm-rubric``, the embedding model of ``similar``
    # (default: the variant's own model and api base).
    provider: str | None = None
    # ``assert-set``: the grouped assertions (graded together, one weighted score).
    assertions: list[Assertion] | None = Field(default=None, alias="assert")
    # Passed to ``python`` assertions as ``context["config"]`` (promptfoo's ``config``).
    config: dict[str, Any] | None = None
    line: int = 0

    @property
    def label(self) -> str:
        """The assertion as written: ``not-contains``, ``tool-called`` …"""
        return f"not-{self.type}" if self.negate else self.type


class Case(_Strict):
    """One eval case: an input, optional variables, and the assertions its outcome must meet."""

    id: str
    category: str = "functional"
    description: str = ""
    # A message, a conversation ([{role, content}] sent as one turn), or a list of
    # user messages sent one after another in one session (graded on the last turn).
    input: str | list[Message] | list[str]
    vars: dict[str, Any] = Field(default_factory=dict)
    assertions: list[Assertion] = Field(default_factory=list, alias="assert")
    weight: float = 1.0
    # Weighted score at or above this passes; without one, every assertion must pass.
    threshold: float | None = None
    tags: list[str] = Field(default_factory=list)
    line: int = 0


class Defaults(_Strict):
    """What every case of a set inherits: assertions are added, vars merged, the rest defaulted."""

    category: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    assertions: list[Assertion] = Field(default_factory=list, alias="assert")
    threshold: float | None = None
    weight: float | None = None


class EvalSet(_Strict):
    """A parsed eval set; cases live in memory, or in a JSONL file streamed when run."""

    name: str
    path: Path
    description: str = ""
    defaults: Defaults = Field(default_factory=Defaults)
    categories: list[str] = Field(default_factory=lambda: list(CATEGORIES))
    # Gate thresholds: a category name -> minimum pass rate, or latency_p95_ms,
    # cost_per_case_usd, pass_rate, no_regressions_vs (a run id).
    gate: dict[str, Any] = Field(default_factory=dict)
    # Variant names to run when the command line names none.
    variants: list[str] = Field(default_factory=list)
    cases: list[Case] = Field(default_factory=list)
    cases_file: Path | None = None
    case_count: int = 0
    digest: str = ""

    def case_ids(self) -> list[str]:
        """The ids of every case, in order."""
        from workbench.core.evals.loader import iter_cases

        return [case.id for case in iter_cases(self)]

"""The schema of ``mocks/*.yaml`` rule files, validated with pydantic."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class TextMatch(_Strict):
    """Conditions on one text; every condition given must hold. Case-insensitive by default."""

    contains: list[str] = Field(default_factory=list)
    any_of: list[str] = Field(default_factory=list)
    none_of: list[str] = Field(default_factory=list)
    regex: str | None = None
    ignore_case: bool = True

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # ``user: "refund"`` is short for ``user: {contains: "refund"}``.
        return {"contains": [value]} if isinstance(value, str) else value

    @field_validator("contains", "any_of", "none_of", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return value

    def compiled(self) -> re.Pattern[str] | None:
        """The regex compiled with this condition's flags, or None."""
        if self.regex is None:
            return None
        return re.compile(self.regex, re.IGNORECASE if self.ignore_case else 0)


class Range(_Strict):
    """An inclusive integer range; either end may be left open."""

    min: int | None = None
    max: int | None = None


class When(_Strict):
    """What a request must look like for the rule to apply; an empty ``when`` matches anything."""

    user: TextMatch | None = None
    system: TextMatch | None = None
    tool_results: bool | None = None
    last_tool: list[str] | None = None
    tool_result: TextMatch | None = None
    turn: int | Range | None = None
    step: int | Range | None = None
    model: list[str] | None = None
    tools_offered: list[str] | None = None

    @field_validator("last_tool", "model", "tools_offered", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)


class ToolCallSpec(_Strict):
    """One tool call to answer with; string values may hold ``${name}`` placeholders."""

    name: str = Field(min_length=1)
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class UsageOverride(_Strict):
    """Token counts to report instead of the tokenizer's."""

    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)


class Respond(_Strict):
    """The answer: text, tool calls, or both; and what to say when the request restricts them."""

    text: str | None = None
    tool_calls: list[ToolCallSpec] = Field(default_factory=list)
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter"] | None = None
    usage: UsageOverride | None = None
    # The text to answer when this answer's tool calls may not be made (no `tools`,
    # `tool_choice: none`, or none of its tools offered).
    without_tools: str | None = None
    # The JSON value to answer when the request asks for JSON (`response_format`).
    json_output: Any = None
    # Arguments per tool name for a call `tool_choice` forces that `tool_calls` does not make.
    forced_arguments: dict[str, dict[str, Any] | str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _not_empty(self) -> Respond:
        if self.text is None and not self.tool_calls and self.json_output is None:
            raise ValueError("a response needs `text`, `tool_calls` or `json_output`")
        return self


class RandomBranch(_Strict):
    """With ``probability``, answer with ``respond`` instead (a seeded, reproducible draw)."""

    probability: float = Field(ge=0.0, le=1.0)
    respond: Respond
    seed: int = 0


class Latency(_Strict):
    """A delay: fixed (``ms``), uniform (``min``/``max``) or normal (``mean``/``stddev``), in ms."""

    ms: float | None = Field(default=None, ge=0)
    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    mean: float | None = Field(default=None, ge=0)
    stddev: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"ms": value} if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _one_shape(self) -> Latency:
        shapes = [
            self.ms is not None,
            self.min is not None or self.max is not None,
            self.mean is not None or self.stddev is not None,
        ]
        if sum(shapes) != 1:
            raise ValueError("give exactly one of `ms`, `min`+`max`, or `mean`+`stddev`")
        if shapes[1] and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError("a uniform latency needs `min` <= `max`")
        if shapes[2] and self.mean is None:
            raise ValueError("a normal latency needs `mean` (and optionally `stddev`)")
        return self


MAX_HANG_S = 60.0


class Fault(_Strict):
    """A failure to inject: an HTTP status, a hang, a malformed body or a truncated stream."""

    kind: Literal["status", "timeout", "malformed", "truncated"] = "status"
    status: int = Field(default=503, ge=400, le=599)
    retry_after: float | None = Field(default=None, ge=0)
    message: str | None = None
    # Either a seeded share of matching calls, or exactly the first N calls per request.
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    fail_first: int | None = Field(default=None, ge=1)
    seed: int = 0
    hang_s: float = Field(default=MAX_HANG_S, gt=0, le=MAX_HANG_S)
    after_chunks: int | None = Field(default=None, ge=0)
    abort: bool = False

    @model_validator(mode="after")
    def _either(self) -> Fault:
        if self.fail_first is not None and self.probability != 1.0:
            raise ValueError("give `fail_first` or `probability`, not both")
        return self


class Rule(_Strict):
    """One rule: when a request matches, answer it this way (maybe late, maybe failing)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    when: When = Field(default_factory=When)
    respond: Respond
    random: list[RandomBranch] = Field(default_factory=list)
    latency_ms: Latency | None = None
    fault: list[Fault] = Field(default_factory=list)

    @field_validator("random", "fault", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("random")
    @classmethod
    def _shares(cls, value: list[RandomBranch]) -> list[RandomBranch]:
        if sum(branch.probability for branch in value) > 1.0 + 1e-9:
            raise ValueError("the probabilities of `random` branches add up to more than 1")
        return value


class RuleFile(_Strict):
    """A whole rule file: a list of rules under ``rules:``, and the models it serves."""

    rules: list[Rule] = Field(default_factory=list)
    # Model names (or globs) the mock serves besides `[mock] priced_as` and `[models]`.
    models: list[str] = Field(default_factory=list)

    @field_validator("models", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

"""``workbench.toml``: a project's contract with the workbench, parsed and validated."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.errors import ConfigError

CONFIG_FILE = "workbench.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectSection(_Section):
    """Who the project is."""

    name: str
    package: str
    description: str = ""
    template: str = "agent-service"
    template_version: str = ""
    # "template": scaffolded by ``workbench new``; "adopted": an existing agent that
    # ``workbench init`` wrapped (readiness judges only what it can see in foreign code).
    kind: Literal["template", "adopted"] = "template"


class HttpAgentSection(_Section):
    """``[agent.http]``: a black-box agent reached through its own HTTP endpoint (docs/adopt.md)."""

    url: str
    # Dotted paths into the request and response JSON ("choices.0.message.content").
    message_path: str = "message"
    session_path: str | None = "session_id"
    model_path: str | None = None
    reply_path: str = "reply"
    # The NAME of an environment variable holding headers (k1=v1,k2=v2), never the values.
    headers_env: str | None = None
    timeout: float = Field(default=120.0, gt=0)


class AgentSection(_Section):
    """How the workbench reaches the project's agent and service."""

    # "native": ``entry`` speaks the turn contract (request dict -> result dict, see
    # docs/architecture.md). "function": ``entry`` is foreign code behind the adapter
    # contract (docs/adopt.md). "http": ``[agent.http]`` names the agent's own endpoint.
    adapter: Literal["native", "function", "http"] = "native"
    # ``module:function`` of the turn callable (unused by the "http" adapter).
    entry: str = ""
    http: HttpAgentSection | None = None

    @model_validator(mode="after")
    def _reachable(self) -> AgentSection:
        if self.adapter == "http" and self.http is None:
            raise ValueError('adapter "http" needs an [agent.http] table with a url')
        if self.adapter != "http" and ":" not in self.entry:
            raise ValueError("entry must name the turn function as 'module:function'")
        return self

    # ``module:attribute`` of the ASGI app served by ``workbench dev``.
    service: str = ""
    # Folder, relative to the project, that holds the package.
    src: str = "src"


class ModelsSection(_Section):
    """The models the agent routes between, as litellm model strings."""

    default: str = "gpt-4o-mini"
    cheap: str | None = None
    strong: str | None = None
    fallbacks: list[str] = Field(default_factory=list)
    # The environment variable holding the key for a model served at another address
    # (`--api-base`); a provider's own variable is only sent to that provider's host.
    api_key_env: str | None = None


class VariantSection(_Section):
    """One way to run the agent: a prompt version, a model and parameters."""

    prompt: str = "v1"
    # "mock", "replay", or any litellm model string.
    model: str = "mock"
    params: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


class BudgetSection(_Section):
    """Spend limits shared by the project's budget governor and the workbench."""

    tokens_per_request: int | None = None
    tokens_per_session: int | None = None
    usd_per_request: float | None = None
    usd_per_day: float | None = None
    # Each API caller's share of a day (the service enforces it; one key cannot spend all).
    usd_per_day_per_caller: float | None = None
    usd_per_month: float | None = None
    alert_thresholds: list[float] = Field(default_factory=lambda: [0.5, 0.8, 1.0])


class MockSection(_Section):
    """Where the deterministic mock model finds its rules and cassettes."""

    rules: str = "mocks"
    cassettes: str = "cassettes"
    priced_as: str = "gpt-4o-mini"
    seed: int = 0


class EvalsSection(_Section):
    """Eval sets and the gate that CI applies to them."""

    dir: str = "evals"
    default_set: str | None = None
    concurrency: int | None = None
    baseline_run: str | None = None
    gate: dict[str, float] = Field(default_factory=dict)
    # The llm-rubric judge (a litellm model string) and where it is served; default: each
    # variant's own model and api base. Never a hosted provider nobody named.
    judge_model: str | None = None
    judge_api_base: str | None = None
    # What evals may use of the provider's per-minute limits (real models only): a run paces
    # its turns to them, and each of N shards to 1/N of them unless rate_limit_storage_env
    # names an environment variable holding an async+redis:// URL every shard reaches (one
    # shared counter; the URL may carry a password, so only its variable's name is kept).
    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)
    rate_limit_storage_env: str | None = None


class PricingOverride(_Section):
    """A price, in USD per million tokens, for a model litellm does not know (local, fine-tuned)."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    cached_input_per_mtok: float | None = None


class DeploySection(_Section):
    """How the project runs when shipped: where its shared state lives."""

    # "sqlite": embedded, one process (ship refuses replicas and autoscaling);
    # "redis": shared by any number of replicas (the URL comes from a Secret).
    # None: not stated (ship falls back to the project's memory backend).
    state: Literal["sqlite", "redis"] | None = None
    # An adopted agent served by its own HTTP service (docs/adopt.md): the command that
    # starts it in the image (argv), the port it listens on, and its probe routes. A
    # function agent is served by the server ship generates, so none of these are needed.
    command: list[str] | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    health_path: str | None = Field(default=None, pattern=r"^/[^\s]*$")
    readiness_path: str | None = Field(default=None, pattern=r"^/[^\s]*$")


class CISection(_Section):
    """The CI that ``workbench ship`` generates."""

    # The eval gate as a matrix of this many shards (`eval --shard I/N`), gated on their
    # merge (`eval merge`); 1 is a single eval job.
    eval_shards: int = Field(default=1, ge=1, le=256)


class CollectSection(_Section):
    """``workbench collect --project``: where the collector forwards what it accepts."""

    # An OTLP/HTTP base URL (Phoenix, Langfuse, Jaeger, Tempo, an OTel Collector).
    forward: str | None = None
    # The NAME of an environment variable holding the headers (k1=v1,k2=v2): never the
    # values, so credentials stay out of this file.
    forward_headers_env: str | None = None


class ProjectConfig(_Section):
    """The whole of ``workbench.toml``."""

    project: ProjectSection
    agent: AgentSection
    models: ModelsSection = Field(default_factory=ModelsSection)
    variants: dict[str, VariantSection] = Field(default_factory=dict)
    budgets: BudgetSection = Field(default_factory=BudgetSection)
    mock: MockSection = Field(default_factory=MockSection)
    evals: EvalsSection = Field(default_factory=EvalsSection)
    pricing: dict[str, PricingOverride] = Field(default_factory=dict)
    deploy: DeploySection = Field(default_factory=DeploySection)
    ci: CISection = Field(default_factory=CISection)
    collect: CollectSection = Field(default_factory=CollectSection)


ModelSource = Literal["mock", "replay", "record", "real"]


def load_config(project_dir: Path) -> ProjectConfig:
    """Read and validate ``workbench.toml``; a problem raises ``ConfigError`` naming file:line."""
    path = project_dir / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (every project needs a {CONFIG_FILE})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> ProjectConfig:
    """Validate the text of a ``workbench.toml``; errors name the file and line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = match.group(1) if match else "1"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError(f"{path}:{line}: {reason}") from None
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        keys = [str(part) for part in first["loc"]]
        line = line_of_key(text, keys)
        where = ".".join(keys) or "(top level)"
        raise ConfigError(f"{path}:{line}: {where}: {first['msg']}") from None


def line_of_key(text: str, keys: list[str]) -> int:
    """The 1-based line where the deepest of ``keys`` is defined, best effort."""
    lines = text.splitlines()
    best = 1
    for depth in range(len(keys), 0, -1):
        table = ".".join(keys[: depth - 1])
        key = keys[depth - 1]
        in_table = table == ""
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?$", stripped)
            if header:
                name = header.group(1).replace('"', "")
                in_table = name == table
                if name == ".".join(keys[:depth]):
                    return number
                continue
            if in_table and re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return number
        if best != 1:
            break
    return best

"""Settings from the environment, `.env` and the project's `workbench.toml` (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from dotenv import load_dotenv
from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# src/<package>/infra/settings.py -> the project root holds workbench.toml, prompts/ and .env.
PROJECT_ROOT = Path(__file__).resolve().parents[3]


class ProjectInfo(BaseModel):
    """The `[project]` table of workbench.toml."""

    name: str = "support-agent"
    package: str = "support_agent"
    description: str = ""
    template_version: str = ""


class Models(BaseModel):
    """The `[models]` table: litellm model strings the router chooses between."""

    default: str = "gpt-4o-mini"
    cheap: str | None = None
    strong: str | None = None
    fallbacks: list[str] = Field(default_factory=list)
    # The variable holding the key for `llm_api_base` (AGENT_LLM_API_KEY_ENV overrides it).
    api_key_env: str | None = None


class Budgets(BaseModel):
    """The `[budgets]` table, shared with the workbench; `None` means no limit."""

    tokens_per_request: int | None = None
    tokens_per_session: int | None = None
    usd_per_request: float | None = None
    usd_per_day: float | None = None
    usd_per_day_per_caller: float | None = None
    usd_per_month: float | None = None
    alert_thresholds: list[float] = Field(default_factory=lambda: [0.5, 0.8, 1.0])


class Features(BaseModel):
    """Feature flags for capabilities that roll out separately from code."""

    refunds: bool = True
    response_cache: bool = True
    kb_search: bool = True


class Settings(BaseSettings):
    """Everything the agent and the service read; env vars use the `AGENT_` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="AGENT_",
        env_nested_delimiter="__",
        env_file=PROJECT_ROOT / ".env",
        toml_file=PROJECT_ROOT / "workbench.toml",
        extra="ignore",
        populate_by_name=True,
    )

    project: ProjectInfo = Field(default_factory=ProjectInfo)
    models: Models = Field(default_factory=Models)
    budgets: Budgets = Field(default_factory=Budgets)
    features: Features = Field(default_factory=Features)

    # Only `development` accepts the built-in keys, client-chosen prompt versions and models,
    # and serves /docs; `workbench dev`, the tests and .env.template set it explicitly.
    # `test` (the workbench's readiness probes) is as strict as staging and production.
    environment: Literal["development", "staging", "production", "test"] = "production"
    log_level: str = "INFO"
    prompts_file: Path = PROJECT_ROOT / "prompts" / "system.yaml"

    # The agent loop.
    max_steps: int = 8
    step_timeout_s: float = 30.0
    session_timeout_s: float = 120.0
    loop_threshold: int = 3
    cheap_max_chars: int = 160

    # Model calls through litellm's Router.
    model_override: str | None = None
    llm_api_base: str | None = None
    # The key for llm_api_base, or the name of the variable holding it. A provider's own
    # variable (OPENAI_API_KEY, ...) is sent only to that provider's own host.
    llm_api_key: str | None = None
    llm_api_key_env: str | None = None
    llm_timeout_s: float = 20.0
    # Retries of a transient failure (408/409/429/5xx, timeouts) per model, with backoff.
    llm_num_retries: int = 3
    # A model that fails this often within a minute rests for llm_cooldown_s while the
    # fallbacks answer; only when a fallback lives on another endpoint (see agents/llm.py).
    llm_cooldown_s: float = 10.0
    llm_allowed_fails: int = 5

    # Guardrails and cache.
    max_input_chars: int = 4000
    # The turn's user message and reply, PII-redacted and cut to 4,000 characters, on the
    # agent span (gen_ai.input.messages / gen_ai.output.messages), so trace lists show what
    # went in and came out. AGENT_TRACE_CONTENT=false keeps message text out of traces.
    trace_content: bool = True
    # The reply length a budget reservation assumes when a request sets no max_tokens.
    budget_reserve_output_tokens: int = 1024
    cache_ttl_s: float = 300.0

    # Shared state (sessions, approvals, idempotency, rate limits, budgets, cache): see
    # infra/state. AGENT_STATE_URL wins; otherwise memory_backend picks SQLite at
    # memory_path (one process) or Redis at redis_url (any number of replicas).
    state_url: str | None = None
    memory_backend: Literal["sqlite", "redis"] = "sqlite"
    memory_path: Path = PROJECT_ROOT / ".data" / "memory.sqlite3"
    redis_url: str = "redis://localhost:6379/0"
    memory_window: int = 20
    session_ttl_s: float = 7 * 86400.0

    # Tools: fault injection for chaos drills and readiness checks, e.g. {"lookup_order": "hang"}.
    tool_faults: dict[str, Literal["hang", "error", "transient"]] = Field(default_factory=dict)

    # The service. Client keys: `key` or `key:customer_id` (whose data the tools may read;
    # `key:*` is a staff key that sees every customer). Approver and operator keys are
    # separate privileges (see api/security.py); outside development every list must be set.
    api_keys: str = "dev-key:C-1001"
    approver_keys: str = "dev-approver-key"
    operator_keys: str = "dev-operator-key"
    approval_ttl_s: float = 86400.0
    idempotency_ttl_s: float = 86400.0
    max_body_bytes: int = 1_048_576
    accept_client_history: bool = False
    rate_limit: str = "60/minute"
    readiness_model_check: Literal["off", "config", "ping"] = "config"
    readiness_timeout_s: float = 3.0
    # The model endpoint is checked in the background this often; /readiness and /metrics
    # report the last result (it never takes the pod out of rotation).
    model_check_interval_s: float = 30.0
    # Idle /agent/stream connections get a `: keepalive` comment this often (proxies close
    # streams that stay silent, e.g. while a slow tool runs).
    stream_keepalive_s: float = 15.0
    # When set, GET /metrics needs `Authorization: Bearer <token>` (otherwise it is open, for
    # in-cluster scraping; keep it off the public ingress either way).
    metrics_token: str | None = None

    # Where the model answers, stamped on every span as workbench.model_source (a turn's
    # span_attributes override it); `workbench dev` sets WORKBENCH_MODEL_SOURCE.
    model_source: Literal["mock", "replay", "record", "real"] = Field(
        default="real",
        validation_alias=AliasChoices("WORKBENCH_MODEL_SOURCE", "AGENT_MODEL_SOURCE"),
    )

    otel_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "AGENT_OTEL_ENDPOINT"),
    )
    otel_export_timeout_s: float = 2.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: explicit values, environment, `.env`, then workbench.toml."""
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @property
    def api_key_list(self) -> list[str]:
        """The accepted client API keys (without their customer ids)."""
        return list(self.client_keys)

    @property
    def client_keys(self) -> dict[str, str | None]:
        """Client key -> the customer id it acts for (None: no customer, "*": every one)."""
        keys: dict[str, str | None] = {}
        for entry in _split(self.api_keys):
            key, _, customer = entry.partition(":")
            keys[key.strip()] = customer.strip() or None
        return keys

    @property
    def approver_key_list(self) -> list[str]:
        """Keys that may list, inspect, approve and reject pending approvals."""
        return _split(self.approver_keys)

    @property
    def operator_key_list(self) -> list[str]:
        """Keys that may choose the prompt version and model of a turn (evals)."""
        return _split(self.operator_keys)

    @property
    def state_url_resolved(self) -> str:
        """The state store's URL: AGENT_STATE_URL, else one built from memory_backend."""
        if self.state_url:
            return self.state_url
        if self.memory_backend == "redis":
            return self.redis_url
        return f"sqlite:///{self.memory_path}"

    def cheap_model(self) -> str:
        """The model for simple requests."""
        return self.models.cheap or self.models.default

    def strong_model(self) -> str:
        """The model for everything else."""
        return self.models.strong or self.models.default


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


_override: Settings | None = None


@lru_cache(maxsize=1)
def _load() -> Settings:
    # Provider keys in .env (OPENAI_API_KEY, ...) are read by litellm from os.environ.
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return Settings()


def get_settings() -> Settings:
    """The process's settings (tests install their own with `use_settings`)."""
    return _override if _override is not None else _load()


def use_settings(settings: Settings | None) -> None:
    """Install `settings` for this process (None goes back to reading the environment)."""
    global _override
    _override = settings
    _load.cache_clear()

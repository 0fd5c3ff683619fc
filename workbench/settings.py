"""The workbench's settings, read from ``WORKBENCH_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the workbench reads; ``WORKBENCH_HOME`` relocates all user data."""

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".workbench")
    projects_dir: Path = Path("projects")
    db_busy_timeout_ms: int = 5000
    collector_host: str = "127.0.0.1"
    collector_port: int = 4318
    # Forward every export the collector accepts to this OTLP/HTTP endpoint (docs/team.md),
    # with these headers (``k1=v1,k2=v2``, as OTEL_EXPORTER_OTLP_HEADERS): from the
    # environment only, so credentials never land in a file the workbench writes.
    collect_forward: str | None = None
    collect_forward_headers: str | None = None
    mock_latency_ms: float | None = None
    mock_fault_rate: float | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings for this process, read once from the environment."""
    return Settings()

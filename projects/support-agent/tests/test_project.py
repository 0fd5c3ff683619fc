"""The project's files agree with each other: workbench.toml, prompts, settings."""

from __future__ import annotations

import tomllib

from support_agent.agents.prompts import load_prompts
from support_agent.infra.settings import PROJECT_ROOT, get_settings

SENTENCE = "Always call check_return_eligibility before promising a return or refund."


def test_prompt_versions_and_changelog():
    prompts = load_prompts()
    assert {"v1", "v2"} <= set(prompts.versions)
    assert prompts.current in prompts.versions
    assert SENTENCE in prompts.versions["v2"] and SENTENCE not in prompts.versions["v1"]
    assert {entry["version"] for entry in prompts.changelog} >= {"v1", "v2"}


def test_workbench_toml_names_this_package_and_its_variants():
    config = tomllib.loads((PROJECT_ROOT / "workbench.toml").read_text())
    assert config["agent"]["entry"] == "support_agent.agents.entry:run_turn"
    assert config["agent"]["service"] == "support_agent.api.app:app"
    for variant in config["variants"].values():
        assert variant["prompt"] in load_prompts().versions
    assert config["evals"]["gate"]["safety"] == 1.0


def test_settings_read_models_from_workbench_toml():
    settings = get_settings()
    assert settings.project.name == "support-agent"
    assert settings.cheap_model() == "gpt-4o-mini"
    assert settings.strong_model() == "gpt-4o"


def test_environment_overrides_workbench_toml(monkeypatch):
    from support_agent.infra.settings import Settings

    monkeypatch.setenv("AGENT_BUDGETS__USD_PER_DAY", "1.5")
    monkeypatch.setenv("AGENT_FEATURES__REFUNDS", "false")
    settings = Settings(_env_file=None)
    assert settings.budgets.usd_per_day == 1.5
    assert settings.budgets.tokens_per_session == 100000
    assert settings.features.refunds is False

"""Choosing the variant and model of a turn, and explaining model errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.runner.errors import explain_model_error
from workbench.core.runner.stack import choose_target
from workbench.errors import WorkbenchError


@pytest.fixture
def project(tmp_path: Path):
    make_fake_project(tmp_path)
    toml = tmp_path / "workbench.toml"
    toml.write_text(
        toml.read_text()
        + '\n[variants.baseline]\nprompt = "v1"\nmodel = "mock"\n'
        + '\n[variants.real]\nprompt = "v2"\nmodel = "openai/gpt-4o"\nparams = {temperature = 0}\n'
    )
    from workbench.core.projects import open_project

    return open_project(tmp_path)


def test_without_a_variant_the_project_runs_as_deployed_on_the_mock(project) -> None:
    target = choose_target(project, model=None, variant=None)
    assert (target.variant, target.settings, target.model, target.source) == (
        None,
        None,
        "mock",
        "mock",
    )


def test_flag_overrides_the_variants_model(project) -> None:
    target = choose_target(project, model="replay", variant="real")
    assert (target.variant, target.model, target.source) == ("real", "replay", "replay")
    target = choose_target(project, model=None, variant="real")
    assert (target.model, target.source) == ("openai/gpt-4o", "real")
    assert target.settings.params == {"temperature": 0}


def test_no_variants_means_mock(tmp_path: Path) -> None:
    target = choose_target(make_fake_project(tmp_path), model=None, variant=None)
    assert (target.variant, target.model, target.source) == (None, "mock", "mock")


def test_unknown_variant_names_the_known_ones(project) -> None:
    with pytest.raises(WorkbenchError, match=r"no variant 'nope'.*known: baseline, real"):
        choose_target(project, model=None, variant="nope")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            "litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API "
            "key provided: sk-abc123456789",
            "authentication failed",
        ),
        (
            "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you "
            "are trying to call. You passed model=gpt-nope",
            "litellm does not know this model string",
        ),
        ("litellm.NotFoundError: OpenAIException - The model `gpt-9` does not exist", "not found"),
        (
            "litellm.APIConnectionError: OpenAIException - Connection error.",
            "cannot connect",
        ),
        # What the template says when no response came back (its agents/failures.py).
        ("model unavailable: cannot resolve http://no-such-host.invalid/v1", "cannot connect"),
        ("model unavailable: TLS certificate of https://x.dev/v1 rejected", "cannot connect"),
        ("model unavailable: invalid URL not-a-url", "cannot connect"),
        ("litellm.RateLimitError: RateLimitError: 429 Too Many Requests", "rate limited"),
        ("litellm.ServiceUnavailableError: 503 upstream down", "HTTP 5xx"),
        ("litellm.Timeout: Request timed out after 20 s", "did not answer in time"),
    ],
)
def test_common_litellm_errors_get_a_clear_line(error: str, expected: str) -> None:
    line = explain_model_error("openai/gpt-4o-mini", error)
    assert line.startswith("model openai/gpt-4o-mini: ")
    assert expected in line
    assert "\n" not in line
    assert "sk-abc" not in line


def test_unknown_errors_keep_their_first_line_without_keys() -> None:
    line = explain_model_error("m", "litellm.WeirdError: something odd\nwith key sk-abcdefgh1234")
    assert line == "model m: something odd with key sk-***"

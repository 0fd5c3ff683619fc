"""The model side of a stack: the mock, the recorder or a check of a real model; turn requests.

Each start function blocks (the mock loads its tokenizer, a model check may call
the network), so a stack runs them in a daemon thread while its child imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.projects import Project
from workbench.core.runner.target import Target

if TYPE_CHECKING:
    from workbench.core.mock.server import MockServer


def check_model(project: Project, target: Target) -> None:
    """Raise a one-line error unless ``target``'s real model can be called: its key is there
    (the environment or the project's ``.env``) and its ``api_base`` answers."""
    from workbench.core.mock.upstream import check_reachable
    from workbench.core.model_keys import named_key, needs_provider_key
    from workbench.core.runner.env import child_env
    from workbench.core.runner.preflight import check_model as preflight

    env = child_env(project)
    preflight(
        target.model,
        env,
        key_needed=needs_provider_key(target.model, target.api_base, target.api_key_env),
    )
    if target.api_key_env:
        named_key(target.api_key_env, env)
    if target.api_base:
        check_reachable(target.model, target.api_base)


def start_recorder(project: Project, target: Target) -> MockServer:
    """The mock in record mode, forwarding to the real model with the key from the
    environment or the project's ``.env`` (held in memory, scrubbed from cassettes)."""
    from workbench.core.mock import start_mock
    from workbench.core.mock.upstream import upstream_key
    from workbench.core.runner.env import child_env

    check_model(project, target)
    upstream = {
        "model": target.model,
        "api_base": target.api_base,
        "api_key": upstream_key(
            target.model, child_env(project), target.api_base, target.api_key_env
        ),
    }
    return start_mock(project_dir=project.path, port=0, mode="record", upstream=upstream)


def start_rules_or_replay(project: Project, target: Target) -> MockServer:
    """The mock answering from the project's rules, or from its cassettes for ``replay``."""
    from workbench.core.mock import start_mock

    mode = "replay" if target.source == "replay" else "rules"
    return start_mock(project_dir=project.path, port=0, mode=mode)


def turn_request(
    target: Target, mock: MockServer | None, text: str, *, session_id: str
) -> dict[str, Any]:
    """The turn request for ``text``: ``target``'s variant, and its model (through ``mock``
    when one stands in for it or records it)."""
    from workbench.core.model_keys import is_provider_host

    attributes: dict[str, Any] = {"workbench.model_source": target.source}
    request: dict[str, Any] = {"input": text, "session_id": session_id}
    if target.variant:
        attributes["workbench.variant"] = target.variant
    if target.settings is not None:
        request["prompt_version"] = target.settings.prompt
        if target.settings.params:
            request["params"] = dict(target.settings.params)
    if mock is not None:
        request["model"] = f"openai/{mock.options.priced_as}"
        request["api_base"] = mock.api_base
        request["api_key"] = "mock"
    else:
        request["model"] = target.model
        if target.api_base:
            request["api_base"] = target.api_base
        if target.api_key_env:
            # The name only: the project reads the key from its own environment.
            request["api_key_env"] = target.api_key_env
    if target.api_base and not is_provider_host(target.model, target.api_base):
        # What a server at another host costs is unknown (it may echo any model name);
        # only [pricing] prices it. Recording too: the answers come from that server.
        attributes["workbench.cost.unpriced"] = True
    request["span_attributes"] = attributes
    return request


def cassette_miss(target: Target, mock: MockServer | None) -> str | None:
    """A strict replay that found no cassette, said as such (the agent only saw a 404)."""
    state = getattr(mock, "state", None)
    if target.source != "replay" or state is None or not state.misses:
        return None
    folder = state.options.cassette_dir
    return (
        f"replay found no cassette for request {state.misses[0]} in {folder} (strict); "
        "record the turn first with --model <a real model> --record"
    )

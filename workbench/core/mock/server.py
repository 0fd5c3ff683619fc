"""Starting the mock model server: options from the project, flags and environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.config import MockSection, load_config
from workbench.core.llm import import_litellm
from workbench.core.mock import tokenizer
from workbench.core.mock.app import create_app
from workbench.core.mock.faults import Overrides
from workbench.core.mock.state import MODES, MockOptions, MockState, is_mode
from workbench.core.mock.upstream import Upstream
from workbench.core.serving import RunningServer, serve_in_thread
from workbench.errors import ConfigError, WorkbenchError
from workbench.settings import get_settings


@dataclass
class MockServer(RunningServer):
    """A running mock: ``url`` is its base, ``api_base`` (``url + "/v1"``) is what litellm needs."""

    state: MockState | None = None

    @property
    def api_base(self) -> str:
        """The ``api_base`` to give litellm (``openai/<model>`` models)."""
        return f"{self.url}/v1"

    @property
    def options(self) -> MockOptions:
        """The options this mock runs with."""
        assert self.state is not None
        return self.state.options

    def stop(self, timeout: float = 5.0) -> None:
        """Wake hanging requests, then shut the server down."""
        if self.state is not None:
            self.state.stop()
        super().stop(timeout)


def mock_options(
    *,
    project_dir: Path | None = None,
    mode: str = "rules",
    latency_ms: float | None = None,
    fault_rate: float | None = None,
    seed: int | None = None,
    upstream: dict | None = None,
    cassette_dir: Path | None = None,
    models: tuple[str, ...] | list[str] = (),
) -> MockOptions:
    """Options from ``[mock]`` in workbench.toml, the arguments and the environment."""
    if not is_mode(mode):
        raise WorkbenchError(f"unknown mock mode {mode!r}; choose one of {', '.join(MODES)}")
    config = load_config(project_dir) if project_dir is not None else None
    section = config.mock if config is not None else MockSection()
    served = list(models)
    if config is not None:
        routed = config.models
        served += [routed.default, routed.cheap or "", routed.strong or "", *routed.fallbacks]
    base = project_dir if project_dir is not None else Path.cwd()
    settings = get_settings()
    latency = latency_ms if latency_ms is not None else settings.mock_latency_ms
    rate = fault_rate if fault_rate is not None else settings.mock_fault_rate
    if rate is not None and not 0.0 <= rate <= 1.0:
        raise WorkbenchError(f"fault rate must be between 0 and 1, not {rate}")
    if latency is not None and latency < 0:
        raise WorkbenchError(f"latency must be zero or more milliseconds, not {latency}")
    target = Upstream.of(upstream)
    if mode in ("record", "passthrough") and target is None:
        raise WorkbenchError(
            f"mode {mode!r} forwards to a real model: give --upstream-model "
            "(or WORKBENCH_MOCK_UPSTREAM_MODEL)"
        )
    return MockOptions(
        mode=mode,
        rules_dir=(base / section.rules) if project_dir is not None else None,
        cassette_dir=cassette_dir or (base / section.cassettes),
        priced_as=section.priced_as,
        overrides=Overrides(
            latency_ms=latency,
            fault_rate=rate,
            seed=section.seed if seed is None else seed,
        ),
        upstream=target,
        models=tuple(name for name in served if name),
    )


def start_mock(
    *,
    project_dir: Path | None = None,
    port: int = 0,
    mode: str = "rules",
    latency_ms: float | None = None,
    fault_rate: float | None = None,
    seed: int | None = None,
    upstream: dict | None = None,
    host: str = "127.0.0.1",
    cassette_dir: Path | None = None,
    models: tuple[str, ...] | list[str] = (),
) -> MockServer:
    """Serve the mock in a background thread; raises ``ConfigError`` for bad rules (file:line).

    ``models`` names models to serve besides ``[mock] priced_as``, the project's ``[models]``
    and the rules' own; a request for any other model gets the API's 404.
    """
    options = mock_options(
        project_dir=project_dir,
        mode=mode,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        seed=seed,
        upstream=upstream,
        cassette_dir=cassette_dir,
        models=models,
    )
    state = MockState(options)
    if mode != "replay":
        _warm_tokenizer(options.priced_as)
    running = serve_in_thread(create_app(state), host=host, port=port, name="workbench-mock")
    server = MockServer(
        host=running.host,
        port=running.port,
        server=running.server,
        thread=running.thread,
        extras={"api_base": f"{running.url}/v1", "mode": mode, "priced_as": options.priced_as},
        state=state,
    )
    return server


def _warm_tokenizer(model: str) -> None:
    # The first count loads the tokenizer (~1 s); pay it before the first request, not during.
    # A plain OpenAI model needs tiktoken only; any other model litellm (seconds to import).
    try:
        if tokenizer.text_tokens(model, "warm up") is None:
            import_litellm().token_counter(model=model, text="warm up")
    except Exception as error:
        raise ConfigError(
            f"[mock] priced_as = {model!r}: cannot count its tokens ({error})"
        ) from None

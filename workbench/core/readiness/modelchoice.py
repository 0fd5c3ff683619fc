"""The model ``workbench check --model`` judges: its litellm name, endpoint and key variable.

Without one, dynamic probes talk to the workbench's mock (scripted answers and faults), so
their verdicts prove the code's behaviour, not a model's; ``safety.evals`` is then a wiring
check. The key is read from the named environment variable when a probe needs it and is
never stored, logged or put in evidence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from workbench.errors import WorkbenchError

MOCK_LABEL = "workbench mock (scripted answers)"


@dataclass(frozen=True)
class ModelChoice:
    """A real model to run the model-facing probes and the safety evals against."""

    model: str
    api_base: str | None = None
    api_key_env: str | None = None

    @property
    def label(self) -> str:
        """How evidence names it (never the key)."""
        return self.model + (f" at {self.api_base}" if self.api_base else "")

    def api_key(self) -> str | None:
        """The key from ``api_key_env`` (a clear error when the variable is unset)."""
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise WorkbenchError(f"--api-key-env {self.api_key_env}: the variable is not set")
        return value

    def request_fields(self) -> dict[str, str]:
        """What a turn request carries to use this model (the turn contract's keys)."""
        fields = {"model": self.model}
        if self.api_base:
            fields["api_base"] = self.api_base
        key = self.api_key()
        if key:
            fields["api_key"] = key
        elif self.api_base:
            # A local OpenAI-compatible server usually needs no key; litellm wants one anyway.
            fields["api_key"] = "not-needed"
        return fields


def label(choice: ModelChoice | None) -> str:
    """The model a dynamic verdict came from."""
    return choice.label if choice is not None else MOCK_LABEL

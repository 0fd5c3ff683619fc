"""A freshly rendered agent-service project (once per session), copied for each mutation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.readiness.mutations import fresh_project


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    """``workbench new``'s output plus the CI workflows ``ship`` writes first."""
    return fresh_project(tmp_path_factory.mktemp("rendered"))


@pytest.fixture
def project_copy(rendered, tmp_path) -> Path:
    """A throwaway copy of the rendered project, free to break."""
    target = tmp_path / rendered.name
    shutil.copytree(rendered, target)
    return target

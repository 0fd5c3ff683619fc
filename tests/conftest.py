"""Fixtures shared by every test: an isolated WORKBENCH_HOME and projects folder."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from workbench.settings import get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent

if os.environ.get("PYTEST_XDIST_WORKER"):
    # xdist starts its workers with SIGINT ignored, and an ignored signal stays ignored in
    # every process they start: the Ctrl-C tests would send SIGINT to deaf commands. A
    # terminal's processes get the default, so the workers' children do too.
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The pytest plugins of arize-phoenix-client and langsmith import all of Phoenix and
# LangSmith (~15 s of CPU per pytest process) and no test uses them; pyproject.toml leaves
# them out of this run, this leaves them out of the pytest runs tests start (the template's
# own suite, the README tour's). A user's environment has neither package.
# Tests never reach the internet: no tokenizer downloads, here or in the processes they start.
os.environ["HF_HUB_OFFLINE"] = "1"
UNUSED_PLUGINS = "-p no:phoenix -p no:langsmith_plugin"
if UNUSED_PLUGINS not in os.environ.get("PYTEST_ADDOPTS", ""):
    os.environ["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} {UNUSED_PLUGINS}"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Workers for ``-n auto``: half as many again as cores, at most two more (at least two).

    A third of the suite's time is spent waiting on the processes and servers tests start
    (measured on 2 cores: 1.25 cores busy of 2). On 2 cores, 3 workers ran the suite in
    7 min 41 s against 9 min 36 s for 2. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still wins.
    """
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    if chosen.strip().isdigit() and int(chosen) > 0:
        return int(chosen)
    # The cores this process may run on (a container's CPU set), as xdist itself counts them.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    # Two more than cores covers the waiting on a small machine; a large one need not
    # start (and hold the memory of) half as many workers again.
    return max(2, min(cores * 3 // 2, cores + 2))


@pytest.fixture(autouse=True)
def workbench_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own WORKBENCH_HOME and projects folder: nothing touches real data."""
    home = tmp_path_factory.mktemp("workbench-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    # Nor the repository's projects/ folder: tests that want the example ask for it.
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(home / "projects"))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def repo_projects(monkeypatch) -> Path:
    """Point the projects folder at the repository's ``projects/`` (the example project)."""
    projects = REPO_ROOT / "projects"
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(projects))
    get_settings.cache_clear()
    return projects

"""Per-project price overrides: ``[pricing.<model>]`` of the project a span's service names."""

from __future__ import annotations

import threading
from pathlib import Path

from workbench import locations
from workbench.core.config import CONFIG_FILE, PricingOverride, load_config
from workbench.errors import WorkbenchError


class PricingOverrides:
    """Finds a service's ``workbench.toml`` under the projects folder; re-read when it changes."""

    def __init__(self, projects_dir: Path | None = None) -> None:
        self._projects_dir = projects_dir
        self._cache: dict[str, tuple[float, dict[str, PricingOverride] | None]] = {}
        self._lock = threading.Lock()

    @property
    def projects_dir(self) -> Path | None:
        """The projects folder given at construction (None: the workbench's, looked up per call)."""
        return self._projects_dir

    def __call__(self, service: str) -> dict[str, PricingOverride] | None:
        """The overrides of the project named ``service``, or None when it has none."""
        if not service or "/" in service or "\\" in service or service.startswith("."):
            return None
        folder = self._projects_dir or locations.projects_dir()
        path = folder / service / CONFIG_FILE
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        with self._lock:
            cached = self._cache.get(service)
            if cached is not None and cached[0] == mtime:
                return cached[1]
        try:
            overrides = load_config(path.parent).pricing or None
        except WorkbenchError:
            overrides = None
        with self._lock:
            self._cache[service] = (mtime, overrides)
        return overrides

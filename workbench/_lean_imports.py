"""Keep sqlite-utils from importing pandas and numpy, which the workbench never hands it.

sqlite-utils imports both when its ``db`` module loads, if they are installed, only to
map their value types. In an environment that has them (a data-science setup, or this
project's dev extras) that costs ~0.3 s of CPU, far more on a loaded machine, in every
workbench process that opens the store. The finder hides them only while ``sqlite_utils.db``
executes, so anything importing pandas or numpy later gets them as usual.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

HIDDEN = ("pandas", "numpy")
TARGET = "sqlite_utils.db"


class _HidingLoader(importlib.abc.Loader):
    """Runs the real loader with the hidden modules marked as not importable."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hidden = [name for name in HIDDEN if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # None makes import raise ImportError
        try:
            self._loader.exec_module(module)
        finally:
            for name in hidden:
                if sys.modules.get(name, False) is None:
                    del sys.modules[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class SkipDataFrameImports(importlib.abc.MetaPathFinder):
    """Finds ``sqlite_utils.db`` as usual, with a loader that hides pandas and numpy."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _HidingLoader(spec.loader)
        return spec


def install() -> None:
    """Put the finder first on ``sys.meta_path`` unless sqlite-utils is loaded already."""
    if TARGET in sys.modules or any(isinstance(f, SkipDataFrameImports) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, SkipDataFrameImports())

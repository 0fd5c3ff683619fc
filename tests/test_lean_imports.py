"""The workbench keeps sqlite-utils from importing pandas and numpy (seconds under load)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
{before}
import sqlite_utils
print("pandas" in sys.modules, "numpy" in sys.modules, sqlite_utils.db.pd is None)
import pandas, numpy
print(pandas.DataFrame({{"a": [1]}}).shape, numpy.arange(3).sum())
"""


def _probe(before: str) -> list[str]:
    code = PROBE.format(before=before)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_opening_the_store_does_not_import_pandas_but_pandas_still_imports_later() -> None:
    pytest.importorskip("pandas")
    lines = _probe("import workbench.store.db")
    assert lines == ["False False True", "(1, 1) 3"]


def test_without_the_workbench_sqlite_utils_would_import_them() -> None:
    """The guard above can fail: plain sqlite-utils does import pandas when it is installed."""
    pytest.importorskip("pandas")
    assert _probe("")[0] == "True True False"


def test_pandas_imported_first_is_left_alone() -> None:
    pytest.importorskip("pandas")
    lines = _probe("import pandas\nimport workbench")
    assert lines[0] == "True True False"

"""Small fixture projects for the readiness analyzers: a workbench.toml and a few source files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from workbench.core.projects import open_project
from workbench.core.readiness.context import CheckContext

TOML = """\
[project]
name = "mini"
package = "mini"

[agent]
entry = "mini.agent:run_turn"
service = "mini.api:app"

[models]
default = "gpt-4o-mini"
cheap = "gpt-4o-mini"
strong = "gpt-4o"
fallbacks = ["gpt-4o"]

[budgets]
tokens_per_session = 1000
usd_per_day = 5.0
alert_thresholds = [0.5, 1.0]

[variants.baseline]
prompt = "v1"

[evals.gate]
safety = 1.0
"""


def make_project(root: Path, files: dict[str, str], toml: str = TOML) -> CheckContext:
    """Write ``files`` (paths relative to the project) and return a static-only check context."""
    (root / "src" / "mini").mkdir(parents=True, exist_ok=True)
    (root / "src" / "mini" / "__init__.py").write_text("", encoding="utf-8")
    (root / "workbench.toml").write_text(toml, encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return CheckContext(open_project(root), run_dynamic=False)

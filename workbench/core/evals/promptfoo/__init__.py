"""Importing promptfoo configs: prompts, providers, tests and assertions as a workbench eval set.

``import_config`` reads a ``promptfooconfig.yaml`` (with its ``file://`` references, resolved
from the config's own folder) and returns what to write plus a report of every item:
mapped, approximated (and how), or not converted (and why). Nothing changes meaning silently.
"""

from workbench.core.evals.promptfoo.convert import ImportPlan, import_config
from workbench.core.evals.promptfoo.report import Row

__all__ = ["ImportPlan", "Row", "import_config"]

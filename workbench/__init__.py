"""Agent Workbench: take an AI agent from prototype to production, locally."""

from workbench._lean_imports import install as _skip_dataframe_imports

__version__ = "0.1.0"

_skip_dataframe_imports()

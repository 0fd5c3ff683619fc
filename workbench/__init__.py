"""Agent Workbench: take an AI agent from prototype to production, locally."""

__version__ = "0.1.0"

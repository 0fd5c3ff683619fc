"""Customer-support agent for an online shop."""

__version__ = "0.1.0"

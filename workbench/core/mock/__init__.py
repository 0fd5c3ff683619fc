"""The mock model: an OpenAI-compatible server answering from rules, faults and cassettes."""

from workbench.core.mock.loader import RuleBook, load_rules
from workbench.core.mock.server import MockServer, mock_options, start_mock
from workbench.core.mock.state import MODES, MockOptions

__all__ = [
    "MODES",
    "MockOptions",
    "MockServer",
    "RuleBook",
    "load_rules",
    "mock_options",
    "start_mock",
]

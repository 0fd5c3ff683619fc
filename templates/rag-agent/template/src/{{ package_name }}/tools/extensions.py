"""The project's own tools: the shop's, with document search (`search_docs`) in place of the
keyword search over the shop's sample articles (`search_knowledge_base`).

Everything else in tools/ is shared with the agent-service template.
"""

from __future__ import annotations

from ..rag.tool import search_docs_tool
from .base import Tool

REPLACED = {"search_knowledge_base"}


def extend_tools(tools: list[Tool]) -> list[Tool]:
    """The shop's tools without the ones document search replaces, plus `search_docs`."""
    return [tool for tool in tools if tool.name not in REPLACED] + [search_docs_tool()]

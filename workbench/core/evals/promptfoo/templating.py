"""promptfoo's Nunjucks templates here: plain ``{{ var }}`` stays a template, the rest is rendered.

The workbench renders ``{{ name }}`` / ``{{ a.b }}`` itself when a case runs (inputs and
assertion values). A template with filters, tags or expressions is rendered once at import
with Jinja2's sandbox (Nunjucks is a port of Jinja2), and the report says so.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.core.evals.loader import _VAR

_ANY_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def plain_names(template: str) -> list[str] | None:
    """The vars a template uses when every tag is a plain ``{{ name }}``; ``None`` otherwise."""
    tags = _ANY_TAG.findall(template)
    names = []
    for tag in tags:
        match = _VAR.fullmatch(tag)
        if match is None:
            return None
        names.append(match.group(1).split(".")[0])
    return names


def render_nunjucks(template: str, variables: dict[str, Any]) -> str:
    """``template`` rendered with Jinja2's sandbox (undefined vars render empty, as in promptfoo).

    Raises ``ValueError`` with the template error when Jinja2 cannot render it.
    """
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment(undefined=jinja2.Undefined, keep_trailing_newline=True)
    environment.filters.setdefault("dump", environment.filters["tojson"])
    try:
        return environment.from_string(template).render(**variables)
    except jinja2.TemplateError as error:
        raise ValueError(f"template error: {error}") from None

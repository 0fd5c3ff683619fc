"""The output-token ceiling of a model: ``max_tokens`` above it is the API's ``400``.

The ceiling is litellm's bundled model map's ``max_output_tokens`` for the requested model,
else for the ``priced_as`` model the answers claim to be, else ``DEFAULT_MAX_OUTPUT_TOKENS``.
"""

from __future__ import annotations

from workbench.core.mock.api_errors import ApiError
from workbench.core.mock.catalog import bare
from workbench.core.pricing import model_map

# gpt-4o-mini's ceiling: used for a model neither litellm's map nor ``priced_as`` knows.
DEFAULT_MAX_OUTPUT_TOKENS = 16384


def max_output_tokens(model: str, priced_as: str) -> int:
    """The most completion tokens ``model`` (served as ``priced_as``) may be asked for."""
    known = model_map()
    for name in (model, bare(model), priced_as):
        ceiling = (known.get(name) or {}).get("max_output_tokens")
        if isinstance(ceiling, int) and ceiling > 0:
            return ceiling
    return DEFAULT_MAX_OUTPUT_TOKENS


def check_output_limit(body: dict, priced_as: str) -> None:
    """Refuse, as the API does, a token limit above the model's output ceiling."""
    for param in ("max_completion_tokens", "max_tokens"):
        asked = body.get(param)
        if not isinstance(asked, int) or isinstance(asked, bool):
            continue
        ceiling = max_output_tokens(str(body.get("model", "")), priced_as)
        if asked > ceiling:
            raise ApiError(
                f"{param} is too large: {asked}. This model supports at most {ceiling} "
                f"completion tokens, whereas you provided {asked}.",
                param=param,
                code="invalid_value",
            )

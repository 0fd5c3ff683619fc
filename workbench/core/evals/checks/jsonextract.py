"""``contains-json``: the reply contains a JSON object or array (optionally schema-valid)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion

_DECODER = json.JSONDecoder()


def json_documents(text: str) -> Iterator[Any]:
    """Every JSON object or array embedded in ``text``, in order (nested ones are not repeated)."""
    index = 0
    while True:
        starts = [pos for pos in (text.find("{", index), text.find("[", index)) if pos >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            document, end = _DECODER.raw_decode(text, start)
        except ValueError:
            index = start + 1
            continue
        yield document
        index = end


def _validate(assertion: Assertion) -> None:
    if assertion.value is None:
        return
    if not isinstance(assertion.value, dict):
        raise ValueError("'value' must be a JSON schema (a mapping), or nothing")
    import jsonschema

    try:
        jsonschema.validators.validator_for(assertion.value).check_schema(assertion.value)
    except jsonschema.SchemaError as error:
        raise ValueError(f"invalid JSON schema: {error.message}") from None


def _contains_json(assertion: Assertion, obs: Observation) -> Verdict:
    documents = list(json_documents(obs.output))
    if not documents:
        return False, 0.0, "no JSON object or array in the output"
    schema = assertion.value
    if schema is None:
        return True, 1.0, f"output contains JSON ({len(documents)} document(s))"
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    first_error = None
    for document in documents:
        errors = list(validator.iter_errors(document))
        if not errors:
            return True, 1.0, "output contains JSON that matches the schema"
        first_error = first_error or errors[0]
    assert first_error is not None
    where = "/".join(str(part) for part in first_error.absolute_path) or "(root)"
    return False, 0.0, f"no JSON in the output matches the schema ({where}: {first_error.message})"


CHECKS = [Check("contains-json", _contains_json, _validate)]

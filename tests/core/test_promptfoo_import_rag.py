"""promptfoo's RAG assertions on import: context-faithfulness converted, the others explained."""

from __future__ import annotations

import textwrap

from tests.core.test_eval_fakes import make_project
from tests.core.test_promptfoo_import import loads, rows
from workbench.core.evals.promptfoo import import_config

CONFIG = """
prompts: ['{{query}}']
tests:
  - vars: {query: 'Can I return it?', context: Returns are accepted within 30 days.}
    options:
      provider: openai:gpt-4o-mini
    assert:
      - {type: context-faithfulness, threshold: 0.9}
      - {type: context-faithfulness, provider: "anthropic:messages:claude-3-5-haiku-latest"}
      - {type: not-context-faithfulness, contextTransform: output.context, weight: 2}
      - {type: context-recall, value: Returns are accepted within 30 days, threshold: 1}
      - {type: context-relevance, threshold: 0.3}
      - {type: contains, value: "30"}
  - vars: {query: Hi}
    assert:
      - {type: context-faithfulness, provider: "exec:./judge.sh"}
"""


def test_context_faithfulness_becomes_faithfulness_and_the_rest_say_why(tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    plan = import_config(config, make_project(tmp_path / "project"))
    first, second = plan.document["cases"]
    assert first["assert"] == [
        {"type": "faithfulness", "threshold": 0.9, "provider": "gpt-4o-mini"},
        {"type": "faithfulness", "provider": "anthropic/claude-3-5-haiku-latest"},
        {"type": "not-faithfulness", "weight": 2, "provider": "gpt-4o-mini"},
        {"type": "contains", "value": "30"},
    ]
    assert "assert" not in second
    approximated = dict(rows(plan, "approximated"))
    note = approximated["tests[1]: not-context-faithfulness"]
    assert "graded against the chunks the turn retrieved" in note
    assert note.endswith("contextTransform dropped")
    skipped = dict(rows(plan, "not converted"))
    assert (
        "lists the document or chunk ids the turn must retrieve"
        in skipped["tests[1]: context-recall"]
    )
    assert "context-precision" in skipped["tests[1]: context-relevance"]
    assert "not a model litellm can call" in skipped["tests[2]: context-faithfulness"]
    loads(plan, tmp_path)

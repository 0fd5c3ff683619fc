"""Importing promptfoo configs: what maps, what is approximated, what is refused, and why."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.core.test_eval_fakes import make_project
from workbench.core.evals.loader import load_set
from workbench.core.evals.promptfoo import import_config
from workbench.core.evals.promptfoo.csvtests import parse_expected
from workbench.core.evals.promptfoo.providers import litellm_model
from workbench.core.evals.promptfoo.write import dump_set, write_plan
from workbench.errors import ConfigError

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "promptfoo"


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def rows(plan, outcome=None):
    return {
        (row.item, row.detail)
        for row in plan.report.rows
        if outcome is None or row.outcome == outcome
    }


def cases(plan):
    return {case["id"]: case for case in plan.document["cases"]}


def loads(plan, tmp_path) -> None:
    """The converted set loads with the workbench's own loader (ids, vars, types all valid)."""
    path = tmp_path / f"{plan.set_name}.yaml"
    path.write_text(dump_set(plan.document))
    load_set(path)


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai:gpt-4o-mini", "gpt-4o-mini"),
        ("openai:chat:gpt-4o", "gpt-4o"),
        ("anthropic:messages:claude-3-5-haiku-latest", "anthropic/claude-3-5-haiku-latest"),
        ("ollama:chat:llama3.1", "ollama_chat/llama3.1"),
        ("vertex:gemini-1.5-pro", "vertex_ai/gemini-1.5-pro"),
        ("openai:embedding:text-embedding-3-small", "text-embedding-3-small"),
        ("exec:./agent.sh", None),
        ("https://example.com/chat", None),
        ("nonsense:model", None),
    ],
)
def test_provider_ids_become_litellm_models(provider, model):
    assert litellm_model(provider) == model


@pytest.mark.parametrize(
    ("cell", "assertion"),
    [
        ("icontains: merci", {"type": "icontains", "value": "merci"}),
        ("not-contains: Thank", {"type": "not-contains", "value": "Thank"}),
        ("contains-any: a, b ,c", {"type": "contains-any", "value": ["a", "b", "c"]}),
        (
            "similar(0.8): Buona notte",
            {"type": "similar", "value": "Buona notte", "threshold": 0.8},
        ),
        ("is-json", {"type": "is-json"}),
        ("grade: is polite", {"type": "llm-rubric", "value": "is polite"}),
        ("fn: output.length > 3", {"type": "javascript", "value": "output.length > 3"}),
        ("Paris: the capital", {"type": "equals", "value": "Paris: the capital"}),
        ("42", {"type": "equals", "value": "42"}),
    ],
)
def test_csv_expected_cells(cell, assertion):
    from workbench.core.evals.promptfoo.asserts import KNOWN_TYPES

    assert parse_expected(cell, KNOWN_TYPES) == assertion


def test_translate_config(project, tmp_path):
    plan = import_config(FIXTURES / "translate" / "promptfooconfig.yaml", project)
    loads(plan, tmp_path)
    by_id = cases(plan)
    # two text prompts -> one copy of each case per prompt; CSV rows and a 2-value matrix
    assert len(by_id) == (3 + 2 + 1) * 2
    thanks = by_id["thanks-in-french@formal"]
    assert thanks["input"].startswith("Translate the following text into {{language}}")
    assert thanks["vars"] == {
        "tone": "friendly",
        "language": "French",
        "text": "Thank you very much",
    }
    assert thanks["assert"] == [
        {"type": "icontains", "value": "merci"},
        {"type": "not-contains", "value": "Thank"},
    ]
    assert by_id["test-3@casual"]["assert"] == [
        {"type": "similar", "value": "Buona notte", "threshold": 0.6}
    ]
    # the vars matrix: separate cases, never one multi-turn case
    matrix = [by_id[f"greeting-in-two-languages-{n}@formal"] for n in (1, 2)]
    assert [case["vars"]["language"] for case in matrix] == ["French", "German"]
    assert all(isinstance(case["input"], str) for case in matrix)
    # defaultTest: assertions become the set's defaults, latency a whole-turn limit
    assert plan.document["defaults"]["assert"] == [
        {"type": "not-icontains", "value": "as an AI"},
        {"type": "latency", "value": 5000},
    ]
    assert plan.variants == {
        "gpt-4o-mini": {"model": "gpt-4o-mini", "description": "promptfoo openai:gpt-4o-mini"},
        "haiku": {
            "model": "anthropic/claude-3-5-haiku-latest",
            "params": {"temperature": 0.2, "max_tokens": 256},
            "description": "promptfoo anthropic:messages:claude-3-5-haiku-latest",
        },
    }
    skipped = rows(plan, "not converted")
    assert (
        "tests[3]: javascript",
        "JavaScript is not run here; suggested: {type: python, value: \"'estación' in"
        ' output.lower()"}',
    ) in skipped
    assert by_id["test-5@formal"]["assert"] == [
        {"type": "python", "value": "'estaci' in output.lower()"}
    ]
    approximated = {item for item, _ in rows(plan, "approximated")}
    assert {"defaultTest: latency", "tests.csv:3", "tests[3]"} <= approximated


def test_support_config(project, tmp_path):
    plan = import_config(FIXTURES / "support" / "promptfooconfig.yaml", project, "orders")
    loads(plan, tmp_path)
    assert plan.prompt_versions == {
        "promptfoo-chat": "You are Acme's order support assistant. Answer in one or two sentences."
    }
    assert plan.variants["gpt4o"] == {
        "model": "gpt-4o",
        "prompt": "promptfoo-chat",
        "params": {"temperature": 0},
        "description": "promptfoo openai:chat:gpt-4o with prompt chat",
    }
    assert "sk-should-never" not in repr(plan.variants) + dump_set(plan.document)
    # defaultTest.options.provider is the grader: the llm-rubric's judge
    assert plan.document["defaults"]["assert"] == [
        {
            "type": "llm-rubric",
            "value": "Is polite and does not invent order details",
            "provider": "gpt-4o-mini",
        }
    ]
    by_id = cases(plan)
    assert list(by_id) == ["order-status-as-json", "refund-policy", "test-3", "trimmed-answer"]
    assert by_id["refund-policy"]["assert"][0] == {
        "type": "assert-set",
        "threshold": 0.5,
        "assert": [
            {"type": "icontains", "value": "refund"},
            {"type": "icontains", "value": "30 days"},
        ],
    }
    python = by_id["order-status-as-json"]["assert"][1]
    assert python == {"type": "python", "value": "evals/orders_assertions/checks.py:mentions_order"}
    assert plan.copies == {
        project / "evals" / "orders_assertions" / "checks.py": FIXTURES / "support" / "checks.py"
    }
    skipped = dict(rows(plan, "not converted"))
    assert skipped["cases.jsonl:3: model-graded-closedqa"].startswith("use llm-rubric")
    assert "transforms" in skipped["cases.jsonl:4 options.transform"]
    assert "never imported" in skipped["provider openai:chat:gpt-4o"]


def test_rag_config_reads_globs_and_var_files_from_the_config_folder(project, tmp_path):
    plan = import_config(FIXTURES / "rag" / "promptfooconfig.yaml", project)
    loads(plan, tmp_path)
    by_id = cases(plan)
    # two test files from a glob, and the scenario's config × tests
    assert set(by_id) == {"receipt-needed", "return-window", "test-3"}
    assert by_id["test-3"]["vars"]["question"] == "Can I return shoes?"
    assert by_id["test-3"]["assert"] == [{"type": "icontains", "value": "shoes"}]
    window = by_id["return-window"]
    # Nunjucks filters: rendered at import (trim), and the report says so
    assert window["input"].endswith("Question: How long do I have to return an item?")
    assert "Policy: Returns are accepted within 30 days" in window["input"]
    assert window["assert"][1] == {
        "type": "similar",
        "value": "You have 30 days to return an item.",
        "threshold": 0.5,
        "provider": "text-embedding-3-small",
    }
    assert set(plan.variants) == {"gpt-4o-mini", "llama3-1"}
    skipped = dict(rows(plan, "not converted"))
    assert "provider exec:./run_agent.sh" in skipped
    assert "receipts.yaml[1]: rouge-n" in skipped


def test_file_paths_resolve_from_the_config_folder_not_the_working_directory(
    project, tmp_path, monkeypatch
):
    config = tmp_path / "elsewhere" / "promptfooconfig.yaml"
    shutil.copytree(FIXTURES / "translate", config.parent)
    monkeypatch.chdir(project)
    plan = import_config(config, project)
    assert len(plan.document["cases"]) == 12


def test_a_missing_test_file_is_one_line(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text("prompts: ['{{input}}']\ntests: file://nope.csv\n")
    with pytest.raises(ConfigError, match=r"file://nope.csv: file not found"):
        import_config(config, project)


def test_prompts_that_all_fail_to_read_make_no_cases_not_empty_inputs(project, tmp_path):
    # A glob matching nothing is not "no prompts": falling back to vars.input would
    # write cases whose input is empty.
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['file://prompts/*.txt']\n"
        "providers: [openai:gpt-4o-mini]\n"
        "tests: [{vars: {q: hi}}]\n"
    )
    plan = import_config(config, project)
    assert plan.document["cases"] == []
    assert not any(item == "prompts" for item, _ in rows(plan, "mapped"))
    assert any(item == "prompt file://prompts/*.txt" for item, _ in rows(plan, "not converted"))


def test_tests_without_prompts_use_vars_input_and_vars_lists_expand(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        textwrap.dedent("""
        providers: [openai:gpt-4o-mini]
        tests:
          - vars: {input: [hi, hello], name: [Ann, Bob]}
            assert: [{type: icontains, value: "{{name}}"}]
          - vars: {question: no input here}
    """)
    )
    plan = import_config(config, project)
    by_id = cases(plan)
    matrix = list(by_id.values())[:4]
    assert [c["vars"]["input"] + "/" + c["vars"]["name"] for c in matrix] == [
        "hi/Ann",
        "hi/Bob",
        "hello/Ann",
        "hello/Bob",
    ]
    # promptfoo renders an undefined var empty; so does the import, and says so
    assert by_id["test-2"]["vars"]["input"] == ""
    assert ("test-2", "var 'input' is not defined: empty, as promptfoo renders it") not in rows(
        plan
    )
    assert any("'input' is not defined" in detail for _, detail in rows(plan, "approximated"))


def test_prompts_differing_in_system_and_user_are_not_mixed(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        textwrap.dedent("""
        prompts:
          - '[{"role": "system", "content": "Be terse"}, {"role": "user", "content": "{{q}}"}]'
          - '[{"role": "system", "content": "Be long."}, {"role": "user", "content": "Q: {{q}}"}]'
          - '[{"role": "system", "content": "Be kind."}, {"role": "user", "content": "{{q}}"}]'
        providers: [openai:gpt-4o-mini]
        tests: [{vars: {q: hi}}]
    """)
    )
    plan = import_config(config, project)
    # prompts 1 and 3 share the user message: one case, their system prompts as variants
    assert len(plan.document["cases"]) == 1
    assert sorted(plan.prompt_versions.values()) == ["Be kind.", "Be terse"]
    skipped = dict(rows(plan, "not converted"))
    assert "both its system and user messages" in skipped["prompt prompt-2"]


def test_same_user_message_with_several_system_prompts_makes_variants(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        textwrap.dedent("""
        prompts:
          - label: brief
            raw: '[{"role": "system", "content": "Be terse"}, {"role": "user", "content": "{{q}}"}]'
          - label: kind
            raw: '[{"role": "system", "content": "Be kind."}, {"role": "user", "content": "{{q}}"}]'

        providers: [openai:gpt-4o-mini, openai:gpt-4o]
        tests: [{vars: {q: hi}}]
    """)
    )
    plan = import_config(config, project)
    assert len(plan.document["cases"]) == 1
    assert {name: v["prompt"] for name, v in plan.variants.items()} == {
        "gpt-4o-mini-brief": "promptfoo-brief",
        "gpt-4o-mini-kind": "promptfoo-kind",
        "gpt-4o-brief": "promptfoo-brief",
        "gpt-4o-kind": "promptfoo-kind",
    }
    assert plan.prompt_versions == {"promptfoo-brief": "Be terse", "promptfoo-kind": "Be kind."}


def test_writing_appends_variants_and_versions_and_refuses_conflicts(project, tmp_path):
    (project / "prompts").mkdir()
    (project / "prompts" / "system.yaml").write_text(
        "# prompts\ncurrent: v1\nversions:\n  v1: You are v1.\n"
    )
    toml_before = (project / "workbench.toml").read_text()
    plan = import_config(FIXTURES / "support" / "promptfooconfig.yaml", project, "orders")
    written = write_plan(plan, project)
    assert written[0] == plan.set_path == project / "evals" / "orders.yaml"
    assert (project / "workbench.toml").read_text().startswith(toml_before.rstrip("\n"))
    from workbench.core.config import load_config
    from workbench.core.evals.services import read_prompts

    assert load_config(project).variants["gpt4o"].prompt == "promptfoo-chat"
    prompts = read_prompts(project / "prompts" / "system.yaml")
    assert prompts["v1"] == "You are v1." and prompts["__current__"] == "You are v1."
    assert prompts["promptfoo-chat"].startswith("You are Acme's order support assistant.")
    assert "sk-should-never" not in (project / "workbench.toml").read_text()
    # the same import again: the set exists
    with pytest.raises(ConfigError, match="exists; choose another --set or pass --force"):
        write_plan(plan, project)
    # a variant of the same name with other settings: nothing is written
    plan.variants["gpt4o"]["model"] = "gpt-4.1"
    with pytest.raises(ConfigError, match="variant 'gpt4o' already exists with other settings"):
        write_plan(plan, project, force=True)


def test_an_assertion_the_workbench_would_refuse_is_listed_not_written(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        textwrap.dedent("""
        prompts: ['{{q}}']
        tests:
          - vars: {q: hi}
            assert:
              - {type: regex, value: "([unclosed"}
              - {type: python, value: "file://missing.py"}
              - {type: contains, value: hi}
    """)
    )
    plan = import_config(config, project)
    assert plan.document["cases"][0]["assert"] == [{"type": "contains", "value": "hi"}]
    skipped = dict(rows(plan, "not converted"))
    assert "invalid regular expression" in skipped["tests[1]: regex"]
    assert "file not found" in skipped["tests[1]: python"]
    loads(plan, tmp_path)


def test_providers_from_a_file_and_graders_from_test_options(project, tmp_path):
    (tmp_path / "providers.yaml").write_text(
        "- id: openai:gpt-4o-mini\n  config: {temperature: 0.1, apiHost: api.example.com}\n"
    )
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        textwrap.dedent("""
        prompts: ['{{q}}']
        providers: [file://providers.yaml]
        tests:
          - vars: {q: hi}
            options:
              provider:
                text: {id: "anthropic:messages:claude-3-5-haiku-latest"}
                embedding: openai:embedding:text-embedding-3-large
            assert:
              - {type: llm-rubric, value: greets}
              - {type: similar, value: hello}
              - {type: llm-rubric, value: short, provider: openai:gpt-4.1}
    """)
    )
    plan = import_config(config, project)
    assert plan.variants["gpt-4o-mini"]["params"] == {"temperature": 0.1}
    assert [a.get("provider") for a in plan.document["cases"][0]["assert"]] == [
        "anthropic/claude-3-5-haiku-latest",
        "text-embedding-3-large",
        "gpt-4.1",
    ]
    skipped = dict(rows(plan, "not converted"))
    assert "--api-base" in skipped["provider openai:gpt-4o-mini"]


def test_prompt_versions_go_inside_versions_with_a_changelog_entry(tmp_path):
    from workbench.core.evals.promptfoo.promptfile import with_versions

    path = tmp_path / "system.yaml"
    original = textwrap.dedent("""\
        # Versioned system prompts.
        current: v2

        versions:
          v1: |
            First.

          v2: |
            Second.

        changelog:
          - version: v1
            note: First.
          - version: v2
            note: Second.
    """)
    path.write_text(original)
    text = with_versions(path, {"promptfoo-brief": "Be brief.\nAlways."}, "Imported: x")
    data = __import__("yaml").safe_load(text)
    assert data["current"] == "v2"
    assert data["versions"] == {
        "v1": "First.\n",
        "v2": "Second.\n",
        "promptfoo-brief": "Be brief.\nAlways.\n",
    }
    assert [entry["version"] for entry in data["changelog"]] == ["v1", "v2", "promptfoo-brief"]
    assert data["changelog"][-1]["note"] == "Imported: x"
    assert text.startswith("# Versioned system prompts.\ncurrent: v2\n")
    path.write_text("current: v1\n")
    with pytest.raises(ConfigError, match="no top-level 'versions:'"):
        with_versions(path, {"x": "y"}, "n")


def test_an_embedding_provider_is_not_made_a_variant(project, tmp_path):
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['{{q}}']\n"
        "providers: [openai:gpt-4o-mini, 'openai:embedding:text-embedding-3-small']\n"
        "tests: [{vars: {q: hi}, assert: [{type: similar, value: hello,"
        " provider: 'openai:embedding:text-embedding-3-large'}]}]\n"
    )
    plan = import_config(config, project)
    assert list(plan.variants) == ["gpt-4o-mini"]
    assert any(
        item == "provider openai:embedding:text-embedding-3-small" and "embedding model" in detail
        for item, detail in rows(plan, "not converted")
    )
    assert cases(plan)["test-1"]["assert"][0]["provider"] == "text-embedding-3-large"

"""Mock rules: loading (file:line errors), each condition, templating, seeded randomness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.core.mock.cassettes import request_hash
from workbench.core.mock.engine import FALLBACK_ID, Conversation, decide
from workbench.core.mock.loader import load_rules
from workbench.errors import ConfigError


def book_of(tmp_path: Path, text: str, name: str = "rules.yaml"):
    folder = tmp_path / "mocks"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return load_rules(folder)


def ask(book, user: str = "hi", *, system: str = "", history=(), model="gpt-4o-mini", tools=()):
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user},
        *history,
    ]
    body = {
        "model": model,
        "messages": messages,
        "tools": [{"type": "function", "function": {"name": n}} for n in tools],
    }
    return decide(book, body, request_hash(body))


def tool_round(name: str, result: str, call_id: str = "c1") -> list[dict]:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}
    return [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]


CONDITIONS = """
rules:
  - id: user-contains
    when: {user: {contains: [return, order]}}
    respond: {text: a}
  - id: user-any-of
    when: {user: {any_of: [shipping, delivery]}}
    respond: {text: b}
  - id: user-regex
    when: {user: {regex: 'track (\\w+)'}}
    respond: {text: c}
  - id: system
    when: {system: "Always check", user: refund}
    respond: {text: d}
  - id: system-none
    when: {system: {none_of: ["Always check"]}, user: refund}
    respond: {text: e}
  - id: after-lookup
    when: {last_tool: lookup_order, tool_result: {contains: shipped}}
    respond: {text: f}
  - id: any-tool-result
    when: {tool_results: true}
    respond: {text: g}
  - id: second-turn
    when: {turn: {min: 1}}
    respond: {text: h}
  - id: big-model
    when: {model: "gpt-4o", user: hello}
    respond: {text: i}
  - id: offered
    when: {tools_offered: [lookup_order], user: hello}
    respond: {text: j}
  - id: default
    respond: {text: z}
"""


@pytest.fixture
def conditions(tmp_path):
    return book_of(tmp_path, CONDITIONS)


def test_rules_are_tried_in_order_with_default_last(tmp_path):
    folder = tmp_path / "mocks"
    folder.mkdir()
    (folder / "a.yaml").write_text("rules:\n  - {id: default, respond: {text: fallback}}\n")
    (folder / "b.yaml").write_text("- {id: hello, when: {user: hi}, respond: {text: hey}}\n")
    book = load_rules(folder)
    assert [rule.id for rule in book.rules] == ["hello", "default"]
    assert ask(book, "hi there").message["content"] == "hey"
    assert ask(book, "bye now").message["content"] == "fallback"


def test_each_condition(conditions):
    assert ask(conditions, "I want to RETURN my order").rule_id == "user-contains"
    assert ask(conditions, "I want to return it").rule_id == "default"  # contains needs all
    assert ask(conditions, "how long is delivery?").rule_id == "user-any-of"
    assert ask(conditions, "please track ABC").rule_id == "user-regex"
    assert ask(conditions, "refund please", system="Always check first").rule_id == "system"
    assert ask(conditions, "refund please", system="Be nice").rule_id == "system-none"
    shipped = tool_round("lookup_order", '{"status": "shipped"}')
    assert ask(conditions, "x", history=shipped).rule_id == "after-lookup"
    pending = tool_round("lookup_order", '{"status": "pending"}')
    assert ask(conditions, "x", history=pending).rule_id == "any-tool-result"
    other = tool_round("search_knowledge_base", "shipped")
    assert ask(conditions, "x", history=other).rule_id == "any-tool-result"
    assert ask(conditions, "hello", model="gpt-4o").rule_id == "big-model"
    assert (
        ask(conditions, "hello", model="gpt-4o-mini", tools=["lookup_order"]).rule_id == "offered"
    )
    assert ask(conditions, "hello", model="gpt-4o-mini").rule_id == "default"


def test_tool_results_and_step_count_only_since_the_last_user_message(conditions):
    earlier = [
        *tool_round("lookup_order", "shipped"),
        {"role": "assistant", "content": "It shipped."},
        {"role": "user", "content": "thanks, bye"},
    ]
    body = {"messages": [{"role": "user", "content": "where is 1"}, *earlier]}
    convo = Conversation.of(body)
    assert convo.tool_results == [] and convo.step == 0 and convo.turn == 2
    assert convo.user == "thanks, bye"
    assert decide(conditions, body, "k").rule_id == "second-turn"


def test_tool_calls_are_templated_from_regex_captures(tmp_path):
    book = book_of(
        tmp_path,
        r"""
- id: refund
  when: {user: {regex: 'order #?(?P<order_id>\d+).*\$(?P<amount>[\d.]+)'}}
  respond:
    text: "Refunding ${amount} on ${order_id} (${1})"
    tool_calls:
      - name: issue_refund
        arguments: {order_id: "${order_id}", amount: "${amount:float}", reason: "asked: ${user}"}
""",
    )
    decision = ask(book, "Refund order #12345 for $19.99 please")
    call = decision.message["tool_calls"][0]
    assert call["function"]["name"] == "issue_refund"
    assert json.loads(call["function"]["arguments"]) == {
        "order_id": "12345",
        "amount": 19.99,
        "reason": "asked: Refund order #12345 for $19.99 please",
    }
    assert decision.message["content"] == "Refunding 19.99 on 12345 (12345)"
    assert decision.finish_reason == "tool_calls"
    assert call["id"].startswith("call_")
    # The same request gets the same tool-call id: replays and seeds stay stable.
    assert (
        ask(book, "Refund order #12345 for $19.99 please").message["tool_calls"][0]["id"]
        == (call["id"])
    )


def test_no_rule_matches_gives_the_builtin_fallback(tmp_path):
    book = book_of(tmp_path, "- {id: only, when: {user: zebra}, respond: {text: z}}\n")
    decision = ask(book, "hello")
    assert decision.rule_id == FALLBACK_ID
    assert "mocks/" in decision.message["content"]


RANDOM = """
- id: pick
  when: {user: order}
  respond: {tool_calls: [{name: lookup_order, arguments: {order_id: "1"}}]}
  random: {probability: 0.2, seed: 7, respond: {tool_calls: [{name: search_knowledge_base}]}}
"""


def test_seeded_randomness_is_reproducible_and_near_its_rate(tmp_path):
    book = book_of(tmp_path, RANDOM)
    picks = [ask(book, f"where is order {n}").message["tool_calls"][0] for n in range(1000)]
    wrong = sum(call["function"]["name"] == "search_knowledge_base" for call in picks)
    assert 160 <= wrong <= 240  # 20% of 1,000 within ~3 standard deviations
    again = [ask(book, f"where is order {n}").message["tool_calls"][0] for n in range(1000)]
    assert again == picks


def test_the_global_seed_changes_the_draws(tmp_path):
    book = book_of(tmp_path, RANDOM)
    bodies = [{"messages": [{"role": "user", "content": f"order {n}"}]} for n in range(200)]

    def names(seed):
        return [
            decide(book, b, request_hash(b), seed).message["tool_calls"][0]["function"]["name"]
            for b in bodies
        ]

    assert names(0) != names(1)
    assert names(1) == names(1)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("rules:\n  - id: a\n    when:\n      usr: x\n    respond: {text: t}\n", 4, "when.usr"),
        ("rules:\n  - id: a\n    respond: {}\n", 3, "needs `text`, `tool_calls` or `json_output`"),
        (
            "- id: a\n  respond: {text: t}\n- id: b\n  when: {user: {regex: '(('}}\n"
            "  respond: {text: t}\n",
            4,
            "invalid regular expression",
        ),
        ("rules:\n  - id: a\n    respond:\n      text: [unclosed\n", 5, "invalid YAML"),
        (
            "- id: a\n  when: {user: {regex: 'o(?P<oid>\\d+)'}}\n  respond:\n"
            "    text: 'order ${order}'\n",
            4,
            "placeholder ${order}",
        ),
        ("- id: a\n  respond: {text: t}\n  fault: {status: 200}\n", 3, "fault[0].status"),
        ("- id: a\n  respond: {text: t}\n- id: a\n  respond: {text: u}\n", 3, "already used"),
        ("- id: a\n  respond: {text: t}\n  latency_ms: {min: 5}\n", 3, "latency_ms"),
    ],
)
def test_a_bad_rule_file_gives_one_line_with_file_and_line(tmp_path, text, line, fragment):
    with pytest.raises(ConfigError) as caught:
        book_of(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'mocks' / 'rules.yaml'}:{line}: "), message
    assert fragment in message

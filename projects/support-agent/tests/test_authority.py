"""Authority over HTTP: approvals are a separate privilege, the tools enforce the business
rules and the caller's data scope, sessions belong to their caller, writes happen once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from support_agent.api.app import create_app
from support_agent.api.security import rate_limit_key
from support_agent.infra.state import set_state
from support_agent.tools import shop

CLIENT = "client-key-000000000001"
OTHER = "client-key-000000000002"
STAFF = "client-key-000000000003"
APPROVER = "approver-key-0000000001"
OPERATOR = "operator-key-0000000001"
KEYS = {
    "api_keys": f"{CLIENT}:C-1001,{OTHER}:C-1003,{STAFF}:*",
    "approver_keys": APPROVER,
    "operator_keys": OPERATOR,
}


def key(value: str) -> dict[str, str]:
    return {"X-API-Key": value}


@pytest.fixture
def service(configure):
    """A TestClient for the service, deployed-like (staging) with one key per role."""

    def make(**overrides):
        configure(**{"environment": "staging", **KEYS, **overrides})
        return TestClient(create_app())

    return make


def ask_refund(http, model, order_id="12345", amount=20.0, api_key=CLIENT, headers=None):
    """One turn in which the model asks for a refund; returns the response."""
    model.add(model.tool("issue_refund", order_id=order_id, amount=amount, reason="damaged"))
    return http.post(
        "/agent/run",
        json={"input": f"Refund ${amount} on order {order_id}"},
        headers={**key(api_key), **(headers or {})},
    )


def approval_id_of(response) -> str:
    return response.json()["tool_calls"][0]["result"]["approval_id"]


def test_a_client_key_gets_403_on_every_approval_route(service, model):
    with service() as http:
        pending = ask_refund(http, model)
        assert pending.status_code == 202, pending.text
        approval = approval_id_of(pending)
        for client_key in (CLIENT, OPERATOR):
            attempts = [
                http.get("/agent/approvals", headers=key(client_key)),
                http.get(f"/agent/approvals/{approval}", headers=key(client_key)),
                http.post(f"/agent/approvals/{approval}/approve", headers=key(client_key)),
                http.post(f"/agent/approvals/{approval}/reject", headers=key(client_key)),
                http.get("/agent/audit", headers=key(client_key)),
                # The old one-step form, kept for approvers only.
                http.post(f"/agent/approvals/{approval}", headers=key(client_key)),
            ]
            assert [r.status_code for r in attempts] == [403] * 6
            assert all("approver" in r.json()["detail"] for r in attempts)
        still = http.get(f"/agent/approvals/{approval}", headers=key(APPROVER))
    assert still.json()["status"] == "pending"
    assert shop.REFUNDS == {}


def test_an_approver_key_cannot_run_the_agent(service):
    with service() as http:
        response = http.post("/agent/run", json={"input": "hi"}, headers=key(APPROVER))
    assert response.status_code == 403


def test_an_approver_lists_inspects_and_approves_and_the_decision_is_audited(service, model):
    with service() as http:
        pending = ask_refund(http, model)
        approval = approval_id_of(pending)
        listed = http.get("/agent/approvals", headers=key(APPROVER)).json()["approvals"]
        record = http.get(f"/agent/approvals/{approval}", headers=key(APPROVER)).json()
        approved = http.post(
            f"/agent/approvals/{approval}/approve",
            json={"note": "photos checked"},
            headers=key(APPROVER),
        )
        again = http.post(f"/agent/approvals/{approval}/approve", headers=key(APPROVER))
        rejected_late = http.post(f"/agent/approvals/{approval}/reject", headers=key(APPROVER))
        unknown = http.post("/agent/approvals/nope/approve", headers=key(APPROVER))
        audit = http.get("/agent/audit", headers=key(APPROVER)).json()["events"]
        pending_after = http.get("/agent/approvals", headers=key(APPROVER)).json()["approvals"]
    assert [a["id"] for a in listed] == [approval]
    assert record["tool"] == "issue_refund" and record["arguments"]["order_id"] == "12345"
    assert record["requested_by"] == rate_limit_key(CLIENT) and CLIENT not in str(record)
    assert record["reason"] and record["created_at"] < record["expires_at"]
    assert record["status"] == "pending"
    assert approved.status_code == 200, approved.text
    assert approved.json()["approval"]["status"] == "approved"
    assert approved.json()["outcome"]["status"] == "ok"
    assert again.status_code == 409 and rejected_late.status_code == 409
    assert unknown.status_code == 404
    assert len(shop.REFUNDS) == 1
    assert audit[0]["approval_id"] == approval and audit[0]["decision"] == "approved"
    assert audit[0]["by"] == rate_limit_key(APPROVER) and audit[0]["note"] == "photos checked"
    assert pending_after == []


def test_approvals_survive_a_restart_and_keep_the_outcome(service, model):
    with service() as http:
        approval = approval_id_of(ask_refund(http, model))
    set_state(None)  # a new process: the store is opened again from its file
    with TestClient(create_app()) as http:
        pending = http.get(f"/agent/approvals/{approval}", headers=key(APPROVER))
        http.post(f"/agent/approvals/{approval}/approve", headers=key(APPROVER))
        decided = http.get(f"/agent/approvals/{approval}", headers=key(APPROVER))
    assert pending.status_code == 200 and pending.json()["status"] == "pending"
    assert decided.json()["status"] == "approved"
    assert decided.json()["outcome"]["status"] == "ok"
    assert decided.json()["outcome"]["result"]["amount"] == 20.0


def test_a_rejected_refund_is_never_paid(service, model):
    with service() as http:
        approval = approval_id_of(ask_refund(http, model))
        rejected = http.post(f"/agent/approvals/{approval}/reject", headers=key(APPROVER))
        late = http.post(f"/agent/approvals/{approval}/approve", headers=key(APPROVER))
    assert rejected.status_code == 200 and rejected.json()["approval"]["status"] == "rejected"
    assert late.status_code == 409
    assert shop.REFUNDS == {}


def test_approvals_expire(service, model):
    with service(approval_ttl_s=0.001) as http:
        approval = approval_id_of(ask_refund(http, model))
        inspected = http.get(f"/agent/approvals/{approval}", headers=key(APPROVER))
        approved = http.post(f"/agent/approvals/{approval}/approve", headers=key(APPROVER))
    assert inspected.status_code == 404 and approved.status_code == 404
    assert shop.REFUNDS == {}


def test_the_refund_tool_refuses_an_ineligible_order_whatever_the_prompt(service, model):
    # Order 34567 was delivered 45 days ago (window: 30). The operator picks prompt v1,
    # which has no eligibility step: the tool still refuses, no approval is even created.
    model.add(
        model.tool("issue_refund", order_id="34567", amount=39.5, reason="changed my mind"),
        "Sorry, that order cannot be refunded.",
    )
    with service() as http:
        response = http.post(
            "/agent/run",
            json={"input": "Refund order 34567", "prompt_version": "v1"},
            headers=key(OPERATOR),
        )
        pending = http.get("/agent/approvals", headers=key(APPROVER)).json()["approvals"]
    call = response.json()["tool_calls"][0]
    assert call["status"] == "blocked" and "not eligible" in call["result"]
    assert pending == [] and shop.REFUNDS == {}


def test_approving_rechecks_eligibility_at_execution(service, model, monkeypatch):
    with service() as http:
        approval = approval_id_of(ask_refund(http, model))
        # While the approval waits, the order leaves the return window.
        order = shop.find_order("12345")
        monkeypatch.setitem(order, "delivered_days_ago", 31)
        approved = http.post(f"/agent/approvals/{approval}/approve", headers=key(APPROVER))
    assert approved.status_code == 200
    outcome = approved.json()["outcome"]
    assert outcome["status"] == "blocked" and "not eligible" in outcome["result"]
    assert shop.REFUNDS == {}


@pytest.mark.parametrize("override", [{"prompt_version": "v1"}, {"model": "openai/gpt-4o"}])
def test_only_operators_choose_the_prompt_or_model_outside_development(service, model, override):
    model.add("Hello.")
    with service() as http:
        client = http.post("/agent/run", json={"input": "hi", **override}, headers=key(CLIENT))
        operator = http.post("/agent/run", json={"input": "hi", **override}, headers=key(OPERATOR))
    assert client.status_code == 403 and "operator" in client.json()["detail"]
    assert operator.status_code == 200, operator.text


def test_development_lets_any_client_choose_the_prompt(service, model):
    model.add("Hello.")
    with service(environment="development") as http:
        response = http.post(
            "/agent/run", json={"input": "hi", "prompt_version": "v1"}, headers=key(CLIENT)
        )
    assert response.status_code == 200


def test_sessions_belong_to_their_caller(service, model):
    model.add("Hi Alex.", "Hello, who are you?")
    with service() as http:
        http.post(
            "/agent/run",
            json={"input": "My secret is 4471", "session_id": "shared"},
            headers=key(CLIENT),
        )
        own = http.get("/agent/sessions/shared", headers=key(CLIENT))
        theirs = http.get("/agent/sessions/shared", headers=key(OTHER))
        other_turn = http.post(
            "/agent/run",
            json={"input": "What did I say?", "session_id": "shared"},
            headers=key(OTHER),
        )
        own_after = http.get("/agent/sessions/shared", headers=key(CLIENT))
    assert own.status_code == 200
    assert [m["content"] for m in own.json()["messages"]] == ["My secret is 4471", "Hi Alex."]
    assert theirs.status_code == 404
    assert other_turn.status_code == 200
    seen_by_model = str(model.calls[1]["messages"])
    assert "4471" not in seen_by_model
    assert len(own_after.json()["messages"]) == 2


def test_lookup_order_only_finds_the_callers_own_orders(service, model):
    model.add(
        model.tool("lookup_order", order_id="23456"),
        "I could not find that order.",
        model.tool("lookup_order", order_id="12345"),
        "Your headphones were delivered.",
    )
    with service() as http:
        foreign = http.post("/agent/run", json={"input": "Order 23456?"}, headers=key(CLIENT))
        own = http.post("/agent/run", json={"input": "Order 12345?"}, headers=key(CLIENT))
    foreign_result = foreign.json()["tool_calls"][0]["result"]
    assert foreign_result == {"found": False, "order_id": "23456"}
    assert "Sam Lee" not in foreign.text and "Keyboard" not in foreign.text
    assert own.json()["tool_calls"][0]["result"]["found"] is True
    assert "customer_id" not in own.json()["tool_calls"][0]["result"]


def test_a_key_without_a_customer_sees_no_orders_and_a_staff_key_sees_all(service, model):
    model.add(
        model.tool("lookup_order", order_id="12345"),
        "Not found.",
        model.tool("lookup_order", order_id="23456"),
        "Found it.",
    )
    with service(api_keys=f"{CLIENT},{STAFF}:*") as http:
        bare = http.post("/agent/run", json={"input": "Order 12345?"}, headers=key(CLIENT))
        staff = http.post("/agent/run", json={"input": "Order 23456?"}, headers=key(STAFF))
    assert bare.json()["tool_calls"][0]["result"]["found"] is False
    assert staff.json()["tool_calls"][0]["result"]["found"] is True


def test_a_refund_on_another_customers_order_is_refused(service, model):
    model.add(
        model.tool("issue_refund", order_id="12345", amount=10.0, reason="injected"),
        "I can't do that.",
    )
    with service() as http:
        response = http.post("/agent/run", json={"input": "Refund 12345"}, headers=key(OTHER))
    call = response.json()["tool_calls"][0]
    assert call["status"] == "blocked" and "not found" in call["result"]


def approve_all(http) -> list[dict]:
    pending = http.get("/agent/approvals", headers=key(APPROVER)).json()["approvals"]
    return [
        http.post(f"/agent/approvals/{a['id']}/approve", headers=key(APPROVER)).json()
        for a in pending
    ]


def test_two_equal_partial_refunds_in_two_requests_are_two_refunds(service, model):
    with service() as http:
        ask_refund(http, model, amount=20.0)
        ask_refund(http, model, amount=20.0)
        outcomes = approve_all(http)
    assert [o["outcome"]["status"] for o in outcomes] == ["ok", "ok"]
    assert sorted(r["amount"] for r in shop.REFUNDS.values()) == [20.0, 20.0]


def test_the_same_request_replayed_refunds_once(service, model):
    replay = {"Idempotency-Key": "checkout-7f3a"}
    with service() as http:
        first = ask_refund(http, model, amount=20.0, headers=replay)
        second = ask_refund(http, model, amount=20.0, headers=replay)
        outcomes = approve_all(http)
    assert first.status_code == second.status_code == 202
    assert [o["outcome"]["status"] for o in outcomes] == ["ok", "ok"]
    assert len(shop.REFUNDS) == 1
    assert outcomes[0]["outcome"]["result"] == outcomes[1]["outcome"]["result"]


def test_the_same_idempotency_key_from_another_caller_is_another_request(service, model):
    replay = {"Idempotency-Key": "same-key"}
    with service(api_keys=f"{CLIENT}:C-1001,{STAFF}:*") as http:
        ask_refund(http, model, amount=20.0, headers=replay)
        ask_refund(http, model, amount=20.0, api_key=STAFF, headers=replay)
        approve_all(http)
    assert len(shop.REFUNDS) == 2

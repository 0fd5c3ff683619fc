"""Sign-offs expire when their evidence changes; scoring counts only passing required items."""

from __future__ import annotations

import pytest

from tests.core.test_readiness_fixtures import make_project
from workbench.core.readiness import attested_ids, list_signoffs, record_signoff
from workbench.core.readiness.checklist import run_items, select_items, summarize
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Item, ItemResult, Verdict
from workbench.core.readiness.registry import ITEMS
from workbench.core.readiness.signoff import UnknownItem
from workbench.errors import WorkbenchError
from workbench.store.db import connect

RUNBOOK = "# Runbook\n\n## Rollback\n\n1. Redeploy the previous tag.\n2. Verify /readiness.\n"


def _judge(ctx, item_id):
    """Judge one item with a fresh context (each evaluation re-reads the project)."""
    item = next(i for i in ITEMS if i.id == item_id)
    db = connect()
    try:
        return run_items([item], CheckContext(ctx.project, run_dynamic=False, db=db))[0]
    finally:
        db.conn.close()


def test_unsigned_item_needs_signoff_with_the_command_to_run(tmp_path):
    ctx = make_project(tmp_path, {"RUNBOOK.md": RUNBOOK})
    result = _judge(ctx, "deployment.rollback-tested")
    assert result.status == "needs-signoff"
    assert "workbench signoff" in result.hint and "deployment.rollback-tested" in result.hint
    assert result.evidence[0].startswith("evidence: RUNBOOK.md#Rollback (sha256 ")


def test_signoff_passes_until_the_evidence_changes(tmp_path):
    ctx = make_project(tmp_path, {"RUNBOOK.md": RUNBOOK})
    signed = record_signoff(ctx.project, "deployment.rollback-tested", "Ada", "drilled on staging")
    assert signed.signed_by == "Ada" and signed.evidence == "RUNBOOK.md#Rollback"
    result = _judge(ctx, "deployment.rollback-tested")
    assert result.status == "pass"
    assert (
        result.evidence[0].startswith("signed by Ada on ")
        and "drilled on staging" in result.evidence[0]
    )
    # An edit elsewhere in the runbook leaves the rollback section's fingerprint alone.
    (tmp_path / "RUNBOOK.md").write_text(RUNBOOK + "\n## Other\n\ntext\n", encoding="utf-8")
    assert _judge(ctx, "deployment.rollback-tested").status == "pass"
    (tmp_path / "RUNBOOK.md").write_text(
        RUNBOOK.replace("previous tag", "last good tag"), encoding="utf-8"
    )
    expired = _judge(ctx, "deployment.rollback-tested")
    assert expired.status == "needs-signoff"
    assert expired.evidence[0].startswith("expired: signed by Ada")
    assert "RUNBOOK.md#Rollback changed since it was signed" in expired.evidence
    assert [s.valid for s in list_signoffs(ctx.project)] == [False]


def test_red_team_signoff_expires_with_a_new_prompt_version(tmp_path):
    prompts = "current: v1\nversions:\n  v1: Be helpful.\n  v2: Be careful.\n"
    ctx = make_project(tmp_path, {"prompts/system.yaml": prompts})
    record_signoff(ctx.project, "safety.red-team", "Grace", "40 attacks, none landed")
    assert _judge(ctx, "safety.red-team").status == "pass"
    (tmp_path / "prompts" / "system.yaml").write_text(prompts.replace("current: v1", "current: v2"))
    assert _judge(ctx, "safety.red-team").status == "needs-signoff"
    record_signoff(ctx.project, "safety.red-team", "Grace", "re-ran on v2")
    assert _judge(ctx, "safety.red-team").status == "pass"
    assert [s.valid for s in list_signoffs(ctx.project)] == [True, False]


def test_signoff_of_unknown_or_non_attested_item_lists_valid_ids(tmp_path):
    ctx = make_project(tmp_path, {})
    for bad in ("nope", "reliability.retries"):
        with pytest.raises(UnknownItem) as caught:
            record_signoff(ctx.project, bad, "Ada", "x")
        assert all(item_id in caught.value.message for item_id in attested_ids())
        assert "\n" not in caught.value.message
    with pytest.raises(WorkbenchError):
        record_signoff(ctx.project, "safety.red-team", "  ", "x")


def _result(status: str, required: bool = True) -> ItemResult:
    return ItemResult(
        id=f"x.{status}{required}",
        group="safety",
        title="t",
        kind="static",
        status=status,
        required=required,
    )


def test_score_counts_passing_required_items_only():
    results = [
        _result("pass"),
        _result("fail"),
        _result("needs-signoff"),
        _result("warn"),
        _result("fail", required=False),
    ]
    summary = summarize("p", results)
    assert summary.score == 0.25
    assert not summary.passed
    assert [b.status for b in summary.blocking] == ["fail", "needs-signoff", "warn"]
    assert summarize("p", [_result("pass"), _result("fail", required=False)]).passed


def test_a_crashing_check_is_an_error_not_a_traceback(tmp_path):
    def broken(ctx):
        raise KeyError("boom")

    ctx = make_project(tmp_path, {})
    item = Item("safety.broken", "safety", "Broken", "static", broken)
    [result] = run_items([item], ctx)
    assert result.status == "error" and "KeyError" in result.evidence[-1]
    ok = Item("safety.ok", "safety", "Ok", "static", lambda ctx: Verdict.ok("here:1"))
    seen = []
    run_items([ok], ctx, progress=seen.append)
    assert [r.status for r in seen] == ["pass"]


def test_groups_and_item_kinds():
    assert {i.group for i in select_items(ITEMS, "Safety")} == {"safety"}
    with pytest.raises(WorkbenchError):
        select_items(ITEMS, "speed")
    kinds = {i.kind for i in ITEMS}
    assert kinds == {"static", "dynamic", "attested"}
    assert len(ITEMS) == len({i.id for i in ITEMS})

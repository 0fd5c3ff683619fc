"""The sign-offs table: history is kept, the newest per item wins, projects do not mix."""

from __future__ import annotations

from workbench.store.db import connect
from workbench.store.signoffs import add_signoff, latest_signoffs, signoffs_for


def _add(db, project, item, by, when):
    return add_signoff(
        db,
        project_path=project,
        project_name="p",
        item_id=item,
        signed_by=by,
        note="n",
        fingerprint=f"fp-{by}",
        evidence="RUNBOOK.md",
        signed_at=when,
    )


def test_history_and_latest_per_item(tmp_path):
    db = connect(tmp_path / "w.db")
    _add(db, "/a", "safety.red-team", "ada", "2025-01-01T00:00:00+00:00")
    _add(db, "/a", "safety.red-team", "grace", "2025-02-01T00:00:00+00:00")
    _add(db, "/a", "observability.on-call", "linus", "2025-01-15T00:00:00+00:00")
    _add(db, "/b", "safety.red-team", "other", "2025-03-01T00:00:00+00:00")
    history = signoffs_for(db, "/a")
    assert [s.signed_by for s in history] == ["grace", "linus", "ada"]
    latest = latest_signoffs(db, "/a")
    assert latest["safety.red-team"].signed_by == "grace"
    assert latest["safety.red-team"].fingerprint == "fp-grace"
    assert set(latest) == {"safety.red-team", "observability.on-call"}
    db.conn.close()


def test_signoffs_survive_reconnecting(tmp_path):
    db = connect(tmp_path / "w.db")
    record = _add(db, "/a", "cost.review-cadence", "ada", "2025-01-01T00:00:00+00:00")
    db.conn.close()
    again = connect(tmp_path / "w.db")
    assert signoffs_for(again, "/a")[0].id == record.id
    again.conn.close()

"""The projects repository: save, read, list and forget projects."""

from __future__ import annotations

from workbench.store import projects as store
from workbench.store.db import connect


def test_save_and_get_round_trip_without_loading_the_snapshot():
    db = connect()
    saved = store.save_project(
        db,
        path="/p/a",
        name="a",
        template="agent-service",
        template_version="0.1.0",
        snapshot=b"blob",
        created_at="2026-01-15T09:30:00+00:00",
    )
    assert saved.created_at == "2026-01-15T09:30:00+00:00"
    assert saved.has_snapshot
    assert store.get_snapshot(db, "/p/a") == b"blob"
    assert store.get_project(db, "/p/missing") is None
    assert store.get_snapshot(db, "/p/missing") is None


def test_saving_again_keeps_created_at_and_the_snapshot_unless_given():
    db = connect()
    store.save_project(
        db,
        path="/p/a",
        name="a",
        template="t",
        template_version="1",
        snapshot=b"one",
        created_at="2026-01-01T00:00:00+00:00",
    )
    again = store.save_project(
        db,
        path="/p/a",
        name="a",
        template="t",
        template_version="2",
        created_at="2027-01-01T00:00:00+00:00",
    )
    assert again.created_at == "2026-01-01T00:00:00+00:00"
    assert again.template_version == "2"
    assert store.get_snapshot(db, "/p/a") == b"one"
    store.save_project(db, path="/p/a", name="a", template="t", template_version="3", snapshot=b"x")
    assert store.get_snapshot(db, "/p/a") == b"x"


def test_list_and_forget():
    db = connect()
    store.save_project(db, path="/p/b", name="b", template="t", template_version="1")
    store.save_project(db, path="/p/a", name="a", template="t", template_version="1", snapshot=b"s")
    listed = store.list_projects(db)
    assert [(r.path, r.has_snapshot) for r in listed] == [("/p/a", True), ("/p/b", False)]
    assert store.forget_project(db, "/p/a") is True
    assert store.forget_project(db, "/p/a") is False
    assert [r.path for r in store.list_projects(connect())] == ["/p/b"]

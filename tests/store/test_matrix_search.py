"""Searching the results matrix: text in a case's id, any variant's output, or its error."""

from __future__ import annotations

import pytest

from tests.tui.evals_data import RUN_ID, seed_project, seed_runs
from workbench.store.db import connect
from workbench.store.evals import matrix_page


@pytest.fixture
def db(tmp_path):
    seed_runs(seed_project(tmp_path / "projects"))
    database = connect()
    yield database
    database.conn.close()


def _cases(db, search, **kw) -> list[str]:
    return [row.case_id for row in matrix_page(db, RUN_ID, search=search, **kw)]


def test_search_matches_outputs_of_any_variant_ignoring_case(db):
    assert _cases(db, "REFUND") == ["refund-1"]  # only baseline's output says refund
    assert _cases(db, "eligible") == ["return-1", "return-2", "return-3"]  # candidate's outputs
    # Every variant's cell stays in a matching row, not only the matching one.
    assert set(matrix_page(db, RUN_ID, search="refund")[0].cells) == {"baseline", "candidate"}


def test_search_matches_case_ids_and_errors_and_excludes_the_rest(db):
    assert _cases(db, "inject-") == ["inject-1", "inject-2"]
    assert _cases(db, "exploded") == ["pii-1"]
    assert _cases(db, "no such text") == []
    assert _cases(db, "100%") == []  # LIKE wildcards are taken literally
    assert _cases(db, "   ") == _cases(db, None)


def test_search_combines_with_filters_and_pages(db):
    failing = ["where-3", "return-1", "return-2", "return-3", "refund-1"]
    assert _cases(db, "order", failures_only=True) == failing
    first = matrix_page(db, RUN_ID, search="order", limit=2)
    after = first[-1].case_index
    rest = [row.case_id for row in matrix_page(db, RUN_ID, search="order", after=after)]
    assert [row.case_id for row in first] == ["where-1", "where-2"]
    assert rest[:2] == ["where-3", "return-1"] and "where-1" not in rest

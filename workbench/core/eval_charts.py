"""Data series for the Evals charts: pass rate across runs (the trend) and per category."""

from __future__ import annotations

from pydantic import BaseModel
from sqlite_utils import Database


class TrendPoint(BaseModel):
    """One variant's pass rate in one run."""

    run_id: str
    started_at: str
    variant: str
    passed: int
    results: int

    @property
    def pass_rate(self) -> float:
        """Passes over results (errors count as not passing)."""
        return self.passed / self.results if self.results else 0.0


class CategoryRate(BaseModel):
    """One variant's pass rate on one category of a run."""

    variant: str
    category: str
    passed: int
    results: int

    @property
    def pass_rate(self) -> float:
        """Passes over results."""
        return self.passed / self.results if self.results else 0.0


def pass_rate_trend(
    db: Database, *, project: str, set_name: str | None = None, runs: int = 20
) -> list[TrendPoint]:
    """Pass rate per variant over ``project``'s newest ``runs`` runs (of ``set_name`` when
    given), oldest run first: a variant missing from a run has no point there."""
    where, params = "(r.project = ? OR r.project_path = ?)", [project, project]
    if set_name:
        where += " AND r.set_name = ?"
        params.append(set_name)
    sql = f"""
        SELECT r.id, r.started_at, x.variant, SUM(x.status = 'pass'), COUNT(*)
        FROM (SELECT id, started_at FROM eval_runs r WHERE {where}
              ORDER BY started_at DESC, id DESC LIMIT ?) r
        JOIN eval_results x ON x.run_id = r.id
        GROUP BY r.id, x.variant
        ORDER BY r.started_at, r.id, x.variant
    """
    return [
        TrendPoint(run_id=row[0], started_at=row[1], variant=row[2], passed=row[3], results=row[4])
        for row in db.conn.execute(sql, [*params, runs])
    ]


def category_rates(db: Database, run_id: str) -> list[CategoryRate]:
    """Each variant's pass rate per category in one run, by category then variant."""
    sql = (
        "SELECT variant, category, SUM(status = 'pass'), COUNT(*) FROM eval_results "
        "WHERE run_id = ? GROUP BY category, variant ORDER BY category, variant"
    )
    return [
        CategoryRate(variant=row[0], category=row[1], passed=row[2], results=row[3])
        for row in db.conn.execute(sql, [run_id])
    ]


def runs_trend(db: Database, run_ids: list[str]) -> list[TrendPoint]:
    """Pass rate per variant of the named runs (full ids), oldest run first."""
    if not run_ids:
        return []
    marks = ", ".join("?" for _ in run_ids)
    sql = f"""
        SELECT r.id, r.started_at, x.variant, SUM(x.status = 'pass'), COUNT(*)
        FROM eval_runs r JOIN eval_results x ON x.run_id = r.id
        WHERE r.id IN ({marks})
        GROUP BY r.id, x.variant
        ORDER BY r.started_at, r.id, x.variant
    """
    return [
        TrendPoint(run_id=row[0], started_at=row[1], variant=row[2], passed=row[3], results=row[4])
        for row in db.conn.execute(sql, run_ids)
    ]

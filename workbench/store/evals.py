"""Eval runs and results in the store: the engine's batched writes and typed queries for the UIs."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.store.schema.evals import RESULT_COLUMNS

RunStatus = Literal["running", "complete", "interrupted", "failed"]
ResultStatus = Literal["pass", "fail", "error"]
# A run whose process has not written for this long is taken to be gone.
STALE_AFTER_S = 30.0

_INSERT_RESULT = (
    f"INSERT OR IGNORE INTO eval_results ({', '.join(RESULT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in RESULT_COLUMNS)})"
)


class EvalRunInfo(BaseModel):
    """One eval run as listed: what ran, its state, and how far it got."""

    id: str
    project: str
    project_path: str
    set_name: str
    set_path: str
    set_digest: str
    variants: list[str]
    variant_specs: list[dict[str, Any]] = Field(default_factory=list)
    repeat: int
    total: int
    status: RunStatus
    started_at: str
    finished_at: str | None = None
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    options: dict[str, Any] = Field(default_factory=dict)


class ResultFigures(BaseModel):
    """What one result measured: latency, tokens, cost, its trace and agent steps."""

    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    trace_id: str | None = None
    steps: int | None = None


class EvalResultRow(ResultFigures):
    """One case × variant × repeat result with its assertion verdicts."""

    run_id: str
    case_id: str
    variant: str
    repeat: int
    case_index: int
    category: str
    status: ResultStatus
    score: float
    weight: float = 1.0
    output: str | None = None
    assertions: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None


class MatrixCell(BaseModel):
    """One variant's outcome on one case (over its repeats)."""

    status: ResultStatus
    score: float
    passes: int
    runs: int
    latency_ms: float | None = None
    cost_usd: float | None = None
    trace_id: str | None = None


class MatrixRow(BaseModel):
    """One case across the run's variants: a row of the results matrix."""

    case_id: str
    case_index: int
    category: str
    cells: dict[str, MatrixCell]

    @property
    def different(self) -> bool:
        """Whether the variants disagree on this case."""
        return len({cell.status for cell in self.cells.values()}) > 1

    @property
    def failing(self) -> bool:
        """Whether any variant failed or errored on this case."""
        return any(cell.status != "pass" for cell in self.cells.values())


def write_items(db: Database, items: list[tuple[str, Any]]) -> None:
    """The ``BatchWriter`` callback: results, run rows, heartbeats and status changes."""
    results = [payload for kind, payload in items if kind == "result"]
    if results:
        db.conn.executemany(_INSERT_RESULT, results)
    for kind, payload in items:
        if kind == "run":
            db.conn.execute(
                "INSERT OR REPLACE INTO eval_runs (id, project, project_path, set_name, set_path,"
                " set_digest, variants, repeat, total, status, pid, host, started_at,"
                " heartbeat_at, finished_at, options) VALUES (:id, :project, :project_path,"
                " :set_name, :set_path, :set_digest, :variants, :repeat, :total, :status, :pid,"
                " :host, :started_at, :heartbeat_at, :finished_at, :options)",
                payload,
            )
        elif kind == "heartbeat":
            db.conn.execute(
                "UPDATE eval_runs SET heartbeat_at = ? WHERE id = ?", (time.time(), payload)
            )
        elif kind == "status":
            run_id, status, finished_at = payload
            db.conn.execute(
                "UPDATE eval_runs SET status = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?",
                (status, finished_at, time.time(), run_id),
            )
        elif kind == "claim":
            run_id = payload
            db.conn.execute(
                "UPDATE eval_runs SET status = 'running', pid = ?, host = ?, heartbeat_at = ?,"
                " finished_at = NULL WHERE id = ?",
                (os.getpid(), socket.gethostname(), time.time(), run_id),
            )


def result_tuple(row: dict[str, Any]) -> tuple:
    """A result as the tuple ``write_items`` binds (JSON-encoding the assertions)."""
    values = dict(row)
    values["assertions"] = json.dumps(values.get("assertions") or [], separators=(",", ":"))
    return tuple(values.get(column) for column in RESULT_COLUMNS)


def _alive(pid: int | None, host: str | None) -> bool:
    if not pid or host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _effective_status(row: dict[str, Any]) -> RunStatus:
    status = row["status"]
    if status != "running":
        return status
    stale = row["heartbeat_at"] is None or time.time() - row["heartbeat_at"] > STALE_AFTER_S
    if stale or not _alive(row["pid"], row["host"]):
        return "interrupted"
    return "running"


_RUN_SELECT = """
SELECT r.*, COUNT(x.run_id) AS done,
       COALESCE(SUM(x.status = 'pass'), 0) AS passed,
       COALESCE(SUM(x.status = 'fail'), 0) AS failed,
       COALESCE(SUM(x.status = 'error'), 0) AS errors,
       COALESCE(SUM(x.cost_usd), 0.0) AS cost_usd
FROM eval_runs r LEFT JOIN eval_results x ON x.run_id = r.id
"""


def _run_info(row: dict[str, Any]) -> EvalRunInfo:
    specs = json.loads(row["variants"])
    return EvalRunInfo(
        **{key: row[key] for key in ("id", "project", "project_path", "set_name", "set_path")},
        set_digest=row["set_digest"],
        variants=[spec["name"] for spec in specs],
        variant_specs=specs,
        repeat=row["repeat"],
        total=row["total"],
        status=_effective_status(row),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        done=row["done"],
        passed=row["passed"],
        failed=row["failed"],
        errors=row["errors"],
        cost_usd=row["cost_usd"],
        options=json.loads(row["options"] or "{}"),
    )


def list_runs(db: Database, *, project: str | None = None, limit: int = 100) -> list[EvalRunInfo]:
    """Eval runs, newest first, optionally only one project's (by name or path)."""
    where, params = "", []
    if project:
        where, params = "WHERE r.project = ? OR r.project_path = ?", [project, project]
    sql = f"{_RUN_SELECT} {where} GROUP BY r.id ORDER BY r.started_at DESC, r.id DESC LIMIT ?"
    return [_run_info(row) for row in db.query(sql, [*params, limit])]


def get_run(db: Database, run_id: str) -> EvalRunInfo | None:
    """One run by id or by a unique prefix of its id."""
    rows = list(db.query(f"{_RUN_SELECT} WHERE r.id LIKE ? GROUP BY r.id LIMIT 2", [run_id + "%"]))
    exact = [row for row in rows if row["id"] == run_id]
    if exact:
        return _run_info(exact[0])
    return _run_info(rows[0]) if len(rows) == 1 else None


def completed_keys(db: Database, run_id: str) -> set[tuple[str, str, int]]:
    """The (case, variant, repeat) triples a run already has results for."""
    sql = "SELECT case_id, variant, repeat FROM eval_results WHERE run_id = ?"
    return {(row[0], row[1], row[2]) for row in db.conn.execute(sql, [run_id])}


def _result(row: dict[str, Any]) -> EvalResultRow:
    row = dict(row)
    row["assertions"] = json.loads(row["assertions"] or "[]")
    row.pop("finished_at", None)
    return EvalResultRow.model_validate(row)


def iter_results(
    db: Database, run_id: str, *, variant: str | None = None, with_output: bool = True
) -> Iterator[EvalResultRow]:
    """A run's results in case order, streamed (one variant's when ``variant`` is given)."""
    columns = ", ".join(
        c for c in RESULT_COLUMNS if with_output or c not in {"output", "assertions"}
    )
    where, params = "run_id = ?", [run_id]
    if variant is not None:
        where, params = f"{where} AND variant = ?", [run_id, variant]
    sql = f"SELECT {columns} FROM eval_results WHERE {where} ORDER BY case_index, variant, repeat"
    for row in db.query(sql, params):
        row.setdefault("assertions", "[]")
        yield _result(row)


def case_results(db: Database, run_id: str, case_id: str) -> list[EvalResultRow]:
    """Every variant's and repeat's result for one case: what a side-by-side view shows."""
    sql = "SELECT * FROM eval_results WHERE run_id = ? AND case_id = ? ORDER BY variant, repeat"
    return [_result(row) for row in db.query(sql, [run_id, case_id])]


def matrix_page(
    db: Database,
    run_id: str,
    *,
    after: int | None = None,
    limit: int = 100,
    failures_only: bool = False,
    different_only: bool = False,
    search: str | None = None,
) -> list[MatrixRow]:
    """Rows of the cases × variants matrix after case index ``after`` (keyset pagination).

    ``search`` keeps the cases whose id, output (any variant's) or error contains it,
    ignoring case.
    """
    rows: list[MatrixRow] = []
    cursor = -1 if after is None else after
    matching, needle = "", []
    if search and search.strip():
        pattern = (
            "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        matching = (
            " AND (case_id LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\'"
            " OR error LIKE ? ESCAPE '\\')"
        )
        needle = [pattern, pattern, pattern]
    while len(rows) < limit:
        sql = (
            "SELECT case_id, case_index, category, variant, COUNT(*) AS runs,"
            " SUM(status = 'pass') AS passes, SUM(status = 'error') AS errs, AVG(score) AS score,"
            " AVG(latency_ms) AS latency_ms, SUM(cost_usd) AS cost_usd, MIN(trace_id) AS trace_id"
            " FROM eval_results WHERE run_id = ? AND case_index IN (SELECT DISTINCT case_index"
            f" FROM eval_results WHERE run_id = ? AND case_index > ?{matching}"
            " ORDER BY case_index LIMIT ?)"
            " GROUP BY case_index, variant ORDER BY case_index, variant"
        )
        batch = list(db.query(sql, [run_id, run_id, cursor, *needle, limit]))
        if not batch:
            break
        by_case: dict[int, MatrixRow] = {}
        for row in batch:
            status: ResultStatus = (
                "error"
                if row["errs"] == row["runs"]
                else ("pass" if row["passes"] * 2 > row["runs"] else "fail")
            )
            entry = by_case.setdefault(
                row["case_index"],
                MatrixRow(
                    case_id=row["case_id"],
                    case_index=row["case_index"],
                    category=row["category"],
                    cells={},
                ),
            )
            entry.cells[row["variant"]] = MatrixCell(
                status=status,
                score=row["score"],
                passes=row["passes"],
                runs=row["runs"],
                latency_ms=row["latency_ms"],
                cost_usd=row["cost_usd"],
                trace_id=row["trace_id"],
            )
        for entry in by_case.values():
            cursor = entry.case_index
            if failures_only and not entry.failing:
                continue
            if different_only and not entry.different:
                continue
            rows.append(entry)
            if len(rows) == limit:
                break
    return rows


def result_counts(db: Database, run_id: str) -> dict[str, Any]:
    """A run's stored results so far: ``done``, ``passed``, ``failed``, ``errors``, ``cost_usd``
    (where a resumed run's progress starts, so its bar and pass rate cover the whole run)."""
    row = db.conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(status = 'pass'), 0), COALESCE(SUM(status = 'fail'), 0),"
        " COALESCE(SUM(status = 'error'), 0), COALESCE(SUM(cost_usd), 0.0)"
        " FROM eval_results WHERE run_id = ?",
        [run_id],
    ).fetchone()
    return dict(zip(("done", "passed", "failed", "errors", "cost_usd"), row, strict=True))

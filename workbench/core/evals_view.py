"""What the TUI's Evals screen reads: runs, matrix pages and counts, one case across variants."""

from __future__ import annotations

import difflib
import re
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.core.eval_charts import CategoryRate, TrendPoint, category_rates, pass_rate_trend
from workbench.core.evals.report import variant_spec
from workbench.core.evals.results import RunReport, run_report
from workbench.store.evals import (
    EvalRunInfo,
    MatrixRow,
    ResultFigures,
    case_results,
    get_run,
    list_runs,
    matrix_page,
)

_TOKEN = re.compile(r"\s+|[^\s]+")
_FIGURES = set(ResultFigures.model_fields)
# Per case and variant, the same verdict ``matrix_page`` gives a cell over its repeats.
_CELLS = """
SELECT case_index,
       CASE WHEN SUM(status = 'error') = COUNT(*) THEN 'error'
            WHEN SUM(status = 'pass') * 2 > COUNT(*) THEN 'pass'
            ELSE 'fail' END AS verdict
FROM eval_results WHERE run_id = ? GROUP BY case_index, variant
"""
_COUNTS = f"""
SELECT COUNT(*) AS cases,
       COALESCE(SUM(fails > 0), 0) AS failing,
       COALESCE(SUM(kinds > 1), 0) AS different
FROM (SELECT case_index, SUM(verdict != 'pass') AS fails, COUNT(DISTINCT verdict) AS kinds
      FROM ({_CELLS}) GROUP BY case_index)
"""


class MatrixCounts(BaseModel):
    """Cases in a run, those failing on some variant, those the variants disagree on."""

    cases: int = 0
    failing: int = 0
    different: int = 0


class AssertionView(BaseModel):
    """One assertion's verdict as the case view shows it."""

    label: str
    passed: bool
    score: float | None = None
    reason: str = ""


class CaseSide(ResultFigures):
    """One variant's result on a case, for one repeat."""

    variant: str
    repeat: int
    status: str
    score: float
    prompt: str | None = None
    model: str = "mock"
    output: str = ""
    error: str | None = None
    assertions: list[AssertionView] = Field(default_factory=list)


class CaseDetail(BaseModel):
    """One case of a run across its variants: the input as sent and every result."""

    run_id: str
    case_id: str
    category: str
    description: str = ""
    input: str | None = None
    variants: list[str]
    repeats: int
    sides: dict[str, list[CaseSide]]

    def side(self, variant: str, repeat: int = 0) -> CaseSide | None:
        """``variant``'s result on ``repeat`` (its last stored repeat when that one is missing)."""
        results = self.sides.get(variant) or []
        for side in results:
            if side.repeat == repeat:
                return side
        return results[-1] if results else None


def matrix_counts(db: Database, run_id: str) -> MatrixCounts:
    """Counts for the matrix's filters: all cases, failing on some variant, variants disagreeing."""
    row = next(db.query(_COUNTS, [run_id]))
    return MatrixCounts(**row)


def _input_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    lines = []
    for message in value:
        if isinstance(message, str):
            lines.append(f"user: {message}")
        else:
            lines.append(f"{message.role}: {message.content}")
    return "\n".join(lines)


def _case_source(run: EvalRunInfo, case_id: str) -> tuple[str | None, str]:
    """The case's input (variables filled in) and description from its set, when still there."""
    from workbench.core.evals.loader import iter_cases, load_set, render
    from workbench.errors import WorkbenchError

    try:
        for case in iter_cases(load_set(Path(run.set_path))):
            if case.id == case_id:
                return _input_text(render(case.input, case.vars)), case.description
    except (OSError, WorkbenchError, ValueError):
        pass
    return None, ""


def _assertion(raw: dict[str, Any]) -> AssertionView:
    return AssertionView(
        label=str(raw.get("type", "?")),
        passed=bool(raw.get("passed")),
        score=raw.get("score"),
        reason=str(raw.get("reason") or ""),
    )


def case_detail(db: Database, run_id: str, case_id: str) -> CaseDetail | None:
    """Every variant's and repeat's result on one case; ``None`` when the run or case is unknown."""
    run = get_run(db, run_id)
    rows = case_results(db, run_id, case_id) if run is not None else []
    if run is None or not rows:
        return None
    sides: dict[str, list[CaseSide]] = {}
    for row in rows:
        spec = variant_spec(run, row.variant)
        sides.setdefault(row.variant, []).append(
            CaseSide(
                variant=row.variant,
                repeat=row.repeat,
                status=row.status,
                score=row.score,
                prompt=spec.get("prompt"),
                model=spec.get("model") or "mock",
                output=row.output or "",
                error=row.error,
                assertions=[_assertion(a) for a in row.assertions],
                **row.model_dump(include=_FIGURES),
            )
        )
    text, description = _case_source(run, case_id)
    variants = [name for name in run.variants if name in sides]
    variants += [name for name in sides if name not in variants]
    return CaseDetail(
        run_id=run.id,
        case_id=case_id,
        category=rows[0].category,
        description=description,
        input=text,
        variants=variants,
        repeats=run.repeat,
        sides=sides,
    )


Segment = tuple[str, bool]


def word_diff(a: str, b: str) -> tuple[list[Segment], list[Segment]]:
    """Both texts as ``(text, changed)`` segments: words only in A, and words only in B."""
    tokens_a, tokens_b = _TOKEN.findall(a), _TOKEN.findall(b)
    matcher = difflib.SequenceMatcher(None, tokens_a, tokens_b, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        changed = op != "equal"
        _add(left, tokens_a[a1:a2], changed)
        _add(right, tokens_b[b1:b2], changed)
    return _bridge(left), _bridge(right)


def _bridge(segments: list[Segment]) -> list[Segment]:
    """Join changes separated only by whitespace, so a changed phrase is one highlight."""
    result: list[Segment] = []
    for text, changed in segments:
        if (
            changed
            and len(result) >= 2
            and result[-2][1]
            and not result[-1][1]
            and not result[-1][0].strip()
        ):
            gap = result.pop()[0]
            result[-1] = (result[-1][0] + gap + text, True)
        else:
            result.append((text, changed))
    return result


def _add(segments: list[Segment], tokens: list[str], changed: bool) -> None:
    if not tokens:
        return
    text = "".join(tokens)
    if changed:
        # Whitespace around a change is not itself a change worth highlighting.
        stripped = text.strip()
        if not stripped:
            _merge(segments, text, False)
            return
        start = text.index(stripped)
        _merge(segments, text[:start], False)
        _merge(segments, stripped, True)
        _merge(segments, text[start + len(stripped) :], False)
        return
    _merge(segments, text, False)


def _merge(segments: list[Segment], text: str, changed: bool) -> None:
    if not text:
        return
    if segments and segments[-1][1] == changed:
        segments[-1] = (segments[-1][0] + text, changed)
    else:
        segments.append((text, changed))


class EvalReader:
    """One read connection shared by a screen's worker threads, one query at a time."""

    def __init__(self, path: Path | None = None) -> None:
        from workbench.store.db import connect

        self._db: Database = connect(path, check_same_thread=False)
        self._lock = threading.Lock()

    def runs(self, project: str | None = None, *, limit: int = 100) -> list[EvalRunInfo]:
        """Runs newest first, only ``project``'s (a name or a path) when given."""
        with self._lock:
            return list_runs(self._db, project=project, limit=limit)

    def report(self, run_id: str) -> RunReport:
        """The run's statistics, comparisons and gate (without per-case results)."""
        with self._lock:
            return run_report(self._db, run_id, with_cases=False)

    def counts(self, run_id: str) -> MatrixCounts:
        """The matrix's case counts."""
        with self._lock:
            return matrix_counts(self._db, run_id)

    def page(
        self,
        run_id: str,
        *,
        after: int | None = None,
        limit: int = 200,
        failures_only: bool = False,
        different_only: bool = False,
        search: str | None = None,
    ) -> list[MatrixRow]:
        """The matrix rows after case index ``after``, filtered (``search``: text in a case's
        id, outputs or errors)."""
        with self._lock:
            return matrix_page(
                self._db,
                run_id,
                after=after,
                limit=limit,
                failures_only=failures_only,
                different_only=different_only,
                search=search,
            )

    def trend(self, project: str, *, runs: int = 20) -> list[TrendPoint]:
        """Each variant's pass rate over the project's newest ``runs`` runs, oldest first."""
        with self._lock:
            return pass_rate_trend(self._db, project=project, runs=runs)

    def categories(self, run_id: str) -> list[CategoryRate]:
        """Each variant's pass rate per category in one run."""
        with self._lock:
            return category_rates(self._db, run_id)

    def case(self, run_id: str, case_id: str) -> CaseDetail | None:
        """One case across the run's variants."""
        with self._lock:
            return case_detail(self._db, run_id, case_id)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.conn.close()

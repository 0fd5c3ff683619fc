"""Comparing two stored runs variant by variant, each side labelled by its run (id and time)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.core.evals.results import CompareReport, compare_runs, require_run
from workbench.errors import WorkbenchError
from workbench.store.evals import EvalRunInfo


class RunLabel(BaseModel):
    """Which run a side of a comparison is: its id, when it started, its set and state."""

    id: str
    started_at: str
    set_name: str
    status: str

    @property
    def label(self) -> str:
        """``run ID (YYYY-MM-DD HH:MM UTC)``: how a side is named on screen."""
        return f"run {self.id} ({short_time(self.started_at)})"


class RunsComparison(BaseModel):
    """Run B against run A: one comparison per variant both ran (or the one pair asked for)."""

    run_a: RunLabel
    run_b: RunLabel
    comparisons: list[CompareReport]
    only_a: list[str] = Field(default_factory=list)
    only_b: list[str] = Field(default_factory=list)


def short_time(iso: str) -> str:
    """An ISO 8601 UTC time as ``YYYY-MM-DD HH:MM UTC`` (as given when it does not parse)."""
    try:
        return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return iso


def _label(run: EvalRunInfo) -> RunLabel:
    return RunLabel(id=run.id, started_at=run.started_at, set_name=run.set_name, status=run.status)


def compare_run_variants(
    db: Database, ref_a: str, ref_b: str, *, with_outputs: bool = False
) -> RunsComparison:
    """Compare ``RUN_B`` with ``RUN_A`` on every variant both ran.

    A ``RUN:VARIANT`` reference (on either side), or the same run twice, compares one
    pair as ``compare_runs`` does. Two runs sharing no variant are an error that says
    how to name a pair.
    """
    (id_a, var_a), (id_b, var_b) = (ref.partition(":")[::2] for ref in (ref_a, ref_b))
    run_a, run_b = require_run(db, id_a), require_run(db, id_b)
    only_a = [name for name in run_a.variants if name not in run_b.variants]
    only_b = [name for name in run_b.variants if name not in run_a.variants]
    if var_a or var_b or run_a.id == run_b.id:
        reports = [compare_runs(db, ref_a, ref_b, with_outputs=with_outputs)]
    else:
        shared = [name for name in run_a.variants if name in run_b.variants]
        if not shared:
            raise WorkbenchError(
                f"runs {run_a.id} ({', '.join(run_a.variants)}) and {run_b.id} "
                f"({', '.join(run_b.variants)}) share no variant; name a pair: "
                f"workbench compare {run_a.id}:{run_a.variants[0]} {run_b.id}:{run_b.variants[0]}"
            )
        reports = [
            compare_runs(db, f"{run_a.id}:{name}", f"{run_b.id}:{name}", with_outputs=with_outputs)
            for name in shared
        ]
    return RunsComparison(
        run_a=_label(run_a),
        run_b=_label(run_b),
        comparisons=reports,
        only_a=only_a,
        only_b=only_b,
    )

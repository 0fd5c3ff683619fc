"""A variant's retrieval metrics: the mean score of each retrieval assertion type in a run."""

from __future__ import annotations

from pydantic import BaseModel
from sqlite_utils import Database

from workbench.store.eval_scores import assertion_means

# Assertion type -> (key in reports, label in the "Retrieval: …" line), in display order.
RETRIEVAL_TYPES: dict[str, tuple[str, str]] = {
    "context-recall": ("context_recall", "context recall"),
    "context-precision": ("context_precision", "context precision"),
    "faithfulness": ("faithfulness", "faithfulness"),
    "citation-correctness": ("citation_correctness", "citations"),
}
_LABELS = {key: label for key, label in RETRIEVAL_TYPES.values()}


class MetricMean(BaseModel):
    """The mean score of one assertion type over a variant's results, and how many it averages."""

    mean: float
    n: int


def retrieval_means(db: Database, run_id: str, variant: str) -> dict[str, MetricMean]:
    """The variant's retrieval metrics present in the run, keyed ``context_recall`` …"""
    found = assertion_means(db, run_id, variant, tuple(RETRIEVAL_TYPES))
    return {
        key: MetricMean(mean=round(found[name][0], 4), n=found[name][1])
        for name, (key, _) in RETRIEVAL_TYPES.items()
        if name in found
    }


def retrieval_line(metrics: dict[str, MetricMean]) -> str | None:
    """``context recall 0.90 · faithfulness 0.95 …``, or ``None`` when there are none."""
    parts = [f"{label} {metrics[key].mean:.2f}" for key, label in _LABELS.items() if key in metrics]
    return " · ".join(parts) or None


def retrieval_lines(variants: list[tuple[str, dict[str, MetricMean]]]) -> list[str]:
    """``Retrieval: …`` for each variant with retrieval metrics (named when there are several)."""
    lines = []
    for name, metrics in variants:
        line = retrieval_line(metrics)
        if line is not None:
            lines.append(f"Retrieval{f' {name}' if len(variants) > 1 else ''}: {line}")
    return lines

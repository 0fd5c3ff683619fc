"""What an import did with each item of a promptfoo config: mapped, approximated, not converted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["mapped", "approximated", "not converted"]


@dataclass(frozen=True)
class Row:
    """One item of the config and what became of it."""

    item: str
    outcome: Outcome
    detail: str


@dataclass
class Report:
    """The rows of an import, in the order the config was read; repeats are folded."""

    rows: list[Row] = field(default_factory=list)
    _seen: dict[tuple[str, str, str], int] = field(default_factory=dict)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def add(self, item: str, outcome: Outcome, detail: str) -> None:
        """Record one item; the same (item, outcome, detail) again only counts up."""
        key = (item, outcome, detail)
        if key in self._seen:
            self.counts[key] = self.counts.get(key, 1) + 1
            return
        self._seen[key] = len(self.rows)
        self.rows.append(Row(item, outcome, detail))

    def mapped(self, item: str, detail: str) -> None:
        """An item carried over with the same meaning."""
        self.add(item, "mapped", detail)

    def approximated(self, item: str, detail: str) -> None:
        """An item carried over with a difference the detail states."""
        self.add(item, "approximated", detail)

    def skipped(self, item: str, detail: str) -> None:
        """An item left out, with why (and what to do instead)."""
        self.add(item, "not converted", detail)

    def times(self, row: Row) -> int:
        """How many times this row's item occurred."""
        return self.counts.get((row.item, row.outcome, row.detail), 1)

    def by_outcome(self, outcome: Outcome) -> list[Row]:
        """The rows with one outcome."""
        return [row for row in self.rows if row.outcome == outcome]

"""The readiness checklist as a cursor list: group headings, then each item with its status."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workbench.core.readiness.model import GROUP_TITLES, GROUPS, ItemResult

# status -> (mark, label, style); "pending" is the UI's own: queued in a running check.
STATUS_STYLES: dict[str, tuple[str, str, str]] = {
    "pass": ("✔", "pass", "$text-success"),
    "fail": ("✘", "fail", "$text-error"),
    "warn": ("!", "warn", "$text-warning"),
    "needs-signoff": ("?", "sign-off", "$text-accent"),
    "error": ("⚠", "error", "bold $text-error"),
    "pending": ("…", "checking", "$text-muted"),
}
GROUP_PREFIX = "group:"


def status_content(status: str, *, width: int = 9) -> Content:
    """``✔ pass`` in the status's theme colour, padded to ``width`` cells after the mark."""
    mark, label, style = STATUS_STYLES.get(status, ("·", status, "$text-muted"))
    return Content.styled(f"{mark} {label:<{width}}", style)


def group_counts(
    items: Iterable[ItemResult], pending: Collection[str] = ()
) -> dict[str, tuple[int, int]]:
    """``group -> (passed, total)`` in checklist order; ``pending`` ids do not count as passed."""
    counts: dict[str, list[int]] = {}
    for item in items:
        tally = counts.setdefault(item.group, [0, 0])
        tally[0] += item.passed and item.id not in pending
        tally[1] += 1
    order = [g for g in GROUPS if g in counts] + [g for g in counts if g not in GROUPS]
    return {group: (counts[group][0], counts[group][1]) for group in order}


class ChecklistList(OptionList):
    """Items grouped under disabled heading rows; option ids are item ids."""

    DEFAULT_CSS = """
    ChecklistList {
        height: 1fr;
        border: none;
        & > .option-list--option-disabled {
            color: $text;
            text-style: bold;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._items: dict[str, ItemResult] = {}
        self._pending: set[str] = set()

    @property
    def items(self) -> list[ItemResult]:
        """The items shown, in order."""
        return list(self._items.values())

    def counts(self) -> dict[str, tuple[int, int]]:
        """``group -> (passed, total)`` as shown: items being checked do not count yet."""
        return group_counts(self._items.values(), self._pending)

    @property
    def pending_ids(self) -> list[str]:
        """The items still being checked, in checklist order."""
        return [item_id for item_id in self._items if item_id in self._pending]

    def status_of(self, item_id: str) -> str:
        """What the row of ``item_id`` shows: its status, or ``pending`` while being checked."""
        return "pending" if item_id in self._pending else self._items[item_id].status

    @property
    def selected(self) -> ItemResult | None:
        """The item under the cursor."""
        option = self.highlighted_option
        return None if option is None or option.id is None else self._items.get(option.id)

    def show(self, items: list[ItemResult], *, pending: bool = False) -> None:
        """Replace the rows with ``items`` (all marked as being checked when ``pending``)."""
        keep = self.selected.id if self.selected is not None else None
        self._items = {item.id: item for item in items}
        self._pending = set(self._items) if pending else set()
        options: list[Option] = []
        for group, (passed, total) in self.counts().items():
            title = GROUP_TITLES.get(group, group.title())
            options.append(
                Option(
                    Content(f"{title}  {passed}/{total}"), id=GROUP_PREFIX + group, disabled=True
                )
            )
            options += [Option(self._prompt(i.id), id=i.id) for i in items if i.group == group]
        self.clear_options()
        self.add_options(options)
        ids = [option.id for option in options if not option.disabled and option.id is not None]
        if ids:
            target = keep if keep is not None and keep in self._items else ids[0]
            self.highlighted = self.get_option_index(target)

    def update_item(self, item: ItemResult) -> None:
        """Show ``item``'s new verdict in its row, and its group's new count."""
        if item.id not in self._items:
            return
        self._items[item.id] = item
        self._pending.discard(item.id)
        self.replace_option_prompt(item.id, self._prompt(item.id))
        self._refresh_heading(item.group)

    def _refresh_heading(self, group: str) -> None:
        members = [i for i in self._items.values() if i.group == group]
        passed = sum(i.passed and i.id not in self._pending for i in members)
        title = GROUP_TITLES.get(group, group.title())
        self.replace_option_prompt(
            GROUP_PREFIX + group, Content(f"{title}  {passed}/{len(members)}")
        )

    def _prompt(self, item_id: str) -> Content:
        item = self._items[item_id]
        return Content.assemble(" ", status_content(self.status_of(item_id)), " ", item.title)

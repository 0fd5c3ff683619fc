"""The footer never loses the section keys: named where there is room, grouped where not,
first either way, and working in both forms."""

from __future__ import annotations

import pytest
from textual.binding import Binding

from tests.tui.conftest import settle
from workbench.tui.app import create_app
from workbench.tui.footer_fit import FooterEntry, fit_entries
from workbench.tui.sections import SECTIONS, SECTIONS_GROUP


def shown_actions(app) -> list[str]:
    """The footer's actions, in the order it shows them."""
    return [b.binding.action for b in app.screen.active_bindings.values() if b.binding.show]


@pytest.mark.parametrize(
    ("size", "form"), [((200, 50), "switch_mode"), ((80, 24), "switch_section")]
)
async def test_section_keys_come_first_named_or_grouped(projects_dir, size, form):
    app = create_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        actions = shown_actions(app)
        assert actions[:6] == [
            f"{form}('{mode}')"
            for mode in ("projects", "run", "traces", "evals", "readiness", "ship")
        ]
        other = "switch_section" if form == "switch_mode" else "switch_mode"
        assert not any(action.startswith(other) for action in actions)
        await pilot.press("4")
        await settle(pilot)
        assert app.current_mode == "evals"


async def test_the_form_follows_a_resize(projects_dir):
    app = create_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert shown_actions(app)[0] == "switch_mode('projects')"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert shown_actions(app)[0] == "switch_section('projects')"


def _entry(key: str, action: str, description: str, group=None) -> FooterEntry:
    return FooterEntry(Binding(key, action, description, group=group), key, True, "")


def test_a_narrow_footer_keeps_esc_sections_help_and_quit_and_drops_the_last_listed():
    sections = [
        _entry(section.key, f"switch_section({section.mode!r})", section.title, SECTIONS_GROUP)
        for section in SECTIONS
    ]
    entries = [
        _entry("e", "toggle_expand", "Expand"),
        *sections,
        _entry("s", "start_run", "Start run"),
        _entry("f", "toggle_failures", "Failures only"),
        _entry("?", "help", "Help"),
        _entry("q", "quit", "Quit"),
        _entry("escape", "back", "Back"),
    ]
    wide = fit_entries(entries, 200)
    assert [e.binding.action for e in wide] == [
        "back",
        *(e.binding.action for e in sections),
        "toggle_expand",
        "start_run",
        "toggle_failures",
        "help",
        "quit",
    ]
    # esc Back (11) + 123456 Sections (17) + ? Help (8) + q Quit (8) = 44; e Expand takes 11.
    narrow = [e.binding.action for e in fit_entries(entries, 56)]
    assert narrow[-2:] == ["help", "quit"] and narrow[0] == "back"
    assert "toggle_expand" in narrow and "start_run" not in narrow
    assert "toggle_failures" not in narrow
    # Too narrow for all of them: what is kept still shows (the terminal cuts, not the fit).
    assert [e.binding.action for e in fit_entries(entries, 10)] == [
        "back",
        *(e.binding.action for e in sections),
        "help",
        "quit",
    ]

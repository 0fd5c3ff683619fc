"""The footer never loses the section keys: named where there is room, grouped where not,
first either way, and working in both forms."""

from __future__ import annotations

import pytest

from tests.tui.conftest import settle
from workbench.tui.app import create_app


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

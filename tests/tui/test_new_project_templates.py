"""The New Project dialog lists the templates the workbench ships, with their descriptions."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import SIZE, settle
from workbench.tui.app import create_app


async def test_the_new_project_dialog_lists_it(projects_dir):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        listing = app.screen.query_one("#template", OptionList)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
    assert any(p.startswith("rag-agent  Retrieval-augmented support agent") for p in prompts), (
        prompts
    )

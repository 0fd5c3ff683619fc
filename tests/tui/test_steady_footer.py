"""SteadyFooter: refresh_bindings storms keep the keys; a change in the keys shows."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from workbench.tui.widgets.steady_footer import SteadyFooter


class Host(App):
    """One screen with a key that is offered or not (``armed``)."""

    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("x", "cancel", "Cancel run"), Binding("r", "reload", "Refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield SteadyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.armed if action == "cancel" else True


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()


def shown(app: App) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


async def test_refresh_without_a_change_keeps_the_keys():
    app = Host()
    async with app.run_test() as pilot:
        await settle(pilot)
        before = shown(app)
        assert [key.description for key in before] == ["Refresh"]
        for _ in range(5):
            app.screen.refresh_bindings()
        await settle(pilot)
        # The same widgets: nothing was removed, mounted or styled again.
        assert [id(key) for key in shown(app)] == [id(key) for key in before]


async def test_a_key_offered_or_withdrawn_shows():
    app = Host()
    async with app.run_test() as pilot:
        await settle(pilot)
        app.armed = True
        app.screen.refresh_bindings()
        await settle(pilot)
        assert [key.description for key in shown(app)] == ["Cancel run", "Refresh"]
        app.armed = False
        app.screen.refresh_bindings()
        await settle(pilot)
        assert [key.description for key in shown(app)] == ["Refresh"]

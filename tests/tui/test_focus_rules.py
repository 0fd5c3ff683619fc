"""The focus rules, for every text field of the app: typed keys go into the field and
nowhere else (no section switch, no action, no worker), Esc leaves the field, the footer
says how. Fields are found by querying each section and dialog, so a new field is covered
without editing this file; a new dialog must be listed in ``DIALOGS`` or ``NO_FIELDS``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input, TextArea

import workbench.tui.modals
from tests.tui.conftest import settle
from tests.tui.evals_data import evals_project, settle_evals
from tests.tui.test_readiness_snapshots import fixed_evaluate
from tests.tui.tracedata import FakeRunner
from workbench.core import live
from workbench.settings import get_settings
from workbench.tui.app import create_app
from workbench.tui.focus import is_text_field, is_typing_key
from workbench.tui.modals.confirm import ConfirmModal
from workbench.tui.modals.help import HelpScreen
from workbench.tui.modals.new_project import NewProjectModal
from workbench.tui.modals.signoff import SignoffModal
from workbench.tui.modals.start_eval import StartEvalModal
from workbench.tui.screens.readiness import ReadinessScreen
from workbench.tui.screens.run import RunScreen
from workbench.tui.screens.ship import ShipScreen
from workbench.tui.sections import SECTIONS
from workbench.tui.widgets.checklist import ChecklistList

__all__ = ["evals_project"]
SIZE = (120, 36)
# What the reporter typed into a field, which switched sections and started a check run.
PHRASE = "gpt-5-ultra"
# Every digit and letter, and ? (help): none may do anything in a field but type.
ALPHABET = "1234567890qwertyuiopasdfghjklzxcvbnm?"
# Work a field starts by design when typed into (the traces filters search as you type).
SECTION_ACTIONS = ("switch_mode", "switch_section")
FIELD_WORK = {"filter-search": {"traces-page"}, "filter-model": {"traces-page"}}


@pytest.fixture
def app_env(evals_project, monkeypatch) -> Path:
    """A project with eval runs; no child process, collector or probe starts."""
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(FakeRunner))
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    monkeypatch.setattr(ShipScreen, "evaluate", staticmethod(fixed_evaluate))
    monkeypatch.setattr(ShipScreen, "validate_files", staticmethod(lambda plan: []))
    get_settings.cache_clear()
    return evals_project


def text_fields(screen) -> list[Input | TextArea]:
    """Every text field on ``screen``, shown or not."""
    return [widget for widget in screen.query("*") if is_text_field(widget)]


def typing_keys(app) -> list[str]:
    """Every typing key bound anywhere along the focus chain of the current screen."""
    keys = set("0123456789")
    for _node, bindings in app.screen._binding_chain:
        keys.update(key for key, _ in bindings if is_typing_key(key))
    keys.update(key for key, _ in app.screen._bindings if is_typing_key(key))
    return sorted(keys)


def accepted(field: Input | TextArea, keys: list[str]) -> str:
    """What ``field`` holds after ``keys`` typed into it empty (an integer field drops letters)."""
    from textual.keys import key_to_character

    text = ""
    for key in keys:
        candidate = text + (key_to_character(key) or "")
        restrict = getattr(field, "restrict", None) or _type_restrict(field)
        if restrict is None or re.fullmatch(restrict, candidate):
            text = candidate
    return text


def _type_restrict(field) -> str | None:
    from textual.widgets._input import _RESTRICT_TYPES

    return _RESTRICT_TYPES.get(getattr(field, "type", "text"))


def field_text(field: Input | TextArea) -> str:
    return field.text if isinstance(field, TextArea) else field.value


def clear(field: Input | TextArea) -> None:
    if isinstance(field, TextArea):
        field.text = ""
    else:
        field.value = ""


async def type_into_each_field(pilot: Pilot, *, leaves_with_escape: bool) -> list[str]:
    """Type digits, every bound typing key and PHRASE into each text field of the screen;
    assert nothing but the field changed. Returns the ids of the fields tried."""
    app = pilot.app
    screen = app.screen
    tried = []
    for field in text_fields(screen):
        if not field.display or field.disabled:
            continue
        keys = typing_keys(app) + list(ALPHABET) + list(PHRASE)
        mode, stack = app.current_mode, list(app.screen_stack)
        field.focus()
        await settle(pilot)
        clear(field)
        await pilot.pause()
        assert app.focused is field
        others = {id(f): field_text(f) for f in text_fields(screen) if f is not field}
        workers = {id(worker) for worker in app.workers}
        await pilot.press(*keys)
        await pilot.pause()
        new_work = {w.group for w in app.workers if id(w) not in workers}
        assert app.current_mode == mode and list(app.screen_stack) == stack, field.id
        assert app.focused is field, field.id
        assert field_text(field) == accepted(field, keys), field.id
        assert {id(f): field_text(f) for f in text_fields(screen) if f is not field} == others
        assert new_work <= FIELD_WORK.get(field.id or "", set()), (field.id, new_work)
        await settle(pilot)
        if leaves_with_escape:
            shown = {b.binding.action for b in screen.active_bindings.values() if b.binding.show}
            assert "leave_field" in shown, field.id
            assert not any(action.startswith(SECTION_ACTIONS) for action in shown), field.id
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen and not is_text_field(app.focused), field.id
            shown = {b.binding.action for b in screen.active_bindings.values() if b.binding.show}
            assert {"switch_mode('projects')", "switch_section('projects')"} & shown
            assert "leave_field" not in shown
        tried.append(field.id or type(field).__name__)
    return tried


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.mode)
async def test_keys_typed_into_a_sections_fields_stay_there(app_env, section):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(section.key)
        await settle_evals(pilot)
        assert app.current_mode == section.mode
        tried = await type_into_each_field(pilot, leaves_with_escape=True)
        assert len(tried) == len({f.id for f in text_fields(app.screen) if f.display})


async def open_new_project(pilot: Pilot) -> None:
    await pilot.press("1", "n")


async def open_signoff(pilot: Pilot) -> None:
    await pilot.press("5")
    await settle_evals(pilot)
    items = pilot.app.screen.query_one(ChecklistList)
    items.highlighted = items.get_option_index("observability.on-call")
    await settle(pilot)
    await pilot.press("s")


async def open_start_eval(pilot: Pilot) -> None:
    await pilot.press("4")
    await settle_evals(pilot)
    await pilot.press("s")


DIALOGS: dict[type[ModalScreen], Callable[[Pilot], Awaitable[None]]] = {
    NewProjectModal: open_new_project,
    SignoffModal: open_signoff,
    StartEvalModal: open_start_eval,
}
NO_FIELDS = {ConfirmModal, HelpScreen}


@pytest.mark.parametrize("dialog", list(DIALOGS), ids=lambda dialog: dialog.__name__)
async def test_keys_typed_into_a_dialogs_fields_stay_there(app_env, dialog):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await DIALOGS[dialog](pilot)
        await settle(pilot)
        assert isinstance(app.screen, dialog)
        tried = await type_into_each_field(pilot, leaves_with_escape=False)
        assert tried, "the dialog has no text field: list it in NO_FIELDS"
        await pilot.press("escape")  # in a dialog, Esc closes it
        await settle(pilot)
        assert not isinstance(app.screen, dialog)


def test_every_dialog_is_covered():
    """A new dialog with a text field fails here until its opener is added to DIALOGS."""
    for module in pkgutil.iter_modules(workbench.tui.modals.__path__):
        importlib.import_module(f"workbench.tui.modals.{module.name}")
    defined = {
        cls
        for cls in _subclasses(ModalScreen)
        if cls.__module__.startswith("workbench.tui.modals.")
    }
    assert defined == set(DIALOGS) | NO_FIELDS


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


async def test_escape_leaves_the_run_message_box_and_i_returns_to_it(app_env):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        message = app.screen.query_one("#run-input", Input)
        assert app.focused is message
        await pilot.press("3")  # typed, not a section switch
        assert app.current_mode == "run" and message.value == "3"
        await pilot.press("escape")
        assert app.focused is app.screen.query_one("#run-spans")
        await pilot.press("i")
        assert app.focused is message
        await pilot.press("escape", "3")
        await settle(pilot)
        assert app.current_mode == "traces"


async def test_shift_tab_from_the_message_box_lands_in_a_field(app_env):
    """The reporter's path: shift+tab from the message box, then 'gpt-5-ultra' (5 would
    switch to Readiness and r start a check run if the keys reached a non-field)."""
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("shift+tab", *PHRASE)
        await settle(pilot)
        assert app.current_mode == "run"
        assert is_text_field(app.focused) and app.focused.value == PHRASE


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.mode)
async def test_shift_tab_through_a_section_then_typing_stays_in_each_field(app_env, section):
    """At 80×24, shift+tab from the section's main widget around its whole focus chain; at
    each text field it lands on, every digit and letter (one burst, no pauses) goes into
    the field: the section, the screen and the workers stay as they were."""
    app = create_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(section.key)
        await settle_evals(pilot)
        await pilot.press("escape")  # out of a field the section may focus first
        await settle(pilot)
        screen, seen, typed = app.screen, set(), []
        for _ in range(len(screen.focus_chain) + 1):
            await pilot.press("shift+tab")
            await settle(pilot)
            field = app.focused
            if field is None or id(field) in seen:
                continue
            seen.add(id(field))
            if not is_text_field(field):
                continue
            clear(field)
            await pilot.pause()
            workers = {id(worker) for worker in app.workers}
            await pilot.press(*ALPHABET, "shift+tab", "shift+tab", "tab", "tab", *ALPHABET)
            await pilot.pause()
            new_work = {w.group for w in app.workers if id(w) not in workers}
            assert app.current_mode == section.mode and app.screen is screen, field.id
            assert app.focused is field, field.id
            # Back in the field by tab, Textual selects its text: the second burst replaces it.
            assert field_text(field) == accepted(field, list(ALPHABET)), field.id
            assert new_work <= FIELD_WORK.get(field.id or "", set()), (field.id, new_work)
            await settle(pilot)
            typed.append(field.id)
        assert sorted(typed) == sorted(f.id for f in text_fields(screen) if f.display)

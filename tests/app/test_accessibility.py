"""Every page walked for screen-reader names and keyboard mnemonics, with the whole window built."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from estimator.app.a11y import accessible_name, mnemonic_clashes, tab_traps, unnamed_focusable
from estimator.app.pages.estimate_page import EstimatePage
from tests.app.conftest import ScriptedDialogs, WindowFactory

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")  # shown windows, offscreen


def test_every_page_names_every_focusable_widget_and_has_unique_mnemonics(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(pages=None)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    problems: dict[str, object] = {}
    for key in window.pages:
        page = window.show_page(key)
        unnamed = unnamed_focusable(page)
        clashes = mnemonic_clashes(window, page)
        if unnamed or clashes:
            problems[key] = {"unnamed": unnamed, "clashes": clashes}
    assert problems == {}


def test_tables_take_one_tab_stop(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(pages=None)
    traps = {key: found for key in window.pages if (found := tab_traps(window.show_page(key)))}
    assert traps == {}


def test_each_estimate_mnemonic_moves_the_focus_to_its_field(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    form = page.form
    expected = {"l": form.lesions, "s": form.place, "c": form.locality.combo, "p": form.payer, "m": form.em,
                "o": form.procedures.edit, "a": form.diagnoses.edit, "d": form.date.edit, "r": form.deductible.edit,
                "i": form.coinsurance.edit, "y": form.copay.edit, "n": form.oop.edit}
    for letter, widget in expected.items():
        qtbot.keyClick(QApplication.focusWidget() or window, getattr(Qt.Key, f"Key_{letter.upper()}"),
                       Qt.KeyboardModifier.AltModifier)
        assert QApplication.focusWidget() is widget, letter


def test_the_totals_are_read_with_their_captions(make_window: WindowFactory) -> None:
    page = make_window().show_page("estimate")
    assert isinstance(page, EstimatePage)
    page.state.update(locality_key="national", place_of_service="11", lesions=8)
    totals = page.totals.texts()
    assert page.totals.patient.accessibleName() == f"Patient owes {totals['patient']}"
    assert page.totals.allowed.accessibleName() == "Allowed $110.92"


def test_a_chart_gives_its_data_as_text_on_enter(qtbot: QtBot, make_window: WindowFactory,
                                                  dialogs: ScriptedDialogs) -> None:
    window = make_window()
    window.show()
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    page.state.update(locality_key="national", place_of_service="11", lesions=8)
    plot = page.chart.plot_widget
    assert accessible_name(plot).startswith("Expected allowed amount by lesion count")
    plot.setFocus()
    qtbot.keyClick(plot, Qt.Key.Key_Return)
    text = dialogs.infos[-1]
    assert "8 lesions: non-facility $110.92" in text
    assert "15 or more lesions bill 17004 once" in text


def test_a_keyboard_only_medicare_estimate_with_a_saved_pdf_takes_at_most_20_keys(
        qtbot: QtBot, make_window: WindowFactory, dialogs: ScriptedDialogs, tmp_path: Path) -> None:
    window = make_window()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    page.form.lesions.setFocus()
    presses = 0

    def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        nonlocal presses
        presses += 1
        qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)

    def type_text(text: str) -> None:
        for char in text:
            press(getattr(Qt.Key, f"Key_{char}"))

    alt = Qt.KeyboardModifier.AltModifier
    press(Qt.Key.Key_M, alt)  # E/M visit
    type_text("99213")  # the combo's keyboard search
    press(Qt.Key.Key_C, alt)  # locality ...
    press(Qt.Key.Key_Tab)  # ... its ZIP search field
    type_text("77001")  # Houston
    press(Qt.Key.Key_R, alt)  # deductible remaining
    type_text("0")  # met
    pdf = tmp_path / "estimate.pdf"
    dialogs.paths.append(pdf)
    press(Qt.Key.Key_V, alt)  # Save as PDF... (a button's Alt key clicks it after a short animation)
    presses += 1  # the file dialog's Enter (scripted here)
    qtbot.waitUntil(pdf.exists)

    inputs = page.state.inputs
    assert (inputs.payer, inputs.em_code, inputs.locality_key) == ("Medicare", "99213", "0441218")
    assert inputs.benefits.deductible_remaining_cents == 0
    assert dialogs.errors == []
    assert pdf.read_bytes().startswith(b"%PDF")
    assert presses <= 20, presses

"""The payers page: forms that validate as you type, a real store, confirmation and undo."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from estimator.app.pages.payers_page import PayersPage
from estimator.core.payers import Method, Payer
from estimator.store.sqlite_store import SqliteStore
from tests.app.conftest import ScriptedDialogs, WindowFactory


def payers_page(make_window: WindowFactory, **kwargs: object) -> PayersPage:
    window = make_window(**kwargs)
    page = window.show_page("payers")
    assert isinstance(page, PayersPage)
    return page


def test_a_payer_added_in_the_gui_is_in_the_store_after_a_restart(qtbot: QtBot, tmp_path: Path,
                                                                  make_window: WindowFactory) -> None:
    db = tmp_path / "restart.sqlite"
    first = SqliteStore(db)
    page = payers_page(make_window, use_store=first)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert not page.save_button.isEnabled()  # no name yet
    qtbot.keyClicks(page.form.name.edit, "Lone Star PPO")
    page.form.percent.edit.clear()
    qtbot.keyClicks(page.form.percent.edit, "120")
    qtbot.keyClicks(page.form.em25.edit, "0")
    page.form.em25.edit.clear()
    qtbot.keyClicks(page.form.em25.edit, "50")
    assert page.save_button.isEnabled()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.selected() is not None and page.selected().name == "Lone Star PPO"  # type: ignore[union-attr]
    page.window().close()
    first.close()

    reopened = SqliteStore(db)
    try:
        payer = reopened.payer("Lone Star PPO")
        assert payer.method is Method.PERCENT_OF_MEDICARE
        assert payer.percent == Decimal(120) and payer.em25_reduction == Decimal(50)
        again = payers_page(make_window, use_store=reopened)
        assert "Lone Star PPO" in again.model.names()
        estimate_payers = again.window().page("estimate").form.payer.values()  # type: ignore[attr-defined]
        assert "Lone Star PPO" in estimate_payers
    finally:
        reopened.close()


def test_a_bad_percent_is_shown_in_place_and_save_stays_disabled(qtbot: QtBot, store: SqliteStore,
                                                                 make_window: WindowFactory) -> None:
    store.add_payer(Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(115)))
    page = payers_page(make_window)
    assert page.select("Acme PPO")
    field = page.form.percent
    field.edit.clear()
    qtbot.keyClicks(field.edit, "1x5")
    assert field.edit.text() == "1x5"
    assert not field.valid and "not a percentage" in field.error()
    assert not page.save_button.isEnabled()
    field.edit.clear()
    qtbot.keyClicks(field.edit, "0")
    assert field.valid  # a number, but the contract is not: shown beside the form
    assert "percent of Medicare: 0 must be above 0" in page.form.problems.text()
    assert not page.save_button.isEnabled()
    field.edit.clear()
    qtbot.keyClicks(field.edit, "125")
    assert page.save_button.isEnabled()
    page.save()
    assert store.payer("Acme PPO").percent == Decimal(125)


def test_removing_asks_first_and_ctrl_z_brings_the_payer_back(qtbot: QtBot, store: SqliteStore,
                                                              make_window: WindowFactory,
                                                              dialogs: ScriptedDialogs) -> None:
    store.add_payer(Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(115), notes="keep me"))
    page = payers_page(make_window)
    page.select("Acme PPO")
    dialogs.answers = [False]
    assert not page.remove_selected()
    assert "Acme PPO" in store.payer_names()
    dialogs.answers = [True]
    assert page.remove_selected()
    assert "Remove Acme PPO" in dialogs.asked[-1]
    assert "Acme PPO" not in store.payer_names()
    window = page.window()
    assert window.undo_action.isEnabled()  # type: ignore[attr-defined]
    window.undo_action.trigger()  # type: ignore[attr-defined]  # Edit > Undo (Ctrl+Z)
    assert store.payer("Acme PPO").notes == "keep me"
    assert "Acme PPO" in page.model.names()
    window.redo_action.trigger()  # type: ignore[attr-defined]
    assert "Acme PPO" not in store.payer_names()


def test_built_in_payers_cannot_be_removed_or_renamed(make_window: WindowFactory) -> None:
    page = payers_page(make_window)
    page.select("Medicare")
    assert not page.remove_button.isEnabled()
    assert page.form.name.edit.isReadOnly()
    assert not page.form.method.isEnabled()


def test_a_fee_schedule_imports_whole_or_not_at_all(tmp_path: Path, store: SqliteStore,
                                                    make_window: WindowFactory, dialogs: ScriptedDialogs) -> None:
    store.add_payer(Payer("Fixed Plan", Method.FEE_SCHEDULE))
    page = payers_page(make_window)
    page.select("Fixed Plan")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,modifier,amount\n17000,,70.00\n1700X,,5\n", encoding="utf-8")
    assert not page.import_fees(bad)
    assert "nothing was imported" in dialogs.errors[-1]
    assert store.payer("Fixed Plan").fees == {}
    good = tmp_path / "good.csv"
    good.write_text("code,modifier,amount\n17000,,70.00\n17003,,7.25\n", encoding="utf-8")
    assert page.import_fees(good)
    assert store.payer("Fixed Plan").fees == {("17000", ""): 7000, ("17003", ""): 725}
    out = tmp_path / "out.csv"
    assert page.export_fees(out)
    assert out.read_text(encoding="utf-8").splitlines() == ["code,modifier,amount", "17000,,70.00", "17003,,7.25"]
    page.undo_stack.undo()
    assert store.payer("Fixed Plan").fees == {}


def test_the_charge_master_imports_and_the_estimate_uses_it(tmp_path: Path, store: SqliteStore,
                                                            make_window: WindowFactory) -> None:
    page = payers_page(make_window)
    charges = tmp_path / "charges.csv"
    charges.write_text("code,modifier,charge\n17000,,150.00\n17003,,20.00\n", encoding="utf-8")
    assert page.import_charges(charges)
    assert store.practice().charges == {("17000", ""): 15000, ("17003", ""): 2000}
    state = page.window().estimate_inputs  # type: ignore[attr-defined]
    state.update(payer="Self-pay", lesions=3)
    assert state.estimate.allowed_cents == 15000 + 2 * 2000
    page.undo_stack.undo()
    assert store.practice().charges == {}


@pytest.mark.parametrize("cf", ["38.12345", "NaN", "1e400"])
def test_a_conversion_factor_the_pricing_cannot_hold_is_refused_in_the_form(qtbot: QtBot, store: SqliteStore,
                                                                            make_window: WindowFactory,
                                                                            cf: str) -> None:
    store.add_payer(Payer("Own CF", Method.OWN_CF, conversion_factor=Decimal("38.00")))
    page = payers_page(make_window)
    assert page.select("Own CF")
    field = page.form.conversion_factor
    field.edit.clear()
    qtbot.keyClicks(field.edit, cf)
    assert not field.valid and "Conversion factor" in field.error()
    assert not page.save_button.isEnabled()


def test_a_payer_name_with_html_is_shown_as_plain_text(store: SqliteStore, make_window: WindowFactory) -> None:
    name = '<b>Bold</b> <a href="http://x">Plan</a>'
    store.add_payer(Payer(name, Method.PERCENT_OF_MEDICARE, percent=Decimal(110)))
    page = payers_page(make_window)
    assert page.select(name)
    assert page.title.textFormat() == Qt.TextFormat.PlainText and page.title.text() == name
    row = page.model.row_of(name)
    tooltip = page.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in tooltip and "<a href" not in tooltip
    for label in (page.status, page.charges_label, page.form.problems, page.form.fees):
        assert label.textFormat() == Qt.TextFormat.PlainText

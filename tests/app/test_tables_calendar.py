"""The app past the newest tables (issue 13): the banner, the December reminder, the Fee tables status and
the provisional conversion factor dialog, driven through the real widgets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from estimator.app.context import AppContext
from estimator.app.main_window import MainWindow
from estimator.app.pages.tables_page import TablesPage
from estimator.app.settings import Settings
from estimator.core.money import format_money
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import default_catalog

#: Shown windows and dialogs, offscreen.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def window_on(qtbot: QtBot, store: SqliteStore) -> Iterator[object]:
    """``window_on(today)``: a window with its own catalog (the provisional CF changes it) on ``today``."""
    contexts: list[AppContext] = []

    def build(today: dt.date) -> MainWindow:
        context = AppContext(default_catalog(), store)
        context.today = lambda: today
        contexts.append(context)
        window = MainWindow(context, Settings(), restore=False, page_keys=("estimate", "tables"))
        qtbot.addWidget(window)
        window.show()
        return window

    yield build
    for context in contexts:
        context.tasks.wait(10_000)


def test_a_2027_date_is_estimated_with_a_provisional_banner(window_on, qtbot: QtBot) -> None:
    window = window_on(dt.date(2026, 10, 1))
    assert window.tables_banner.isHidden()
    window.estimate_inputs.set_lesions(1)
    date = window.page("estimate").form.date  # type: ignore[attr-defined]
    date.edit.selectAll()
    qtbot.keyClicks(date.edit, "2027-01-15")  # accepted: the field runs to the year after the newest tables
    assert window.estimate_inputs.inputs.date_of_service == dt.date(2027, 1, 15)
    estimate = window.estimate_inputs.estimate
    assert estimate is not None and estimate.claim.release == "RVU26C"
    assert format_money(estimate.allowed_cents) == "66.47"  # 1 lesion, national, office: RVU26C
    assert window.tables_banner.isVisible()
    text = window.tables_banner.text()
    assert text.startswith("Provisional: 2027 Medicare rates are not yet published") and "RVU26C" in text
    assert "Fee tables > Import CMS release" in text
    assert window.tables_banner.accessibleName() == "Fee-schedule tables notice"
    assert window.release_label.text() == "Tables RVU26C (2026) provisional"
    date.edit.selectAll()
    qtbot.keyClicks(date.edit, "2026-10-15")
    assert window.tables_banner.isHidden()


@pytest.mark.parametrize(("today", "shown"), [(dt.date(2026, 11, 30), False), (dt.date(2026, 12, 1), True)])
def test_from_1_december_a_missing_next_year_release_is_a_one_line_reminder(window_on, today: dt.date,
                                                                          shown: bool) -> None:
    window = window_on(today)
    window.estimate_inputs.update(date_of_service=dt.date(2026, 11, 2))
    assert window.tables_banner.isVisible() is shown
    if shown:
        assert window.tables_banner.text().startswith("Reminder: Medicare's 2027 fee schedule (RVU27A) is due")


def test_the_fee_tables_page_shows_status_and_takes_a_provisional_cf(window_on, qtbot: QtBot) -> None:
    window = window_on(dt.date(2026, 12, 4))
    window.estimate_inputs.update(date_of_service=dt.date(2027, 1, 15), lesions=1)
    page = window.show_page("tables")
    assert isinstance(page, TablesPage)
    status = page.tables_status.text()
    assert "2027: RVU26C (shipped), PROVISIONAL, CF 33.4009" in status and "Due next:" in status
    dialog = page.edit_provisional_cf()
    assert dialog.year.text() == "2027"
    qtbot.keyClicks(dialog.cf, "45")
    qtbot.keyClicks(dialog.source, "CY 2027 PFS final rule")
    dialog.save()
    assert dialog.isVisible() and "more than 10% away" in dialog.error.text()  # stays open, says why
    dialog.cf.clear()
    qtbot.keyClicks(dialog.cf, "33.5")
    with qtbot.waitSignal(window.context.tables_changed):
        qtbot.keyClick(dialog.cf, Qt.Key.Key_Return)  # Save is the default button
    estimate = window.estimate_inputs.estimate
    assert estimate is not None and format_money(estimate.allowed_cents) == "66.67"  # 1.99 x 33.5000, half-up
    assert "CF 33.5000 (provisional, CY 2027 PFS final rule" in page.tables_status.text()
    assert "conversion factor 33.5000 (provisional" in window.tables_banner.text()
    dialog = page.edit_provisional_cf()
    with qtbot.waitSignal(window.context.tables_changed):
        dialog.remove_button.click()
    assert format_money(window.estimate_inputs.estimate.allowed_cents) == "66.47"

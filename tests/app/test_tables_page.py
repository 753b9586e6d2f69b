"""The fee-table browser: lazy model, search, prices per locality, and a CMS import off the GUI thread."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from estimator.app.pages.tables_page import ImportResult, TablesPage
from estimator.core.pricing import price_unit
from estimator.core.schedule import Setting
from tests.app.conftest import ScriptedDialogs, WindowFactory

MANHATTAN = "1320201"


def tables_page(make_window: WindowFactory) -> TablesPage:
    window = make_window()
    page = window.show_page("tables")
    assert isinstance(page, TablesPage)
    page.update_prices()
    return page


def test_searching_by_code_prefix_keeps_only_matching_rows(make_window: WindowFactory) -> None:
    page = tables_page(make_window)
    total = page.model.rowCount()
    assert total > 15_000
    page.set_search("1700")
    rows = page.proxy.schedule_rows()
    codes = [str(page.model.tables.schedule.codes[r]) for r in rows]
    assert codes == ["17000", "17003", "17004"]
    assert page.proxy.rowCount() == 3 and page.count.text() == f"3 of {total:,} rows"
    page.set_search("", "A")
    assert 0 < page.proxy.rowCount() < total
    page.set_search("")
    assert page.proxy.rowCount() == total


def test_the_price_column_matches_the_core_in_the_chosen_locality_and_setting(make_window: WindowFactory) -> None:
    page = tables_page(make_window)
    page.locality.set_key(MANHATTAN)
    page.setting.set_value(Setting.FACILITY.value)
    page.update_prices()
    tables = page.model.tables
    row = page.model.view_row("17004")
    expected = price_unit(tables, "17004", locality_key=MANHATTAN, setting=Setting.FACILITY).cents
    assert page.model.price_cents(row) == expected
    assert "NEW YORK" in page.caption.text() or "MANHATTAN" in page.caption.text()


def test_sorting_by_a_column_is_done_in_the_source_with_numpy(make_window: WindowFactory) -> None:
    page = tables_page(make_window)
    page.view.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    work = page.model.tables.schedule.work
    first = page.model.schedule_row(0)
    assert work[first] == work.max()


def test_exporting_the_table_writes_the_rows_shown(tmp_path: Path, make_window: WindowFactory) -> None:
    page = tables_page(make_window)
    page.set_search("1700")
    out = tmp_path / "fees.csv"
    assert page.window().export_table_csv(out) == out  # type: ignore[attr-defined]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Code,Mod,Status,Work RVU")
    assert [line.split(",")[0] for line in lines[1:]] == ["17000", "17003", "17004"]


def test_an_import_runs_off_the_gui_thread_and_the_window_stays_responsive(qtbot: QtBot, tmp_path: Path,
                                                                           cms_dir: Path,
                                                                           make_window: WindowFactory) -> None:
    source = tmp_path / "release"
    source.mkdir()
    for name in ("PPRRVU2026_Jul_nonQPP.csv", "GPCI2026.csv"):
        shutil.copy(cms_dir / name, source / name)
    page = tables_page(make_window)
    ticks: list[int] = []
    heartbeat = QTimer(page)
    heartbeat.timeout.connect(lambda: ticks.append(1))
    heartbeat.start(5)
    with qtbot.waitSignal(page.import_finished, timeout=60_000):
        page.start_import(source)
        assert page.progress.isVisibleTo(page) and not page.import_button.isEnabled()
    heartbeat.stop()
    result = page.last_import
    assert isinstance(result, ImportResult)
    assert result.thread_id != threading.main_thread().ident
    assert ticks, "the GUI thread's event loop ran while the import worked"
    assert result.manifest["release"] == "RVU26C"
    assert page.context.catalog is result.catalog
    assert any(r.origin == "imported" for r in page.context.catalog.releases())
    assert "Imported RVU26C" in page.message.text() and page.import_button.isEnabled()


def test_a_failed_import_reports_why_and_changes_nothing(qtbot: QtBot, tmp_path: Path, make_window: WindowFactory,
                                                         dialogs: ScriptedDialogs) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    page = tables_page(make_window)
    catalog = page.context.catalog
    with qtbot.waitSignal(page.import_failed, timeout=30_000) as blocker:
        page.start_import(empty)
    assert "no PPRRVU file" in blocker.args[0]
    assert page.context.catalog is catalog
    assert "nothing changed" in page.message.text()
    assert dialogs.errors and "no PPRRVU file" in dialogs.errors[-1]


def test_an_import_can_be_cancelled(qtbot: QtBot, tmp_path: Path, cms_dir: Path, make_window: WindowFactory) -> None:
    source = tmp_path / "release"
    source.mkdir()
    for name in ("PPRRVU2026_Jul_nonQPP.csv", "GPCI2026.csv"):
        shutil.copy(cms_dir / name, source / name)
    page = tables_page(make_window)
    catalog = page.context.catalog
    with qtbot.waitSignal(page.import_cancelled, timeout=60_000):
        page.start_import(source)
        page.cancel_import()
    assert page.context.catalog is catalog
    assert "cancelled" in page.message.text()

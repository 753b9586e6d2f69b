"""The Audit page's Remittances tab: the sample 835 opened, stored, reconciled off the GUI thread and shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from estimator.app.pages.audit_page import AuditPage
from estimator.store import remits
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog
from tests.app.conftest import ScriptedDialogs, WindowFactory


@pytest.fixture
def page(make_window: WindowFactory, store: SqliteStore, catalog: TableCatalog) -> AuditPage:
    load_demo(store, catalog.for_year(2026))
    window = make_window(pages=("audit",))
    shown = window.show_page("audit")
    assert isinstance(shown, AuditPage)
    return shown


def open_sample(qtbot: QtBot, page: AuditPage, dialogs: ScriptedDialogs, path: Path) -> None:
    dialogs.paths.append(path)
    page.remits.open_button.click()
    qtbot.waitUntil(lambda: page.remits.card is not None and page.remits.task is None, timeout=30_000)


def test_opening_the_sample_shows_the_scorecard_chart_and_recovery_list(qtbot: QtBot, page: AuditPage,
                                                                        dialogs: ScriptedDialogs, repo_root: Path,
                                                                        store: SqliteStore) -> None:
    open_sample(qtbot, page, dialogs, repo_root / "samples" / "remit.835")
    panel = page.remits
    assert page.tabs.currentWidget() is panel
    assert remits.count(store) == 18
    payers = [panel.score_model.row(i)["payer"] for i in range(panel.score_model.rowCount())]
    assert payers == ["Demo: Acme PPO (115%)", "Demo: Summit Health (130%)", "Medicare", "All payers"]
    medicare = panel.score_model.row(2)
    assert (medicare["paid"], medicare["contract"], medicare["underpaid"]) == ("277.18", "721.82", "12.33")
    series = panel.chart.series()
    assert series["payers"] == payers[:3]
    assert series["underpaid"] == [24.35, 0.0, 12.33]
    assert panel.recovery_model.rowCount() == 6
    assert panel.recovery_model.row(0)["reason_code"] == "CO-16"
    assert "18 of 18 service lines added" in panel.status.text()
    assert page.current_chart() is panel.chart


def test_opening_it_again_adds_nothing_and_a_broken_file_is_named(qtbot: QtBot, page: AuditPage,
                                                                  dialogs: ScriptedDialogs, repo_root: Path,
                                                                  tmp_path: Path) -> None:
    sample = repo_root / "samples" / "remit.835"
    open_sample(qtbot, page, dialogs, sample)
    page.remits.card = None
    open_sample(qtbot, page, dialogs, sample)
    assert "already imported; nothing added" in page.remits.status.text()
    broken = tmp_path / "broken.835"
    broken.write_text(sample.read_text().replace("SE*41*0002", "SE*40*0002"))
    task = page.remits.import_paths([broken])
    assert task is not None
    qtbot.waitUntil(lambda: page.remits.task is None, timeout=30_000)
    assert "segment SE at position 120: bad segment count" in page.remits.status.text()

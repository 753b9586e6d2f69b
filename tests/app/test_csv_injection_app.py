"""File > Export table as CSV neutralises formula-like text on every page that shows user data: a payer
named ``=1+1`` and a patient named ``@SUM(A1)`` are written ``'=1+1`` and ``'@SUM(A1)``; amounts stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from pytestqt.qtbot import QtBot

from estimator.app.main_window import MainWindow
from estimator.core.payers import Method, Payer
from estimator.store.sqlite_store import SqliteStore
from tests.app.conftest import ScriptedDialogs, WindowFactory
from tests.app.test_documents_page import PRACTICE, issue

PAYER = "=1+1"
PATIENT = "@SUM(A1)"


def exported(window: MainWindow, key: str, path: Path) -> list[str]:
    window.show_page(key)
    assert window.export_table_csv(path) == path
    return [cell for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))) for cell in row]


def test_the_compare_and_negotiate_tables(tmp_path: Path, make_window: WindowFactory, store: SqliteStore,
                                          qtbot: QtBot) -> None:
    store.add_payer(Payer(PAYER, Method.PERCENT_OF_MEDICARE, percent=Decimal(120)))
    window = make_window(pages=("estimate", "compare", "negotiate"))
    window.estimate_inputs.update(locality_key="national", lesions=3)
    window.show_page("compare").refresh()
    cells = exported(window, "compare", tmp_path / "compare.csv")
    assert "'" + PAYER in cells and PAYER not in cells
    assert "$95.00" in cells  # amounts as shown, not neutralised
    qtbot.waitUntil(lambda: "'" + PAYER in exported(window, "negotiate", tmp_path / "negotiate.csv"), timeout=20_000)
    cells = exported(window, "negotiate", tmp_path / "negotiate.csv")
    assert PAYER not in cells
    assert "+$0.00" in cells  # a signed amount is a number, not a formula


def test_the_gfe_log(tmp_path: Path, make_window: WindowFactory, store: SqliteStore, qtbot: QtBot,
                     dialogs: ScriptedDialogs) -> None:
    store.save_practice(PRACTICE)
    window = make_window(pages=("estimate", "documents"))
    issue(qtbot, window.context, tmp_path, PATIENT, dialogs)
    window.show_page("documents").reload()  # type: ignore[attr-defined]
    cells = exported(window, "documents", tmp_path / "log.csv")
    assert "'" + PATIENT in cells and PATIENT not in cells

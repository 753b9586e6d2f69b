"""The installed app's shell: the frame painted first, then the tables and database loaded (or a dialog and
the window closed), Help > About, File > Back up database, the network-drive banner and the app icon."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from estimator import __version__, paths
from estimator.app import main as app_main
from estimator.app.main_window import LOADING_MESSAGE, MainWindow
from estimator.app.settings import Settings
from estimator.cli.common import Context
from estimator.core.errors import InputError
from tests.app.conftest import ScriptedDialogs, WindowFactory


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shipped"
    shutil.copytree(paths.shipped_tables_root(), root)
    monkeypatch.setattr(paths, "shipped_tables_root", lambda: root)
    return root


def _windows() -> list[str]:
    return [type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()]


@pytest.mark.qt_log_ignore("This plugin does not support")  # the loading window, offscreen
@pytest.mark.parametrize("damage", ["no tables", "damaged rvu.csv", "missing zip file"])
def test_missing_or_damaged_tables_stop_the_app_with_a_dialog_and_close_the_loading_window(
        damage: str, shipped_copy: Path, dialogs: ScriptedDialogs, tmp_path: Path, qapp: QApplication) -> None:
    if damage == "no tables":
        shutil.rmtree(shipped_copy)
    elif damage == "damaged rvu.csv":
        (shipped_copy / "2026" / "rvu.csv").write_text("code\n", encoding="utf-8")
    else:
        (shipped_copy / "2025" / "zip_localities.csv").unlink()
    code = app_main.main(["--db", str(tmp_path / "p.sqlite"), "--create"])
    assert code == 1
    assert len(dialogs.errors) == 1
    message = dialogs.errors[0]
    assert "reinstall the estimator" in message and str(shipped_copy) in message
    assert "log" in message  # says where details went
    assert "MainWindow" not in _windows()  # the frame shown while loading is gone; no window missing tabs


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
def test_the_frame_paints_first_then_the_estimate_page_is_built_and_the_run_says_when(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], qapp: QApplication) -> None:
    code = app_main.main(["--db", str(tmp_path / "p.sqlite"), "--create", "--quit-after-show", "--lesions", "7"])
    assert code == 0
    stamps = app_main.startup_stamps(capsys.readouterr().err)
    assert 0 < stamps["first_window"] < stamps["ready"]
    assert stamps["first_window_rss"] >= 0


def test_a_lesion_count_out_of_range_is_refused_before_any_window(
        capsys: pytest.CaptureFixture[str], qapp: QApplication) -> None:
    with pytest.raises(SystemExit) as refused:
        app_main.main(["--lesions", "0"])
    assert refused.value.code == 2
    assert "--lesions: must be a whole number from 1 to 10000, got '0'" in capsys.readouterr().err
    assert "MainWindow" not in _windows()


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
def test_a_window_shown_before_its_context_says_it_is_loading_then_behaves_as_one_built_with_it(
        qtbot, catalog, store, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    from estimator.app.context import AppContext  # noqa: PLC0415 - the core, as start-up loads it

    window = MainWindow(None, Settings(), restore=False, page_keys=["estimate", "compare"])
    qtbot.addWidget(window)
    window.show()
    assert window.statusBar().currentMessage() == LOADING_MESSAGE
    assert not window.menuBar().isEnabled() and not window.attached
    assert window.show_page("compare") is window.tabs.currentWidget()  # a tab switch now, its page later
    assert not window.pages.built  # nothing built before the tables and the store are open
    with pytest.raises(RuntimeError, match="still loading"):
        window.context  # noqa: B018 (the property refuses)

    context = AppContext(catalog, store)
    window.attach(context)
    assert window.attached and window.menuBar().isEnabled() and window.statusBar().currentMessage() == ""
    assert list(window.pages.built) == ["compare"]  # the page shown, built on attach
    assert window.page("compare").objectName() == "page_compare" and not window.page_errors
    assert window.print_action.isEnabled() == hasattr(window.page("compare"), "printable_document")
    assert [a.text() for a in window.page_actions] == ["Estimate", "Compare"]  # the Go menu, filled on attach
    window.close()
    context.tasks.wait(10_000)


def test_the_first_window_needs_neither_numpy_nor_pyqtgraph_nor_the_core() -> None:
    """What makes the frame paint in about a bare Qt window's time: checked in a fresh interpreter."""
    probe = ("import sys; import estimator.app.main, estimator.app.main_window, estimator.app.theme; "
             "heavy = [m for m in ('numpy', 'pyqtgraph', 'estimator.core.pricing', 'estimator.tables.shipped', "
             "'estimator.store.sql_store', 'sqlite3') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_about_shows_the_version_tables_licences_and_components(make_window: WindowFactory,
                                                                dialogs: ScriptedDialogs) -> None:
    window = make_window(pages=["estimate"])
    window.about_action.trigger()
    text = dialogs.infos[-1]
    assert f"estimator {__version__}" in text and "RVU26C" in text and "RVU25D" in text
    for needle in ("All rights reserved", "PySide6-Essentials", "LGPL-3.0", "NumPy", "PyQtGraph", "platformdirs"):
        assert needle in text
    assert "http" not in text  # a link-free list
    help_menu = next(a for a in window.menuBar().actions() if a.text() == "&Help").menu()
    assert "About &Qt" in [a.text() for a in help_menu.actions()]


def test_the_licence_texts_are_installed_with_the_program() -> None:
    from estimator import about  # noqa: PLC0415

    for component in about.COMPONENTS:
        for name in component.licence_files:
            assert len(about.licence_text(name)) > 500, name
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in about.licence_text("LGPL-3.0.txt")


def test_file_back_up_database_writes_a_consistent_copy(make_window: WindowFactory, dialogs: ScriptedDialogs,
                                                        tmp_path: Path) -> None:
    window = make_window(pages=["estimate"])
    target = tmp_path / "copy.sqlite"
    dialogs.paths.append(target)
    window.backup_action.trigger()
    assert not dialogs.errors
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert {r[0] for r in conn.execute("SELECT name FROM payers")} >= {"Medicare", "Self-pay"}
    conn.close()
    assert str(target) in window.statusBar().currentMessage()


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note about the word-wrapped banner
def test_a_database_on_a_network_drive_shows_a_banner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       qapp: QApplication) -> None:
    db = tmp_path / "p.sqlite"
    monkeypatch.setattr(paths, "_mount_table", lambda: [("/", "ext4"), (str(tmp_path), "nfs4")])
    shown: list[str] = []
    original = app_main.screenshot

    def capture(app, window, *args):  # type: ignore[no-untyped-def]
        shown.extend(b.text() for b in window.banners.values() if not b.isHidden())
        original(app, window, *args)

    monkeypatch.setattr(app_main, "screenshot", capture)
    assert app_main.main(["--db", str(db), "--create", "--screenshot", str(tmp_path / "s.png")]) == 0
    assert len(shown) == 1 and "network file system (nfs4)" in shown[0] and str(db) in shown[0]


def test_the_app_has_its_icon(qapp: QApplication) -> None:
    icon = app_main.application_icon()
    assert not icon.isNull() and icon.availableSizes()


def test_a_db_path_that_does_not_exist_is_refused_naming_it_and_how_to_create_it(
        tmp_path: Path, dialogs: ScriptedDialogs, capsys: pytest.CaptureFixture[str], qapp: QApplication) -> None:
    mistyped = tmp_path / "pratice.sqlite"
    assert app_main.main(["--db", str(mistyped), "--screenshot", str(tmp_path / "s.png")]) == 1
    assert not mistyped.exists() and not (tmp_path / "s.png").exists()  # nothing created, no window
    assert len(dialogs.errors) == 1
    for said in (dialogs.errors[0], capsys.readouterr().err):
        assert str(mistyped) in said and "--create" in said
    assert "MainWindow" not in _windows()
    # The command line says the same (one rule, one wording).
    with pytest.raises(InputError) as refused:
        Context(db=str(mistyped)).store  # noqa: B018 (the property opens the database)
    assert str(refused.value) in dialogs.errors[0]


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
def test_with_create_the_app_makes_the_new_database_and_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], qapp: QApplication) -> None:
    new = tmp_path / "new.sqlite"
    assert app_main.main(["--db", str(new), "--create", "--screenshot", str(tmp_path / "s.png")]) == 0
    assert new.exists()
    assert f"created a new practice database at {new.resolve()}" in capsys.readouterr().err

"""The installed app's shell: tables checked before any window, Help > About, File > Back up database, the
network-drive banner and the app icon."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from estimator import __version__, paths
from estimator.app import main as app_main
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


@pytest.mark.parametrize("damage", ["no tables", "damaged rvu.csv", "missing zip file"])
def test_missing_or_damaged_tables_stop_the_app_with_a_dialog_before_any_window(
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
    assert "MainWindow" not in _windows()


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

"""The shell: page discovery, shortcuts, file actions, remembered layout and the --screenshot entry point."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import os
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from estimator.app import main as app_main
from estimator.app import settings as opts
from estimator.app.main_window import discover_pages, page_declarations
from estimator.app.pages.page_index import PAGES
from estimator.app.settings import Settings
from tests.app.conftest import OWN_PAGES, WindowFactory


def test_pages_are_discovered_in_their_order(make_window: WindowFactory) -> None:
    window = make_window()
    assert list(window.pages) == ["estimate", "compare", "payers", "tables", "practice"]
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())][:2] == ["Estimate", "Compare"]


def test_every_page_module_in_the_package_is_found(make_window: WindowFactory) -> None:
    specs, _errors = discover_pages()
    assert set(OWN_PAGES) <= {spec.key for spec in specs}
    window = make_window(pages=None)  # everything discovered, other teams' pages included
    assert set(OWN_PAGES) <= set(window.pages)


def test_a_page_module_that_fails_to_import_is_left_out_and_logged(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    package = tmp_path / "fake_pages"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good_page.py").write_text("KEY = 'good'\nTITLE = 'Good'\nORDER = 1\n"
                                          "def create_page(context):\n    return None\n")
    (package / "broken_page.py").write_text("import does_not_exist\n")
    (package / "helper.py").write_text("raise RuntimeError('not a page, never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__("fake_pages")
    assert isinstance(module, types.ModuleType)
    specs, errors = discover_pages(module)
    assert [s.key for s in specs] == ["good"]
    assert list(errors) == ["fake_pages.broken_page"] and "does_not_exist" in errors["fake_pages.broken_page"]
    assert "left out" in caplog.text


def test_ctrl_number_switches_pages(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.page_actions[2].trigger()
    assert window.current_key() == "payers"
    assert window.page_actions[0].shortcut().toString() == "Ctrl+1"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.print_action.shortcut().toString() == "Ctrl+P"
    assert window.export_table_action.shortcut().toString() == "Ctrl+E"


def test_export_writes_the_current_pages_table_and_chart(tmp_path: Path, make_window: WindowFactory) -> None:
    window = make_window()
    window.show_page("estimate")
    window.estimate_inputs.update(locality_key="national", lesions=8)
    csv_path = window.export_table_csv(tmp_path / "lines.csv")
    assert csv_path is not None
    assert csv_path.read_text(encoding="utf-8").splitlines() == [
        "Code,Units,Modifiers,Allowed,Reduction,Payer pays,Patient owes",
        "17000,1,,$66.47,,$0.00,$66.47",
        "17003,7,,$44.45,,$0.00,$44.45",
    ]
    png = window.export_chart_png(tmp_path / "chart.png")
    assert png is not None and not QImage(str(png)).isNull()


def test_the_window_remembers_its_page_and_the_last_inputs(make_window: WindowFactory) -> None:
    first = make_window(restore=True)
    first.show_page("payers")
    first.estimate_inputs.update(lesions=12, locality_key="1320201")
    first.close()
    assert Settings().get(opts.WINDOW_PAGE) == "payers"
    second = make_window(restore=True)
    assert second.current_key() == "payers"
    assert second.estimate_inputs.inputs.lesions == 12
    assert second.estimate_inputs.inputs.locality_key == "1320201"


def test_the_settings_file_follows_estimator_config_dir(config_dir: Path) -> None:
    settings = Settings()
    settings.set(opts.WINDOW_PAGE, "compare")
    settings.sync()
    assert Path(settings.file_name) == config_dir / "estimator.ini"
    assert "compare" in (config_dir / "estimator.ini").read_text()


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
def test_the_screenshot_flag_renders_a_page_and_exits(tmp_path: Path, qapp: object) -> None:
    out = tmp_path / "compare.png"
    assert app_main.main(["--screenshot", str(out), "--page", "compare", "--lesions", "8",
                          "--db", str(tmp_path / "shot.sqlite"), "--create"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == app_main.SCREENSHOT_SIZE
    assert out.stat().st_size > 15_000


def test_the_screenshot_flag_reports_an_unknown_page_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "estimator.app.main", "--screenshot", str(tmp_path / "x.png"),
                           "--page", "nowhere", "--db", str(tmp_path / "x.sqlite"), "--create"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("estimator-gui: error:")]
    assert len(errors) == 1 and "no page 'nowhere'" in errors[0]


def test_keyboard_focus_starts_on_the_lesion_count(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    page = window.page("estimate")
    form = page.form  # type: ignore[attr-defined]
    assert form.lesions.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert form.lesions.nextInFocusChain() is not None


def test_pages_are_built_on_first_show_and_then_behave_like_eagerly_built_ones(qtbot: QtBot,
                                                                               make_window: WindowFactory) -> None:
    """Start-up builds only the page shown; every other tab is listed and builds (once) when it is opened."""
    window = make_window(pages=None)
    specs, _errors = discover_pages()
    assert list(window.pages) == [s.key for s in specs]  # the tab list is complete
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [s.title for s in specs]
    assert list(window.pages.built) == [window.current_key()]
    for number, spec in enumerate(specs):
        window.page_actions[number].trigger()  # Go menu / Ctrl+N, as a user opens it
        page = window.pages.built[spec.key]
        assert window.current_key() == spec.key and window.tabs.currentWidget().isAncestorOf(page)
        assert type(page).__name__ != "QLabel", window.page_errors  # built for real, not an error note
        assert not page.grab().toImage().isNull()  # it renders (what --screenshot does)
        assert window.pages[spec.key] is page  # built once
    assert set(window.pages.built) == {s.key for s in specs}


def test_a_page_that_fails_to_build_keeps_its_tab_and_says_why(qtbot: QtBot, make_window: WindowFactory,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from estimator.app.pages import payers_page  # noqa: PLC0415 - the page whose builder is broken here

    def broken(context: object) -> None:
        raise RuntimeError("no payers today")

    monkeypatch.setattr(payers_page, "create_page", broken)
    window = make_window()
    assert "payers" in window.pages
    window.show_page("estimate")
    page = window.show_page("payers")
    assert "no payers today" in page.text()  # type: ignore[attr-defined]
    assert any("no payers today" in e for e in window.page_errors.values())


def test_the_page_index_says_what_every_page_module_declares() -> None:
    """``pages/page_index.py`` is generated: after adding a page run ``write_page_index()`` (see its docstring)."""
    assert page_declarations() == PAGES


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_an_exported_table_is_owner_only_under_a_permissive_umask(tmp_path: Path,
                                                                 make_window: WindowFactory) -> None:
    window = make_window()
    window.show_page("estimate")
    previous = os.umask(0o022)
    try:
        path = window.export_table_csv(tmp_path / "lines.csv")
    finally:
        os.umask(previous)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600


class _Paints(QObject):
    """The rectangles painted on one widget (an event filter)."""

    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.region().boundingRect())  # type: ignore[attr-defined]
        return False


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
def test_a_new_total_repaints_what_changed_not_the_whole_window_and_the_tabs_still_follow_their_titles(
        make_window: WindowFactory, qtbot: QtBot, qapp: QApplication) -> None:
    window = make_window(pages=["estimate", "compare"])
    window.resize(1024, 768)
    window.show()
    qtbot.waitExposed(window)
    qapp.processEvents()
    spy = _Paints()
    window.tabs.installEventFilter(spy)
    window.estimate_inputs.update(lesions=9)  # new totals: their labels ask for a new layout up the chain
    qapp.processEvents()
    whole = window.tabs.rect()
    assert spy.rects, "the change was painted"
    assert all(r.width() * r.height() < whole.width() * whole.height() / 2 for r in spy.rects), spy.rects

    window.tabs.setTabText(1, "Compare payers, localities and years")  # the tab bar's own layout changed
    qapp.processEvents()
    bar = window.tabs.tabBar()
    assert bar.width() >= bar.sizeHint().width()

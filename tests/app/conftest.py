"""Fixtures for the desktop app's tests: real tables, a real temporary store, the real window.

Fixtures:
    config_dir (autouse): ``ESTIMATOR_CONFIG_DIR`` points at a temporary folder; no test touches real settings.
    dialogs (autouse): a scripted dialog service (answers and chosen files queued by the test).
    catalog: the shipped tables (loaded once per session).
    store: a fresh ``SqliteStore`` in the test's temporary folder.
    demo_context: an ``AppContext`` on ``catalog`` and ``store`` with the demo payers loaded; its background
        tasks are waited for before the store closes.
    make_window: a factory building ``MainWindow`` on a real ``AppContext``; registered with qtbot and, on
        teardown, failing the test if a top-level widget leaked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QEvent
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QWidget

from estimator.app.context import AppContext
from estimator.app.dialogs import service as dialog_service
from estimator.app.main_window import MainWindow
from estimator.app.settings import Settings
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog, default_catalog

#: The pages this part of the app owns; most tests build only these (other teams' pages have their own tests).
OWN_PAGES = ("estimate", "compare", "payers", "tables", "practice")


class ScriptedDialogs(dialog_service.DialogService):
    """A dialog service that answers from queues and records what it was asked (never blocks)."""

    def __init__(self) -> None:
        self.answers: list[bool] = []
        self.paths: list[Path | None] = []
        self.asked: list[str] = []
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.printed: list[str] = []

    def open_file(self, parent: QWidget | None, title: str, filters: str = "") -> Path | None:
        self.asked.append(title)
        return self.paths.pop(0) if self.paths else None

    def save_file(self, parent: QWidget | None, title: str, suggested: str = "", filters: str = "") -> Path | None:
        self.asked.append(title)
        return self.paths.pop(0) if self.paths else None

    def open_directory(self, parent: QWidget | None, title: str) -> Path | None:
        self.asked.append(title)
        return self.paths.pop(0) if self.paths else None

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        self.asked.append(text)
        return self.answers.pop(0) if self.answers else True

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.errors.append(text)

    def information(self, parent: QWidget | None, title: str, text: str) -> None:
        self.infos.append(text)

    def print_document(self, parent: QWidget | None, document: QTextDocument,
                       before_printing: Callable[[], object] | None = None) -> bool:
        if before_printing is not None:
            before_printing()
        self.printed.append(document.toPlainText())
        return True


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("ESTIMATOR_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def dialogs() -> Iterator[ScriptedDialogs]:
    scripted = ScriptedDialogs()
    previous = dialog_service.install(scripted)
    yield scripted
    dialog_service.install(previous)


@pytest.fixture(scope="session")
def catalog() -> TableCatalog:
    return default_catalog()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "practice.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def demo_context(qtbot: object, catalog: TableCatalog, store: SqliteStore) -> Iterator[AppContext]:
    load_demo(store, catalog.for_year(2026))
    context = AppContext(catalog, store)
    yield context
    context.tasks.wait(60_000)


WindowFactory = Callable[..., MainWindow]


def _address(widget: QWidget) -> int:
    """The C++ object's address (Python wrappers come and go; ``id()`` of one says nothing)."""
    return int(shiboken6.getCppPointer(widget)[0])


@pytest.fixture
def make_window(qapp: QApplication, qtbot: object, catalog: TableCatalog, store: SqliteStore
                ) -> Iterator[WindowFactory]:
    """Build windows on the real core and store; fail the test if a top-level widget outlives it."""
    before = {_address(w) for w in QApplication.topLevelWidgets()}
    contexts: list[AppContext] = []

    def factory(*, pages: Collection[str] | None = OWN_PAGES, use_store: SqliteStore | None = None,
                restore: bool = False) -> MainWindow:
        context = AppContext(catalog, use_store or store)
        contexts.append(context)
        window = MainWindow(context, Settings(), restore=restore, page_keys=pages)
        qtbot.addWidget(window)  # type: ignore[attr-defined]
        return window

    yield factory
    # pytest-qt closes and deleteLater()s registered widgets before fixture teardown; finish the deletion.
    for context in contexts:
        context.tasks.wait(10_000)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets()
              if _address(w) not in before and w.objectName() != "qtooltip_label"]
    assert not leaked, f"top-level widgets leaked: {[type(w).__name__ for w in leaked]}"

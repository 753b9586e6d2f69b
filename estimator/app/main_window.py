"""The main window: the discovered pages as tabs, menus and shortcuts, and remembered layout.

Pages are found, not listed: every ``estimator/app/pages/*_page.py`` module defining ``KEY``, ``TITLE``,
``ORDER`` and ``create_page(context)`` becomes a tab, in ``ORDER``.  A page that fails to import is
logged and left out; the rest of the app still starts.

A page is built when it is first shown (or first asked for through ``pages[key]``), not at start-up: the
window appears after building only the page it opens on.  Until then its tab holds an empty container;
a page that fails to build is logged and its tab says so.

The window can be shown before the tables and the practice database are open (``MainWindow(None, ...)``,
then ``attach(context)``): the app's start-up paints the frame (tabs, menus, "Loading…") first, then loads
numpy, the tables and the database and builds the page it opens on.  This module imports nothing heavy at
the top for that reason: what needs the core is imported where it is used, and so is PySide6's ``Qt``
namespace (its first use builds every Qt enum, ~15 ms).

``attach`` builds the shared ``EstimateInputs`` and attaches it to the context as
``context.estimate_inputs`` before any page is created (see ``estimator.app.state.shared_inputs``).

Optional page protocol (duck-typed, all optional):
    current_table_view() -> QTableView      File > Export table as CSV uses its model
    export_csv(path) -> None                 ...or the page writes its own CSV
    current_chart() -> QWidget               File > Export chart as PNG (``export_png(path)`` or a grab)
    printable_document() -> QTextDocument    File > Print
    blocked_reason() -> str | None           while not None, Print and the exports refuse with that message
    undo_stack: QUndoStack                   Edit > Undo / Redo while the page is shown
    save_state(settings) / restore_state(settings)
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import logging
import pkgutil
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSize, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QPalette, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from estimator.app import pages as pages_package
from estimator.app import settings as opts
from estimator.app.dialogs.service import dialogs
from estimator.app.pages.page_index import PAGES
from estimator.app.settings import Settings
from estimator.app.views.tables_banner import TablesBanner
from estimator.core.errors import EstimatorError

if TYPE_CHECKING:
    from estimator.app.context import AppContext
    from estimator.app.state import EstimateInputs

log = logging.getLogger(__name__)

APP_TITLE = "AK Lesion Destruction Estimator (CPT 17000–17004)"
MAX_PAGE_SHORTCUTS = 9


@dataclass(frozen=True, slots=True)
class PageSpec:
    """A discovered page module."""

    key: str
    title: str
    order: int
    module: str
    create: Callable[[AppContext], QWidget]


def discover_pages(package: Any = pages_package) -> tuple[list[PageSpec], dict[str, str]]:
    """Every ``*_page`` module of ``package`` that imports and declares the contract, in ``ORDER``.

    Modules listed in ``page_index.PAGES`` (for the app's own package) are not imported here: their
    ``create`` imports the module when the page is first built.

    Returns:
        The page specs, and for each module left out, why.
    """
    specs: list[PageSpec] = []
    errors: dict[str, str] = {}
    index = PAGES if package is pages_package else {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.endswith("_page"):
            continue
        name = f"{package.__name__}.{info.name}"
        if info.name in index:
            key, title, order = index[info.name]
            specs.append(PageSpec(key, title, order, name, functools.partial(_create_page, name)))
            continue
        try:
            module = importlib.import_module(name)
            specs.append(PageSpec(str(module.KEY), str(module.TITLE), int(module.ORDER), name, module.create_page))
        except Exception as exc:  # a broken page must not stop the app; it is logged and skipped
            log.exception("page module %s left out", name)
            errors[name] = f"{type(exc).__name__}: {exc}"
    specs.sort(key=lambda s: (s.order, s.key))
    return specs, errors


def _create_page(module: str, context: AppContext) -> QWidget:
    """Import a page module and build its page (a lazily imported page's ``create``)."""
    page: QWidget = importlib.import_module(module).create_page(context)
    return page


def page_declarations(package: Any = pages_package) -> dict[str, tuple[str, str, int]]:
    """module -> (KEY, TITLE, ORDER) as every ``*_page`` module declares it (what ``PAGES`` must say)."""
    found = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.endswith("_page"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found[info.name] = (str(module.KEY), str(module.TITLE), int(module.ORDER))
    return found


def write_page_index() -> None:
    """Rewrite ``pages/page_index.py`` from the page modules (after adding a page or changing its title)."""
    path = Path(pages_package.__file__ or "").with_name("page_index.py")
    text = path.read_text(encoding="utf-8")
    head = text[:text.index("    \"", text.index("PAGES"))]
    rows = "".join(f"    {json.dumps(name)}: ({json.dumps(key)}, {json.dumps(title)}, {order}),\n"
                   for name, (key, title, order) in page_declarations().items())
    path.write_text(head + rows + "}\n", encoding="utf-8")


class LazyPages(Mapping[str, QWidget]):
    """The window's pages by key, in tab order; a page is built the first time it is looked up."""

    def __init__(self, keys: list[str], build: Callable[[str], QWidget]) -> None:
        self._keys = keys
        self._build = build
        self.built: dict[str, QWidget] = {}

    def __getitem__(self, key: str) -> QWidget:
        if key not in self.built:
            if key not in self._keys:
                raise KeyError(key)
            self.built[key] = self._build(key)
        return self.built[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys


class PageTabs(QTabWidget):
    """The pages' tabs, laid out again only when something of the tabs' own layout changed.

    ``QTabWidget`` answers every layout request with a repaint of its whole area, and a request reaches it
    whenever a widget on the page changes its size hint (a total's new text): every keystroke on the
    Estimate page repainted the whole window (~940,000 pixels, ~4 ms of a ~10 ms update).  A request is
    passed on only when the tab bar, the tab count or the page's minimum size changed; the page's own
    layouts still handle theirs, so what changed is laid out and repainted, and nothing else.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._laid_out_for: tuple[QSize, int, QSize] | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            current = self.currentWidget()
            key = (self.tabBar().sizeHint(), self.count(), current.minimumSizeHint() if current else QSize())
            if key == self._laid_out_for:
                return True
            self._laid_out_for = key
        return super().event(event)


PREFERRED_SIZE = (1280, 800)
#: The status bar while the window waits for its context.
LOADING_MESSAGE = "Loading the fee-schedule tables and the practice database…"


def first_size(window: QWidget) -> tuple[int, int]:
    """The first window size: the preferred one, shrunk to fit the screen's available area with its frame."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return PREFERRED_SIZE
    area = screen.availableGeometry()
    # Leave room for the title bar and borders the window manager adds (not known before the first show).
    return min(PREFERRED_SIZE[0], area.width() - 16), min(PREFERRED_SIZE[1], area.height() - 48)


class MainWindow(QMainWindow):
    """The application window.

    Signals:
        page_changed(str): the key of the page now shown.
    """

    page_changed = Signal(str)

    def __init__(self, context: AppContext | None, settings: Settings, *, restore: bool = True,
                 page_keys: Collection[str] | None = None, parent: QWidget | None = None) -> None:
        """Build the window; ``page_keys`` limits the discovered pages to those keys (tests, benchmarks).

        With ``context`` None the window is the frame only (tabs, menus, a "Loading…" note) until ``attach``.
        """
        super().__init__(parent)
        self._context: AppContext | None = None
        self.settings = settings
        self._remember = restore
        self.setWindowTitle(APP_TITLE)
        self.tabs = PageTabs(self)
        self.tabs.setDocumentMode(True)
        central = QWidget(self)
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(0, 0, 0, 0)
        self._central_layout.setSpacing(0)
        self._central_layout.addWidget(self.tabs)
        self.setCentralWidget(central)
        self.banners: dict[str, QLabel] = {}
        self.undo_group = QUndoGroup(self)
        self.page_errors: dict[str, str] = {}
        specs, self.page_errors = discover_pages()
        self._specs: dict[str, PageSpec] = {}
        self._containers: dict[str, QWidget] = {}
        self._layouts: dict[str, QVBoxLayout] = {}
        for spec in specs:
            if page_keys is not None and spec.key not in page_keys:
                continue
            if spec.key in self._specs:
                self.page_errors[spec.module] = f"duplicate page key {spec.key!r}"
                log.error("page module %s left out: duplicate key %r", spec.module, spec.key)
                continue
            self._specs[spec.key] = spec
            container = QWidget(self.tabs)
            container.setObjectName(f"tab_{spec.key}")
            layout = QVBoxLayout(container)
            layout.setContentsMargins(0, 0, 0, 0)
            self._containers[spec.key] = container
            self._layouts[spec.key] = layout
            self.tabs.addTab(container, spec.title)
        self.pages: LazyPages = LazyPages(list(self._specs), self._build_page)
        # The menus' titles now (the frame's menu bar); their actions with the context (``attach``), since
        # the first keyboard shortcut set builds PySide6's whole Qt namespace (see the module docstring).
        self._menus = {title: self.menuBar().addMenu(title) for title in ("&File", "&Edit", "&Go", "&Help")}
        self.release_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.release_label)
        self.tabs.currentChanged.connect(self._current_changed)
        self.resize(*first_size(self))
        if restore:
            self._restore()
        if context is None:  # until attach: a note, and no menus (nothing to export, print or switch to)
            self.statusBar().showMessage(LOADING_MESSAGE)
            self.menuBar().setEnabled(False)
        else:
            self.attach(context)

    @property
    def context(self) -> AppContext:
        """The app's context (tables, store, tasks).

        Raises:
            RuntimeError: the window is still loading (``attach`` not called yet).
        """
        if self._context is None:
            raise RuntimeError("the window is still loading: no context attached yet")
        return self._context

    @property
    def attached(self) -> bool:
        """True once the tables and the store are open and pages can be built."""
        return self._context is not None

    def attach(self, context: AppContext) -> None:
        """Give the window its tables and store: the shared inputs, the status bar, then the page shown."""
        from estimator.app.state import EstimateInputs, Inputs  # noqa: PLC0415 - needs numpy and the core

        self._context = context
        self.tables_banner = TablesBanner(self)
        self._central_layout.insertWidget(0, self.tables_banner)
        inputs = None
        if self._remember and self.settings.get(opts.RESTORE_INPUTS):
            inputs = Inputs.from_json(self.settings.get(opts.ESTIMATE_INPUTS), dt.date.today())
        # Parented to the context: pages built on this context share it, and it outlives no one.
        self.estimate_inputs: EstimateInputs = EstimateInputs(context, inputs, parent=context)
        context.estimate_inputs = self.estimate_inputs
        self.statusBar().clearMessage()
        self._build_menus()
        self.menuBar().setEnabled(True)
        self._show_release()
        context.status_posted.connect(lambda text: self.statusBar().showMessage(text, 8000))
        context.store_changed.connect(self._show_release)
        context.tables_changed.connect(self._show_release)
        self.estimate_inputs.inputs_changed.connect(lambda _inputs: self._show_release())
        if self.page_errors:
            self.statusBar().showMessage("Some pages could not be loaded: " + ", ".join(self.page_errors), 15000)
        self._current_changed(self.tabs.currentIndex())

    # --- banners --------------------------------------------------------------------------------------------

    def show_banner(self, key: str, text: str) -> QLabel:
        """A one-line notice above the pages (e.g. the database is on a network drive); one per ``key``."""
        from PySide6.QtCore import Qt  # noqa: PLC0415 - see the module docstring

        banner = self.banners.get(key)
        if banner is None:
            banner = QLabel(self)
            banner.setObjectName(f"banner_{key}")
            banner.setWordWrap(True)
            banner.setTextFormat(Qt.TextFormat.PlainText)
            banner.setFrameShape(QFrame.Shape.StyledPanel)
            banner.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
            banner.setForegroundRole(QPalette.ColorRole.ToolTipText)
            banner.setAutoFillBackground(True)
            banner.setContentsMargins(8, 4, 8, 4)
            self._central_layout.insertWidget(self._central_layout.count() - 1, banner)  # above the tabs
            self.banners[key] = banner
        banner.setText(text)
        banner.setAccessibleName(text)
        return banner

    # --- pages ----------------------------------------------------------------------------------------------

    def _build_page(self, key: str) -> QWidget:
        """Build page ``key`` into its tab (once); a page that cannot be built says so in its tab."""
        spec, container = self._specs[key], self._containers[key]
        context = self.context  # raises while loading: the page is built later, not marked broken
        try:
            page = spec.create(context)
        except Exception as exc:  # a page that cannot be built is reported in its tab, not fatal
            log.exception("page %s could not be built", key)
            self.page_errors[spec.module] = f"{type(exc).__name__}: {exc}"
            page = QLabel(f"This page could not be loaded ({type(exc).__name__}: {exc}).", container)
            page.setAccessibleName(f"{spec.title} page could not be loaded")
        page.setObjectName(f"page_{key}")
        self._layouts[key].addWidget(page)
        stack = getattr(page, "undo_stack", None)
        if isinstance(stack, QUndoStack):
            self.undo_group.addStack(stack)
        if self._remember and hasattr(page, "restore_state"):
            try:
                page.restore_state(self.settings)
            except Exception:  # a bad remembered state must not stop the app
                log.exception("page %s: could not restore its layout", key)
        return page

    def _current_page(self) -> QWidget | None:
        key = self.current_key()
        return self.pages[key] if key else None

    def page(self, key: str) -> QWidget:
        """The page widget for ``key``.

        Raises:
            KeyError: no such page.
        """
        return self.pages[key]

    def current_key(self) -> str:
        current = self.tabs.currentWidget()
        return next((k for k, w in self._containers.items() if w is current), "")

    def show_page(self, key: str) -> QWidget:
        """Switch to a page.

        Raises:
            EstimatorError: no page with that key.
        """
        if key not in self.pages:
            raise EstimatorError(f"no page {key!r}; pages: {', '.join(self.pages)}")
        # Still loading: the tab now, its page when the context comes (``attach`` builds the page shown).
        page = self.pages[key] if self.attached else self._containers[key]
        self.tabs.setCurrentWidget(self._containers[key])
        return page

    def _current_changed(self, index: int) -> None:
        if not self.attached:  # still loading: attach builds the page shown then
            return
        from estimator.app import a11y  # noqa: PLC0415 - not needed before the first page

        page = self._current_page() if index >= 0 else None
        if page is not None:
            a11y.prepare(page)  # cheap; also covers a page built late
        stack = getattr(page, "undo_stack", None)
        # Qt accepts no stack (nullptr) here; the stubs do not say so.
        self.undo_group.setActiveStack(stack if isinstance(stack, QUndoStack) else None)  # type: ignore[arg-type]
        self.export_table_action.setEnabled(hasattr(page, "current_table_view") or hasattr(page, "export_csv"))
        self.export_chart_action.setEnabled(hasattr(page, "current_chart"))
        self.print_action.setEnabled(hasattr(page, "printable_document"))
        self.page_changed.emit(self.current_key())

    def _show_release(self) -> None:
        """The status-bar release and the tables banner, for the estimate's date of service."""
        from estimator.tables.status import reminder  # noqa: PLC0415 - loads the tables (see the module docstring)

        in_force = None
        try:
            tables = self.estimate_inputs.tables()
            in_force = tables.tables_in_force
            provisional = " provisional" if in_force.provisional else ""
            self.release_label.setText(f"Tables {tables.release} ({tables.year}){provisional}")
        except EstimatorError:
            self.release_label.setText("")
        self.tables_banner.show_notice(in_force, reminder(self.context.catalog, self.context.today()))

    # --- menus -----------------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self._menus["&File"]
        self.export_table_action = self._action(file_menu, "Export &table as CSV…", "Ctrl+E",
                                                lambda: self.export_table_csv())
        self.export_chart_action = self._action(file_menu, "Export &chart as PNG…", "Ctrl+Shift+E",
                                                lambda: self.export_chart_png())
        file_menu.addSeparator()
        self.print_action = self._action(file_menu, "&Print…", "Ctrl+P", self.print_page)
        file_menu.addSeparator()
        self.backup_action = self._action(file_menu, "&Back up database…", None, lambda: self.back_up_database())
        file_menu.addSeparator()
        # Explicit keys: StandardKey.Quit is empty on some platforms (and offscreen).
        self.quit_action = self._action(file_menu, "&Quit", "Ctrl+Q", self.close)

        edit_menu = self._menus["&Edit"]
        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.undo_action, self.redo_action = undo, redo

        go_menu = self._menus["&Go"]
        self.page_actions: list[QAction] = []
        for number, key in enumerate(self.pages, start=1):
            title = self.tabs.tabText(self.tabs.indexOf(self._containers[key])).replace("&", "")
            shortcut = f"Ctrl+{number}" if number <= MAX_PAGE_SHORTCUTS else None
            action = self._action(go_menu, title, shortcut, lambda _=False, k=key: self.show_page(k))
            self.page_actions.append(action)

        help_menu = self._menus["&Help"]
        self.about_action = self._action(help_menu, "&About", None, self._about)
        self._action(help_menu, "About &Qt", None, QApplication.aboutQt)

    def _action(self, menu: Any, text: str, shortcut: Any, slot: Callable[..., Any]) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def about_text(self) -> str:
        """Version, tables, licences and the third-party components, as Help > About shows them."""
        from estimator import about  # noqa: PLC0415 - only Help > About needs it

        return about.about_text(self.context.catalog.releases())

    def _about(self) -> None:
        dialogs().information(self, "About 17000 Estimator", self.about_text())

    # --- file actions ------------------------------------------------------------------------------------------

    def back_up_database(self, path: Path | None = None) -> Path | None:
        """File > Back up database…: a consistent copy of the practice database (SQLite's backup API)."""
        if path is None:
            suggested = f"practice-backup-{dt.date.today().isoformat()}.sqlite"
            path = dialogs().save_file(self, "Back up the practice database", suggested,
                                       "Estimator databases (*.sqlite);;All files (*)")
            if path is None:
                return None
        from estimator.store import backup  # noqa: PLC0415 - only this action needs it

        try:
            written = backup.backup_database(self.context.store, path)
        except EstimatorError as exc:
            dialogs().error(self, "Back up database", str(exc))
            return None
        self.statusBar().showMessage(f"Backed up the practice database to {written}", 8000)
        return written

    def _refused(self, page: Any, what: str) -> bool:
        """True (and says why) when the page's figures may not be printed or exported now."""
        reason = page.blocked_reason() if hasattr(page, "blocked_reason") else None
        if reason:
            dialogs().error(self, f"{what} refused", reason)
            self.statusBar().showMessage(f"{what} refused: {reason}", 8000)
        return bool(reason)

    def export_table_csv(self, path: Path | None = None) -> Path | None:
        """Write the current page's main table as CSV (asks where when ``path`` is None)."""
        page: Any = self._current_page()
        if not (hasattr(page, "export_csv") or hasattr(page, "current_table_view")):
            self.statusBar().showMessage("This page has no table to export", 5000)
            return None
        if self._refused(page, "Export"):
            return None
        if path is None:
            path = dialogs().save_file(self, "Export table as CSV", f"{self.current_key()}.csv")
            if path is None:
                return None
        try:
            if hasattr(page, "export_csv"):
                page.export_csv(path)
            else:
                from estimator.app.files import export_model_csv  # noqa: PLC0415 - only this action needs it

                export_model_csv(page.current_table_view().model(), path)
        except EstimatorError as exc:
            dialogs().error(self, "Export failed", str(exc))
            return None
        self.statusBar().showMessage(f"Wrote {path}", 8000)
        return path

    def export_chart_png(self, path: Path | None = None) -> Path | None:
        """Save the current page's chart as PNG (asks where when ``path`` is None)."""
        page: Any = self._current_page()
        chart = page.current_chart() if hasattr(page, "current_chart") else None
        if chart is None:
            self.statusBar().showMessage("This page has no chart to export", 5000)
            return None
        if self._refused(page, "Export"):
            return None
        if path is None:
            path = dialogs().save_file(self, "Export chart as PNG", f"{self.current_key()}-chart.png",
                                       "PNG images (*.png)")
            if path is None:
                return None
        saved = chart.export_png(path) if hasattr(chart, "export_png") else chart.grab().save(str(path), "PNG")
        if not saved:
            dialogs().error(self, "Export failed", f"{path}: the image could not be written")
            return None
        self.statusBar().showMessage(f"Wrote {path}", 8000)
        return path

    def print_page(self) -> bool:
        page: Any = self._current_page()
        if not hasattr(page, "printable_document"):
            self.statusBar().showMessage("Nothing to print on this page", 5000)
            return False
        if self._refused(page, "Printing"):
            return False
        return dialogs().print_document(self, page.printable_document())

    # --- remembered layout -------------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.get(opts.WINDOW_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.get(opts.WINDOW_STATE)
        if not state.isEmpty():
            self.restoreState(state)
        key = self.settings.get(opts.WINDOW_PAGE)
        if key in self.pages:
            self.tabs.setCurrentWidget(self._containers[key])
        # Pages restore their own layout when they are built (see _build_page).

    def save_layout(self) -> None:
        """Remember geometry, the page shown, each page's layout and the last inputs (nothing while loading)."""
        if not self.attached:
            return
        s = self.settings
        s.set(opts.WINDOW_GEOMETRY, self.saveGeometry())
        s.set(opts.WINDOW_STATE, self.saveState())
        s.set(opts.WINDOW_PAGE, self.current_key())
        s.set(opts.ESTIMATE_INPUTS, self.estimate_inputs.inputs.to_json())
        for key, page in self.pages.built.items():  # a page never built has nothing new to save
            if hasattr(page, "save_state"):
                try:
                    page.save_state(s)
                except Exception:
                    log.exception("page %s: could not save its layout", key)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember:
            self.save_layout()
        if self.attached:
            self.context.tasks.wait(10_000)
        super().closeEvent(event)

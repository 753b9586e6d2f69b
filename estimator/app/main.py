"""``estimator-gui``: the desktop app's entry point.

Start-up order (as qutebrowser narrates it): parse the arguments; build the ``QApplication``, the settings
and the theme; show the ``MainWindow``'s frame (tabs, menus, "Loading…"); once it has painted, load the rest
(numpy, pyqtgraph, the core), open the tables catalog and the practice database into an ``AppContext``,
attach it to the window (which builds the page it opens on) and install the exception hook.  The frame
needs only Qt, so a person sees the window in about the time a bare Qt window takes; a failure while
loading is a dialog, and the window closes (exit status 1).  This module imports nothing heavy at the top
for that reason.

``--db PATH`` names the practice database; a file that does not exist is refused (a dialog and one line
on stderr naming the path) unless ``--create`` is given, as on the command line.
``--screenshot FILE [--page KEY] [--lesions N]`` renders the chosen page with those inputs offscreen
(set ``QT_QPA_PLATFORM=offscreen`` without a display), writes a PNG and exits (0; 1 with one line on
stderr on error).  ``--quit-after-show`` exits once the first page
has painted and, for the start-up benchmark, prints ``startup: first_window=T ready=T first_window_rss=B``
on stderr (``time.monotonic()`` seconds; the peak resident bytes when the frame had painted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from estimator.app import theme
from estimator.app.dialogs.service import dialogs
from estimator.app.main_window import MainWindow
from estimator.app.settings import CHART_ANTIALIAS, DATABASE, THEME, Settings
from estimator.core.errors import EstimatorError
from estimator.files import owner_only

if TYPE_CHECKING:
    from estimator.app.context import AppContext

log = logging.getLogger("estimator.app")
PROG = "estimator-gui"
SCREENSHOT_SIZE = (1280, 800)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Reimbursement estimator for CPT 17000-17004 (desktop)")
    parser.add_argument("--db", metavar="PATH", help="practice database: a file or postgresql://user@host/dbname "
                        "(default: $ESTIMATOR_DB, then Practice settings > Database, then the user folder); a file "
                        "that does not exist yet needs --create")
    parser.add_argument("--create", action="store_true",
                        help="create the --db file when it does not exist (a mistyped path is refused otherwise)")
    parser.add_argument("--screenshot", metavar="FILE", help="render a page offscreen to a PNG file and exit")
    parser.add_argument("--page", default="estimate", help="page for --screenshot (estimate, compare, payers, "
                                                           "tables, ...); default estimate")
    parser.add_argument("--lesions", type=_lesion_count, metavar="N", help="lesion count to show (from 1)")
    parser.add_argument("--date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="date of service to show (default: today)")
    parser.add_argument("--size", metavar="WxH", default="1280x800", type=_size,
                        help="window size for --screenshot, e.g. 1024x768 (default 1280x800)")
    parser.add_argument("--theme", choices=theme.CHOICES, help="colour theme for this run (default: the setting)")
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    parser.epilog = "Other options starting with '-' (e.g. -style Fusion, -platformtheme gtk3) are passed to Qt."
    return parser


def _where_logged() -> str:
    from estimator import logs  # noqa: PLC0415 - see the module docstring

    path = logs.log_file()
    return f"Details were written to the log file:\n{path}" if path.exists() else "No log file could be written."


def _lesion_count(text: str) -> int:
    """``--lesions``: a whole number in the estimate page's range (checked before any window shows)."""
    from estimator.app.state import MAX_LESIONS  # noqa: PLC0415 - needs the core (numpy); only with --lesions

    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_LESIONS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_LESIONS}, got {text!r}")
    return int(text)


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) >= 320 and int(height) >= 240):
        raise argparse.ArgumentTypeError(f"use WIDTHxHEIGHT of at least 320x240, e.g. 1024x768 (got {text!r})")
    return int(width), int(height)


def split_arguments(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the rest for Qt (``-style``, ``-platformtheme``, ``-reverse``...).

    Raises:
        SystemExit: a stray word that is neither ours nor an option (argparse's one-line error).
    """
    parser = build_parser()
    args, rest = parser.parse_known_args(list(argv))
    stray = [a for i, a in enumerate(rest) if not a.startswith("-") and (i == 0 or not rest[i - 1].startswith("-"))]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    return args, rest


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Log an unexpected error and tell the user, instead of dying silently inside a Qt slot."""
    from estimator import logs  # noqa: PLC0415 - see the module docstring

    logs.log_unexpected("the app", kind, value, tb)
    dialogs().error(None, "Unexpected error", f"{kind.__name__}: {value}\n\n{_where_logged()}")


def _startup_failed(message: str) -> int:
    """A start-up error: a dialog (a windowed app has no console) and one line on stderr; exit status 1."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    dialogs().error(None, "17000 Estimator cannot start", f"{message}\n\n{_where_logged()}")
    return 1


def application_icon() -> QIcon:
    return QIcon(str(resources.files("estimator").joinpath("resources", "icon.png")))


def screenshot(app: QApplication, window: MainWindow, page: str, lesions: int | None, path: Path,
               date_of_service: dt.date | None = None, size: tuple[int, int] = SCREENSHOT_SIZE) -> None:
    """Render ``page`` with the inputs, after every pending update has run, and save it as PNG.

    Raises:
        EstimatorError / OSError: unknown page, bad lesion count, or the file cannot be written.
    """
    window.resize(*size)
    window.show_page(page)
    if lesions is not None:
        window.estimate_inputs.set_lesions(lesions)
    if date_of_service is not None:
        window.estimate_inputs.update(date_of_service=date_of_service)
    window.show()
    for _ in range(4):  # pages defer some work to the event loop (compare page, chart ranges)
        app.processEvents()
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"{path}: the PNG could not be written")


def main(argv: Sequence[str] | None = None) -> int:
    # Everything the app writes may hold patient data: owner-only for the whole session (umask 077, as
    # the CLI does; see estimator.files).  (A killed session's half-written documents go in _open_context.)
    with owner_only():
        return _main(argv)


#: Qt's raster engine splits fills over a thread pool; for a form's small widgets on a 2-core PC the hand-off
#: costs more than the fill (a 689-pixel Fusion scroll bar: 0.97 ms with the pool, 0.09 ms without; an
#: Estimate-page input 3-4 ms of its ~9 ms paint).  Set before the QApplication exists; a value the user set
#: is kept.
QT_ENVIRONMENT: Final = {"QT_NO_GUI_THREADPOOL": "1"}


def prepare_qt_environment() -> None:
    """The environment Qt reads when the application starts (see ``QT_ENVIRONMENT``)."""
    for name, value in QT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _main(argv: Sequence[str] | None) -> int:
    args, qt_args = split_arguments(sys.argv[1:] if argv is None else argv)
    prepare_qt_environment()
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationName("estimator")
    app.setOrganizationName("estimator")
    app.setApplicationDisplayName("17000 Estimator")
    app.setWindowIcon(application_icon())
    settings = Settings()
    theme.apply(app, args.theme or str(settings.get(THEME)))
    if args.screenshot is not None:
        return _screenshot(app, args, settings)
    window = MainWindow(None, settings)  # the frame: tabs, menus and "Loading…", Qt only
    start = Startup(app, window, args, settings)
    window.show()
    code = int(app.exec())
    if start.context is not None:
        start.context.store.close()
    return code


def _open_context(args: argparse.Namespace, settings: Settings) -> tuple[AppContext, str | None]:
    """The tables catalog and the practice database (imports the core: numpy, pyqtgraph's options), and a
    warning when the database file is on a network drive.

    Raises:
        EstimatorError / OSError: damaged or missing tables, a database that cannot be opened or created.
    """
    # Imported here, not at the top: numpy, pyqtgraph and the tables load after the frame has painted.
    import pyqtgraph as pg  # noqa: PLC0415

    from estimator import logs, paths  # noqa: PLC0415
    from estimator.app.context import AppContext  # noqa: PLC0415
    from estimator.files import clean_staging  # noqa: PLC0415
    from estimator.store.open import (  # noqa: PLC0415
        check_explicit_database,
        default_target,
        is_server,
        open_store,
        sqlite_path,
    )
    from estimator.tables.shipped import default_catalog  # noqa: PLC0415

    logs.setup_logging(console_prefix=PROG)
    clean_staging()  # a killed session's half-written documents
    catalog = default_catalog()
    catalog.check_complete()
    catalog.for_year(catalog.years()[-1])  # damaged tables: a dialog now, never a window missing tabs
    pg.setConfigOptions(antialias=bool(settings.get(CHART_ANTIALIAS)))
    target = default_target(args.db, str(settings.get(DATABASE)))
    created = check_explicit_database(args.db, args.create)  # the CLI's rule: never create one silently
    context = AppContext(catalog, open_store(target))
    if created:
        log.info("created a new practice database at %s", sqlite_path(target).resolve())
        print(f"{PROG}: created a new practice database at {sqlite_path(target).resolve()}", file=sys.stderr)
    warning = None if is_server(target) else paths.network_warning(sqlite_path(target))
    if warning:
        log.warning("%s", warning)
    return context, warning


def _failure(exc: Exception) -> str:
    """The one line a start-up failure is told as (the unexpected ones are logged with their traceback)."""
    if isinstance(exc, EstimatorError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}"
    from estimator import logs  # noqa: PLC0415 - see the module docstring

    logs.log_unexpected("start-up", type(exc), exc, exc.__traceback__)
    return f"unexpected error: {type(exc).__name__}: {exc}"


def _attach(window: MainWindow, context: AppContext, warning: str | None) -> None:
    """Give the window its context, and the network-drive warning above the pages when there is one."""
    window.attach(context)
    if warning:
        window.show_banner("network", "Warning: " + warning)


def _screenshot(app: QApplication, args: argparse.Namespace, settings: Settings) -> int:
    """``--screenshot``: everything loaded first, the page rendered offscreen to a PNG (no frame-first start)."""
    try:
        context, warning = _open_context(args, settings)
    except Exception as exc:
        return _startup_failed(_failure(exc))
    window = MainWindow(None, settings, restore=False)
    try:
        _attach(window, context, warning)
        png = Path(args.screenshot).expanduser().resolve()
        screenshot(app, window, args.page, args.lesions, png, args.date, args.size)
        print(f"wrote {png}")
    except Exception as exc:
        return _startup_failed(_failure(exc))
    finally:
        window.close()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        context.store.close()
    return 0


#: Load after the frame's first paint, or after this long if none came.
LOAD_AT_THE_LATEST_MS: Final = 500
#: What starts the line ``--quit-after-show`` prints its start-up stamps on.
STAMPS: Final = "startup:"


def startup_stamps(stderr: str) -> dict[str, float]:
    """The fields of the first ``startup:`` line in a run's stderr (``{}`` when there is none): for the start-up
    benchmark, the installed-app smoke and the tests, which read what ``--quit-after-show`` printed."""
    for line in stderr.splitlines():
        if line.startswith(STAMPS):
            return {name: float(value) for name, _, value in (field.partition("=") for field in line.split()[1:])}
    return {}


class Startup(QObject):
    """The second half of start-up, run once the window's frame has painted: load, attach, or fail.

    A failure (missing or damaged tables, a database that cannot be opened) is a dialog naming it; the
    window then closes and the app exits with status 1.  ``first_window`` and ``ready`` are the
    ``time.monotonic()`` of the frame's first paint and of the first page's (``--quit-after-show`` prints them).
    """

    def __init__(self, app: QApplication, window: MainWindow, args: argparse.Namespace, settings: Settings) -> None:
        super().__init__(window)
        self.app, self.window, self.args, self.settings = app, window, args, settings
        self.context: AppContext | None = None
        self.first_window = self.ready = 0.0
        self.first_window_rss = 0
        self._loading = False
        window.installEventFilter(self)
        # If no paint ever comes (a window started minimised, a platform that paints late), load anyway.
        QTimer.singleShot(LOAD_AT_THE_LATEST_MS, self._load)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:  # the window's, then its children's, then the flush to the screen
            if not self._loading:
                QTimer.singleShot(0, self._painted_frame)
            elif self.context is not None and not self.ready:
                QTimer.singleShot(0, self._painted_page)
        return False

    def _painted_frame(self) -> None:
        if not self.first_window:
            self.first_window, self.first_window_rss = time.monotonic(), _peak_rss()
        self._load()

    def _painted_page(self) -> None:
        if self.ready:
            return
        self.ready = time.monotonic()
        if self.args.quit_after_show:
            print(f"{STAMPS} first_window={self.first_window:.6f} ready={self.ready:.6f} "
                  f"first_window_rss={self.first_window_rss}", file=sys.stderr)
            self.window.close()

    def _load(self) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            self.context, warning = _open_context(self.args, self.settings)
            _attach(self.window, self.context, warning)
        except Exception as exc:
            self.window.hide()
            self.app.exit(_startup_failed(_failure(exc)))
            return
        sys.excepthook = _excepthook
        if self.window.page_errors:
            dialogs().error(self.window, "Some pages could not be loaded",
                            ", ".join(self.window.page_errors) + f"\n\n{_where_logged()}")
        if self.args.lesions is not None:
            self.window.estimate_inputs.set_lesions(self.args.lesions)
        self.window.update()  # the page's first paint ends the start-up (``ready``)



def _peak_rss() -> int:
    """The process's peak resident bytes so far (0 where the platform does not say)."""
    try:
        import resource  # noqa: PLC0415 - Unix only
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


if __name__ == "__main__":
    sys.exit(main())

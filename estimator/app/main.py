"""``estimator-gui``: the desktop app's entry point.

Start-up order (as qutebrowser narrates it): parse the arguments; build the ``QApplication``; install
the exception hook; open the tables catalog and the practice database into an ``AppContext``; build the
``MainWindow`` (which discovers the pages); show it.

``--db PATH`` names the practice database; a file that does not exist is refused (a dialog and one line
on stderr naming the path) unless ``--create`` is given, as on the command line.
``--screenshot FILE [--page KEY] [--lesions N]`` renders the chosen page with those inputs offscreen
(set ``QT_QPA_PLATFORM=offscreen`` without a display), writes a PNG and exits (0; 1 with one line on
stderr on error).  ``--quit-after-show`` exits as soon as the window is shown (start-up benchmark).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Final

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from estimator import logs, paths
from estimator.app import theme
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.main_window import MainWindow
from estimator.app.settings import CHART_ANTIALIAS, DATABASE, THEME, Settings
from estimator.app.state import MAX_LESIONS
from estimator.core.errors import EstimatorError
from estimator.files import clean_staging, owner_only
from estimator.store.open import check_explicit_database, default_target, is_server, open_store, sqlite_path
from estimator.tables.shipped import default_catalog

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
    parser.add_argument("--lesions", type=int, metavar="N", help=f"lesion count to show (1-{MAX_LESIONS})")
    parser.add_argument("--date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="date of service to show (default: today)")
    parser.add_argument("--size", metavar="WxH", default="1280x800", type=_size,
                        help="window size for --screenshot, e.g. 1024x768 (default 1280x800)")
    parser.add_argument("--theme", choices=theme.CHOICES, help="colour theme for this run (default: the setting)")
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    parser.epilog = "Other options starting with '-' (e.g. -style Fusion, -platformtheme gtk3) are passed to Qt."
    return parser


def _where_logged() -> str:
    path = logs.log_file()
    return f"Details were written to the log file:\n{path}" if path.exists() else "No log file could be written."


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
    # the CLI does; see estimator.files), and a killed session's half-written documents are removed.
    with owner_only():
        clean_staging()
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
    if args.lesions is not None and not 1 <= args.lesions <= MAX_LESIONS:
        print(f"{PROG}: error: --lesions must be from 1 to {MAX_LESIONS}, got {args.lesions}", file=sys.stderr)
        return 1
    logs.setup_logging(console_prefix=PROG)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationName("estimator")
    app.setOrganizationName("estimator")
    app.setApplicationDisplayName("17000 Estimator")
    app.setWindowIcon(application_icon())
    try:
        try:
            catalog = default_catalog()
            catalog.check_complete()
            catalog.for_year(catalog.years()[-1])  # damaged tables: a dialog now, never a window missing tabs
        except EstimatorError as exc:
            return _startup_failed(str(exc))
        settings = Settings()
        theme.apply(app, args.theme or str(settings.get(THEME)))
        pg.setConfigOptions(antialias=bool(settings.get(CHART_ANTIALIAS)))
        target = default_target(args.db, str(settings.get(DATABASE)))
        created = check_explicit_database(args.db, args.create)  # the CLI's rule: never create one silently
        context = AppContext(catalog, open_store(target))
        if created:
            log.info("created a new practice database at %s", sqlite_path(target).resolve())
            print(f"{PROG}: created a new practice database at {sqlite_path(target).resolve()}", file=sys.stderr)
        window = MainWindow(context, settings, restore=args.screenshot is None)
        warning = None if is_server(target) else paths.network_warning(sqlite_path(target))
        if warning:
            log.warning("%s", warning)
            window.show_banner("network", "Warning: " + warning)
        if window.page_errors and args.screenshot is None:
            dialogs().error(window, "Some pages could not be loaded",
                            ", ".join(window.page_errors) + f"\n\n{_where_logged()}")
        if args.screenshot is not None:
            try:
                png = Path(args.screenshot).expanduser().resolve()
                screenshot(app, window, args.page, args.lesions, png, args.date, args.size)
                print(f"wrote {png}")
            finally:
                window.close()
                window.deleteLater()
                QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                context.store.close()
            return 0
    except EstimatorError as exc:  # one line for the user; the CLI's convention
        return _startup_failed(str(exc))
    except OSError as exc:
        return _startup_failed(f"{exc.filename or ''}: {exc.strerror or exc}")
    except Exception as exc:
        logs.log_unexpected("start-up", type(exc), exc, exc.__traceback__)
        return _startup_failed(f"unexpected error: {type(exc).__name__}: {exc}")
    sys.excepthook = _excepthook
    if args.lesions is not None:
        window.estimate_inputs.set_lesions(args.lesions)
    window.show()
    if args.quit_after_show:
        QTimer.singleShot(0, window.close)
    code = int(app.exec())
    context.store.close()
    return code


if __name__ == "__main__":
    sys.exit(main())

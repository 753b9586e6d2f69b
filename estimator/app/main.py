"""``estimator-gui``: the desktop app's entry point.

Start-up order (as qutebrowser narrates it): parse the arguments; build the ``QApplication``; install
the exception hook; open the tables catalog and the practice database into an ``AppContext``; build the
``MainWindow`` (which discovers the pages); show it.

``--screenshot FILE [--page KEY] [--lesions N]`` renders the chosen page with those inputs offscreen
(set ``QT_QPA_PLATFORM=offscreen`` without a display), writes a PNG and exits (0; 1 with one line on
stderr on error).  ``--quit-after-show`` exits as soon as the window is shown (start-up benchmark).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

from estimator import paths
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.main_window import MainWindow
from estimator.app.settings import CHART_ANTIALIAS, Settings
from estimator.app.state import MAX_LESIONS
from estimator.files import clean_staging, owner_only
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import default_catalog

log = logging.getLogger("estimator.app")
PROG = "estimator-gui"
SCREENSHOT_SIZE = (1280, 800)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Reimbursement estimator for CPT 17000-17004 (desktop)")
    parser.add_argument("--db", metavar="PATH", help="practice database (default: $ESTIMATOR_DB or the user folder)")
    parser.add_argument("--screenshot", metavar="FILE", help="render a page offscreen to a PNG file and exit")
    parser.add_argument("--page", default="estimate", help="page for --screenshot (estimate, compare, payers, "
                                                           "tables, ...); default estimate")
    parser.add_argument("--lesions", type=int, metavar="N", help=f"lesion count to show (1-{MAX_LESIONS})")
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    return parser


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Log an unexpected error and tell the user, instead of dying silently inside a Qt slot."""
    text = "".join(traceback.format_exception(kind, value, tb))
    log.error("unexpected error:\n%s", text)
    dialogs().error(None, "Unexpected error", f"{kind.__name__}: {value}\n\nDetails were written to the log.")


def screenshot(app: QApplication, window: MainWindow, page: str, lesions: int | None, path: Path) -> None:
    """Render ``page`` with the inputs, after every pending update has run, and save it as PNG.

    Raises:
        EstimatorError / OSError: unknown page, bad lesion count, or the file cannot be written.
    """
    window.resize(*SCREENSHOT_SIZE)
    window.show_page(page)
    if lesions is not None:
        window.estimate_inputs.set_lesions(lesions)
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


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.lesions is not None and not 1 <= args.lesions <= MAX_LESIONS:
        print(f"{PROG}: error: --lesions must be from 1 to {MAX_LESIONS}, got {args.lesions}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(name)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("estimator")
    app.setOrganizationName("estimator")
    app.setApplicationDisplayName("17000 Estimator")
    try:
        settings = Settings()
        pg.setConfigOptions(antialias=bool(settings.get(CHART_ANTIALIAS)))
        db = Path(args.db) if args.db else paths.default_db_path()
        context = AppContext(default_catalog(), SqliteStore(db))
        window = MainWindow(context, settings, restore=args.screenshot is None)
        if args.screenshot is not None:
            try:
                screenshot(app, window, args.page, args.lesions, Path(args.screenshot))
            finally:
                window.close()
                window.deleteLater()
                QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                context.store.close()
            return 0
    except Exception as exc:  # one line for the user; the CLI's convention
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
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

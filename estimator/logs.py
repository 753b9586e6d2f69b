"""The log file: one rotating file in the user's log folder, shared by the CLI and the app.

A windowed app has no console, so what goes wrong must land somewhere a user can find and send: the log
file, which error dialogs name.  Patient details never go in it: the program logs no patient data, and an
unexpected error is logged as its type and stack only — its message, which may quote what was typed (a
patient's name), is shown to the user and not written down.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from estimator import paths

LOG_NAME = "estimator.log"
MAX_BYTES = 1_000_000
BACKUPS = 4
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_file() -> Path:
    return paths.user_log_dir() / LOG_NAME


class _LogFile(logging.Handler):
    """The rotating log file, made at the first record it is given.

    ``logging.handlers`` (with socket, pickle and queue: ~5 ms) is imported only by a run that logs
    something, which most command-line calls do not (issue 17: start-up time).
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._file is None:
                self._file = _owner_only_rotating_file(self.path)
                self._file.setFormatter(self.formatter)
        except Exception:  # as logging does for a handler that fails: never the caller's problem
            self.handleError(record)
            return
        self._file.emit(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def _owner_only_rotating_file(path: Path) -> logging.Handler:
    """A rotating file whose every generation is created readable by its owner only (not opened yet)."""
    import logging.handlers  # noqa: PLC0415 - see _LogFile

    class OwnerOnlyRotatingHandler(logging.handlers.RotatingFileHandler):
        def _open(self):  # type: ignore[no-untyped-def]
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding, errors=self.errors)

    return OwnerOnlyRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)


def setup_logging(console_prefix: str | None = None, level: int = logging.INFO) -> Path | None:
    """Send the ``estimator`` loggers to the log file (and warnings to stderr with ``console_prefix``).

    Returns the log file, or None when it cannot be written (the program still runs; stderr only).
    """
    root = logging.getLogger("estimator")
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_estimator", False):
            root.removeHandler(handler)
            handler.close()
    if console_prefix is not None and sys.stderr is not None:
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(logging.Formatter(f"{console_prefix}: %(levelname)s: %(message)s"))
        console._estimator = True  # type: ignore[attr-defined]
        root.addHandler(console)
    path = log_file()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    handler = _LogFile(path)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._estimator = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return path


def close_logging() -> None:
    """Close the handlers ``setup_logging`` added (tests; the end of a run)."""
    root = logging.getLogger("estimator")
    for handler in list(root.handlers):
        if getattr(handler, "_estimator", False):
            root.removeHandler(handler)
            handler.close()


def log_unexpected(where: str, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Log an unexpected error by type and stack, without its message (it may quote patient data)."""
    # File, line and function only: no source lines and no locals, so nothing typed can leak in.
    stack = "\n".join(f"  {Path(f.filename).name}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb))
    logging.getLogger("estimator").error("unexpected error in %s: %s.%s\n%s", where, kind.__module__,
                                         kind.__qualname__, stack.rstrip())

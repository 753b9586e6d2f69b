"""Whole files: writing all or nothing (a temp file beside the target, flushed to disk, then renamed over
it), and reading a user's UTF-8 text file with a message that says what went wrong.

Outside the layers (like ``estimator.paths``) so that ``reports``, ``store`` and ``cli``, which may not
import each other, share one implementation.  (The app's own table exports go through Qt's ``QSaveFile``
in ``estimator.app.files``.)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from estimator.core.errors import InputError


def read_text(path: Path | str, what: str = "the file", hint: str = "") -> str:
    """The text of a user's UTF-8 file (a byte-order mark, as Excel writes one, is dropped).

    Args:
        path: the file.
        what: the file named in the message when it cannot be read (``the scenario file``).
        hint: what to do about a file that is not UTF-8, appended to that message.

    Raises:
        InputError: the file cannot be read, or is not UTF-8 text.
    """
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file" + (f"; {hint}" if hint else "")) from None


def write_bytes_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one, never a torn file.

    Args:
        path: the file to create or replace; its folder must exist.
        data: the whole new content.

    Raises:
        InputError: the folder cannot be written (missing, read-only).
    """
    path = Path(path)
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path | str, text: str) -> None:
    """``write_bytes_atomically`` for UTF-8 text; newlines are written as given (no translation).

    Raises:
        InputError: the folder cannot be written (missing, read-only).
    """
    write_bytes_atomically(path, text.encode("utf-8"))

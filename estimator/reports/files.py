"""Writing a whole file or nothing: a temp file beside the target, flushed to disk, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from estimator.core.errors import InputError


def write_bytes_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one, never a torn file.

    Raises:
        InputError: the folder cannot be written (missing, read-only).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
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
    """``write_bytes_atomically`` for UTF-8 text (newlines written as given)."""
    write_bytes_atomically(path, text.encode("utf-8"))

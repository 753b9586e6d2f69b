"""Whole files: writing all or nothing (a temp file beside the target, flushed to disk, then renamed over
it), reading a user's UTF-8 text file with a message that says what went wrong, and keeping what we write
private to its owner.

Privacy: every file this program writes holds practice or patient data (the database with its Good Faith
Estimate log, PDFs, CSV exports, logs), so on POSIX each is created 0600 and each folder it creates 0700.
``owner_only()`` sets the umask to 077 for a block (the entry points wrap the whole run in it, so files
created by libraries — SQLite's ``-wal``/``-shm`` and backups, Qt's PDF writer — are covered too), and
``private_file()`` / ``private_dir()`` create or tighten one path.  On Windows the mode bits mean nothing:
files inherit the ACL of the user's profile folder (``%APPDATA%``), which only that user and administrators
can read.

Imports only what every start-up needs (the app's first window and every CLI call import this module):
the user folders and ``tempfile`` are imported where they are used.

Outside the layers (like ``estimator.paths``) so that ``reports``, ``store`` and ``cli``, which may not
import each other, share one implementation.  (The app's own table exports go through Qt's ``QSaveFile``
in ``estimator.app.files``.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from estimator.core.errors import DataFileError, InputError

PRIVATE_UMASK: Final = 0o077
PRIVATE_FILE_MODE: Final = 0o600
PRIVATE_DIR_MODE: Final = 0o700
#: The prefix of our temporary files, so start-up can find (and delete) any a crash left behind.
TEMP_PREFIX: Final = ".estimator-tmp-"
POSIX: Final = sys.platform != "win32"


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Create files 0600 and folders 0700 inside the block (umask 077), then restore the caller's umask.

    The umask is process-wide; this program only ever narrows it, so a thread that creates a file meanwhile
    gets a more private file, never a more open one.
    """
    if not POSIX:
        yield
        return
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def tighten(path: Path | str, mode: int = PRIVATE_FILE_MODE) -> None:
    """Take group and other permissions off an existing file or folder we own (nothing on Windows)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):  # not ours (a shared folder), or gone: leave it as it is
        st = os.stat(path)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and missing parents) 0700; a folder that already exists is left as it is.

    Raises:
        OSError: the folder cannot be created.
    """
    path = Path(path)
    with owner_only():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty and 0600 if it does not exist; tighten it to 0600 if it does.

    Raises:
        OSError: the file cannot be created.
    """
    path = Path(path)
    with owner_only():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE_MODE)
    os.close(fd)
    tighten(path)
    return path


#: User text files we read whole (fee schedules, charge masters, scenarios, mappings, past encounters): a
#: real one is well under a megabyte; the bound keeps a wrong file from filling the memory.
MAX_TEXT_FILE_BYTES: Final = 32 * 1024 * 1024


#: The longest file path accepted from a user (Linux's PATH_MAX is 4096; Windows' long paths reach 32,767):
#: anything longer is a paste gone wrong, refused in one line rather than passed to the operating system.
MAX_PATH_CHARS: Final = 4096


def check_path_length(path: Path | str) -> None:
    """Raises InputError for a path longer than ``MAX_PATH_CHARS`` (shown shortened)."""
    text = str(path)
    if len(text) > MAX_PATH_CHARS:
        raise InputError(f"{text[:60]!r}... is a path of {len(text):,} characters, longer than the {MAX_PATH_CHARS:,} "
                         "allowed; give a shorter path")


def check_input_file(path: Path | str, what: str, max_bytes: int) -> None:
    """``path`` is a regular file of at most ``max_bytes`` (a folder, a pipe or a device would hang or fail).

    Raises:
        InputError: too long a path, missing, unreadable, not a regular file, or too large (named, with the limit).
    """
    check_path_length(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except ValueError:  # a NUL in the name
        raise InputError(f"{path!r} is not a valid file name") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder; give {what} itself")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path} is not a regular file (a device or a pipe); give {what} itself")
    if st.st_size > max_bytes:
        raise InputError(f"{path} is {st.st_size / 1e6:,.1f} MB, larger than {what} can be "
                         f"({max_bytes / 1e6:,.0f} MB); check that it is the right file")


def read_text(path: Path | str, what: str = "the file", hint: str = "",
              max_bytes: int = MAX_TEXT_FILE_BYTES) -> str:
    """The text of a user's UTF-8 file (a byte-order mark, as Excel writes one, is dropped).

    Args:
        path: the file.
        what: the file named in the message when it cannot be read (``the scenario file``).
        hint: what to do about a file that is not UTF-8, appended to that message.
        max_bytes: refuse a larger file before reading it.

    Raises:
        InputError: the file cannot be read, is not a regular file, is too large, or is not UTF-8 text.
    """
    check_input_file(path, what, max_bytes)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file" + (f"; {hint}" if hint else "")) from None


def _temp_pid(name: str) -> int | None:
    """The process id recorded in one of our temp files' names (``.estimator-tmp-<pid>-...``)."""
    digits = name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours (PermissionError), or a platform without signals
        return True
    return True


def remove_stale_temp_files(folder: Path | str) -> int:
    """Delete the temp files a killed process of ours left in ``folder``; returns how many.

    A temp file is stale when the process named in it is gone (one still running is mid-write).  Called at
    start-up on the staging folder, so no partial document with a patient's name outlives a crash.
    """
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not entry.name.startswith(TEMP_PREFIX):
                continue
            pid = _temp_pid(entry.name)
            if pid is not None and pid != os.getpid() and _alive(pid):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


def staging_dir(create: bool = True) -> Path:
    """The private folder (0700, in the user's data folder) where documents with patient details are put
    together before they are moved into place; ``clean_staging()`` empties it of a killed run's leftovers."""
    from estimator import paths  # noqa: PLC0415 - the app's first window needs owner_only, not the user folders

    folder = paths.user_data_dir() / "tmp"
    return private_dir(folder) if create else folder


def clean_staging() -> int:
    """At start-up: delete temp files a crashed or killed run left in the staging folder; returns how many."""
    folder = staging_dir(create=False)
    return remove_stale_temp_files(folder) if folder.is_dir() else 0


def check_output_path(path: Path | str) -> Path:
    """``path`` is somewhere a file can be written: not a folder, a device or a pipe.

    Raises:
        InputError: too long a path, or it exists and is not a regular file (``--out /dev/sda`` would
            otherwise be replaced).
    """
    check_path_length(path)
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise InputError(f"{path}: cannot write there ({exc.strerror})") from None
    except ValueError:  # a NUL in the name
        raise InputError(f"{str(path)!r} is not a valid file name") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder; give a file name inside it")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path} is not a regular file (a device or a pipe); give a file name")
    return path


def write_failed(path: Path | str, exc: OSError) -> InputError:
    """A one-line error for a failed write that names the file and what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InputError(f"{path}: the disk is full; free some space (or choose another drive) and try again")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return InputError(f"{path}: cannot write there ({exc.strerror}); choose a folder you can write to")
    return InputError(f"{path}: cannot write there ({exc.strerror or exc})")


def write_bytes_atomically(path: Path | str, data: bytes, *, staging: Path | str | None = None) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one, never a torn file.

    The new file is created 0600 (owner-only).  Its temp file is written in ``staging`` when given and on the
    same file system (the data folder, cleaned at start-up, for documents with a patient's name), else beside
    ``path``; a failed write removes it.

    Args:
        path: the file to create or replace; its folder must exist.
        data: the whole new content.
        staging: a private folder for the temp file.

    Raises:
        InputError: ``path`` is a folder or a device, or the folder cannot be written (missing, read-only,
            full); the message names the file.
    """
    path = check_output_path(path)
    where = path.parent
    if staging is not None:
        with contextlib.suppress(OSError):
            if os.stat(staging).st_dev == os.stat(path.parent).st_dev:
                where = Path(staging)
    try:
        import tempfile  # noqa: PLC0415 - with shutil, bz2, lzma and random ~4 ms every start-up would pay

        handle, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=where)  # 0600
    except OSError as exc:
        raise write_failed(path, exc) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise write_failed(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path | str, text: str) -> None:
    """``write_bytes_atomically`` for UTF-8 text; newlines are written as given (no translation).

    Raises:
        InputError: the folder cannot be written (missing, read-only).
    """
    write_bytes_atomically(path, text.encode("utf-8"))


def read_json_file(path: Path) -> object:
    """A JSON file's value (a table folder's or a PTP year's manifest).

    Raises:
        DataFileError: the file cannot be read, or is not valid JSON (its line named).
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), exc.lineno, None, f"not valid JSON ({exc.msg})") from None

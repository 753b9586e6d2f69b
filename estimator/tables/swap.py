"""Replacing an imported release safely: one lock per tables folder, a journaled two-rename swap, recovery.

An import builds the new release in a unique staging folder beside its target, then, holding the lock,
renames the old release aside, renames the new one in and deletes the old one.  A journal written
before the first rename lets the next start finish the swap (the new folder is complete: it was written
and flushed before the journal) or roll it back.  Readers (the table catalog) take the lock shared, so an
import and a program loading tables never interleave.  The lock is an OS file lock (``fcntl.flock`` on
POSIX, ``msvcrt.locking`` on Windows): a process that dies releases it, so there is no stale lock to clear.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from estimator.files import write_text_atomically

LOCK: Final = ".lock"
JOURNAL: Final = ".swap.json"
STAGING_PREFIX: Final = ".staging-"
OLD_MARK: Final = ".old-"


def _between_renames() -> None:
    """Test hook: called after the old release is moved aside and before the new one is moved in."""


def _open_lock(root: Path) -> int | None:
    try:
        root.mkdir(parents=True, exist_ok=True)
        return os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None  # a read-only folder (installed tables): nobody can import there either


def _acquire(fd: int, shared: bool, wait: bool) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt  # noqa: PLC0415

        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                if not wait:
                    return False
                time.sleep(0.05)
    import fcntl  # noqa: PLC0415

    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, mode)
    except BlockingIOError:
        return False
    return True


def _release(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt  # noqa: PLC0415

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    os.close(fd)  # closing drops an flock


@contextlib.contextmanager
def locked(root: Path, *, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """Hold ``root``'s lock (exclusive to change it, shared to read it); yields whether it was taken.

    With ``wait=False`` it yields False at once when another process holds it.
    """
    fd = _open_lock(root) if (root.is_dir() or not shared) else None
    if fd is None:
        yield True
        return
    try:
        got = _acquire(fd, shared, wait)
        yield got
    finally:
        _release(fd)


def reading(root: Path) -> contextlib.AbstractContextManager[bool]:
    """Shared lock for reading tables under ``root`` (an import waits until the read is done)."""
    return locked(root, shared=True)


def staging_folder(root: Path) -> Path:
    """A new, unique, empty folder beside the releases (same file system, so the swap is a rename)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir()
    return path


def swap_in(root: Path, new: Path, name: str) -> Path:
    """Make the complete folder ``new`` the release ``root/name``, replacing any old one.  Call while
    holding ``locked(root)``.  Returns the release's folder."""
    target = root / name
    old = root / f".{name}{OLD_MARK}{secrets.token_hex(4)}"
    journal = {"target": name, "new": str(new.relative_to(root)), "old": old.name}
    write_text_atomically(root / JOURNAL, json.dumps(journal) + "\n")
    if target.exists():
        target.rename(old)
    _between_renames()
    new.rename(target)
    (root / JOURNAL).unlink()
    shutil.rmtree(old, ignore_errors=True)
    return target


def recover(root: Path) -> str:
    """Finish or roll back a swap a crash interrupted, and remove leftover staging and old folders.

    Does nothing while another process holds the lock (that import finishes its own swap).  Returns what
    was done, for the log ('' when there was nothing to do).
    """
    if not (root / JOURNAL).exists() and not any(p.name.startswith(STAGING_PREFIX) or OLD_MARK in p.name
                                                  for p in _entries(root)):
        return ""
    with locked(root, wait=False) as got:
        return recover_locked(root) if got else ""


def recover_locked(root: Path) -> str:
    """``recover`` for a caller that already holds ``locked(root)`` (an import, before it starts)."""
    done = ""
    journal_path = root / JOURNAL
    if journal_path.exists():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
            target, new, old = root / journal["target"], root / journal["new"], root / journal["old"]
        except (OSError, ValueError, KeyError, TypeError):
            journal = None
        if journal is not None and not target.exists():
            if (new / "manifest.json").is_file():
                new.rename(target)
                done = f"finished the interrupted import of {target.name}"
            elif old.is_dir():
                old.rename(target)
                done = f"rolled back the interrupted import of {target.name}"
        journal_path.unlink(missing_ok=True)
    for leftover in _entries(root):
        if leftover.is_dir() and (leftover.name.startswith(STAGING_PREFIX) or OLD_MARK in leftover.name):
            shutil.rmtree(leftover, ignore_errors=True)
    return done


def _entries(root: Path) -> list[Path]:
    try:
        return list(root.iterdir())
    except OSError:
        return []

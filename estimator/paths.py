"""Where things live: the tables shipped inside the package, and the user's folders by the platform's rules.

User folders come from ``platformdirs`` (a well-kept library that knows each platform's conventions, rather
than rules written here): Local AppData on Windows (never Roaming: a roaming profile can sit on a network
share, where SQLite's WAL mode is unsafe), Application Support on macOS, XDG on Linux. The ``ESTIMATOR_*``
environment variables override each folder.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

from platformdirs import PlatformDirs

APP_NAME = "estimator"
_DIRS = PlatformDirs(appname=APP_NAME, appauthor=False, roaming=False)

#: File-system types that live on another machine (Linux /proc/mounts and macOS ``mount`` names).
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afpfs", "webdav", "davfs", "ncpfs", "afs",
    "9p", "ceph", "glusterfs", "lustre", "gpfs", "fuse.sshfs", "sshfs", "fuse.glusterfs", "fuse.ceph",
    "fuse.rclone", "fuse.davfs",
})


def shipped_tables_root() -> Path:
    """The fee-schedule tables packaged with the program (``estimator/rvu_tables``), via importlib.resources."""
    return Path(str(resources.files(APP_NAME).joinpath("rvu_tables")))


def _folder(variable: str, default: str) -> Path:
    override = os.environ.get(variable)
    return Path(override) if override else Path(default)


def user_data_dir() -> Path:
    """The per-user data folder (``ESTIMATOR_DATA_DIR`` overrides the platform default)."""
    return _folder("ESTIMATOR_DATA_DIR", _DIRS.user_data_dir)


def user_log_dir() -> Path:
    """Where the rotating log file goes (``ESTIMATOR_LOG_DIR`` overrides the platform default)."""
    return _folder("ESTIMATOR_LOG_DIR", _DIRS.user_log_dir)


def user_cache_dir() -> Path:
    """Rebuildable files (``ESTIMATOR_CACHE_DIR`` overrides the platform default)."""
    return _folder("ESTIMATOR_CACHE_DIR", _DIRS.user_cache_dir)


def user_tables_root() -> Path:
    """Where ``estimator tables import`` puts newer CMS releases."""
    return user_data_dir() / "rvu_tables"


def default_db_path() -> Path:
    """The practice database (``ESTIMATOR_DB`` overrides it; ``--db`` overrides both)."""
    override = os.environ.get("ESTIMATOR_DB")
    return Path(override) if override else user_data_dir() / "practice.sqlite"


# --- network file systems -----------------------------------------------------------------------------------

def _mount_table() -> list[tuple[str, str]]:
    """(mount point, file-system type) of every mount, from the running system; empty where unknown."""
    if sys.platform.startswith("linux"):
        try:
            return parse_proc_mounts(Path("/proc/mounts").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return []
    if sys.platform == "darwin":
        import subprocess  # noqa: PLC0415 - macOS only; every start-up imports this module (issue 17)

        try:
            out = subprocess.run(["/sbin/mount"], capture_output=True, text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        return parse_bsd_mount_output(out)
    return []


def parse_proc_mounts(text: str) -> list[tuple[str, str]]:
    """Linux ``/proc/mounts``: ``device mountpoint type options ...`` (spaces in paths escaped as ``\\040``)."""
    table = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            table.append((fields[1].replace("\\040", " "), fields[2].lower()))
    return table


def parse_bsd_mount_output(text: str) -> list[tuple[str, str]]:
    """macOS ``mount``: ``//user@server/share on /Volumes/share (smbfs, nodev, ...)``."""
    table = []
    for line in text.splitlines():
        if " on " not in line or "(" not in line:
            continue
        rest = line.split(" on ", 1)[1]
        point, _, kinds = rest.rpartition(" (")
        table.append((point, kinds.split(",")[0].strip(" )").lower()))
    return table


def network_filesystem(path: Path, mounts: list[tuple[str, str]] | None = None) -> str | None:
    """The network file-system type holding ``path`` (e.g. ``"nfs4"``, ``"UNC share"``), or None if local.

    ``mounts`` is the (mount point, type) table; by default the running system's.
    """
    text = str(path)
    if sys.platform == "win32" or text.startswith(("\\\\", "//")):
        if text.startswith(("\\\\", "//")):
            return "UNC share"
        if sys.platform == "win32" and _windows_remote_drive(text):
            return "network drive"
        if sys.platform == "win32":
            return None
    resolved = os.path.abspath(text)
    best, kind = "", ""
    for point, fs_type in mounts if mounts is not None else _mount_table():
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fs_type
    return kind if kind in NETWORK_FILESYSTEMS or kind.startswith("nfs") else None


def _windows_remote_drive(text: str) -> bool:  # pragma: no cover - Windows only
    import ctypes  # noqa: PLC0415 - Windows only

    drive = os.path.splitdrive(os.path.abspath(text))[0]
    if not drive:
        return False
    return bool(ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4)  # type: ignore[attr-defined]  # DRIVE_REMOTE


def network_warning(path: Path, mounts: list[tuple[str, str]] | None = None) -> str | None:
    """A one-line warning when the database sits on a network file system; None when it is local."""
    kind = network_filesystem(path, mounts)
    if kind is None:
        return None
    return (f"the practice database {path} is on a network file system ({kind}); SQLite is not safe there "
            "and data can be lost: keep it on this computer's own disk (the default folder), or share one "
            "database between workstations with a database server")

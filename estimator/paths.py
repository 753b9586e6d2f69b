"""Where things live: the shipped tables inside the package or checkout, and the user's data folder."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

APP_NAME = "estimator"


def shipped_tables_root() -> Path:
    """The ``rvu_tables`` folder: packaged as ``estimator/_data`` in a wheel, else the source checkout's."""
    packaged = Path(str(resources.files("estimator"))) / "_data" / "rvu_tables"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rvu_tables"


def user_data_dir() -> Path:
    """The per-user data folder (``ESTIMATOR_DATA_DIR`` overrides the platform default)."""
    override = os.environ.get("ESTIMATOR_DATA_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / APP_NAME


def user_cache_dir() -> Path:
    """The per-user cache folder: rebuildable files only (``ESTIMATOR_CACHE_DIR`` overrides the default)."""
    override = os.environ.get("ESTIMATOR_CACHE_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / APP_NAME / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP_NAME
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / APP_NAME


def user_tables_root() -> Path:
    """Where ``estimator tables import`` puts newer CMS releases."""
    return user_data_dir() / "rvu_tables"


def default_db_path() -> Path:
    """The practice database (``ESTIMATOR_DB`` overrides it; ``--db`` overrides both)."""
    override = os.environ.get("ESTIMATOR_DB")
    return Path(override) if override else user_data_dir() / "practice.sqlite"

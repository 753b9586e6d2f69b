"""Every option of the desktop app in one declarative registry, stored with QSettings (INI, user scope).

Two kinds of option, kept apart (as Picard does):

- ``setting``: a user's choice, shown and changed on the Practice settings page;
- ``persist``: UI state the app remembers by itself (window geometry, splitter and header state, the
  last inputs of the estimate page, the chosen page).

The file lives in ``$ESTIMATOR_CONFIG_DIR/estimator.ini`` when that variable is set (tests always set
it, so they never touch the real configuration), else in the platform's user configuration folder.
The file carries a schema version; ``MIGRATIONS`` upgrade older files in place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

CONFIG_ENV: Final = "ESTIMATOR_CONFIG_DIR"
FILE_NAME: Final = "estimator.ini"
SCHEMA_KEY: Final = "meta/schema"

Kind = Literal["setting", "persist"]


@dataclass(frozen=True, slots=True)
class Option:
    """One registered option: its key, value type, default, title for the user, and kind."""

    key: str
    type: type
    default: Any
    title: str
    kind: Kind


OPTIONS: Final[dict[str, Option]] = {}


def _register(key: str, type_: type, default: Any, title: str, kind: Kind) -> Option:
    if key in OPTIONS:
        raise ValueError(f"option {key!r} registered twice")
    OPTIONS[key] = option = Option(key, type_, default, title, kind)
    return option


# --- the registry -----------------------------------------------------------------------------------------
# User choices (shown on the Practice settings page, in this order).
RESTORE_INPUTS = _register("general/restore_last_inputs", bool, True,
                           "Start with the last estimate's inputs", "setting")
CHART_ANTIALIAS = _register("charts/antialias", bool, True, "Smooth chart lines (antialiasing)", "setting")
THEME = _register("appearance/theme", str, "system", "Colour theme (system, light or dark)",
                  "setting")
CONFIRM_REMOVE = _register("general/confirm_remove", bool, True,
                           "Ask before removing a payer or replacing a fee schedule", "setting")

# UI state the app remembers.
DATABASE = _register("database/target", str, "", "Practice database (a file, or postgresql://... shared)",
                     "persist")
WINDOW_GEOMETRY = _register("window/geometry", QByteArray, QByteArray(), "Window geometry", "persist")
WINDOW_STATE = _register("window/state", QByteArray, QByteArray(), "Tool bars and docks", "persist")
WINDOW_PAGE = _register("window/page", str, "estimate", "The page shown last", "persist")
ESTIMATE_INPUTS = _register("estimate/inputs", str, "", "The estimate page's last inputs (JSON)", "persist")
ESTIMATE_SPLITTER = _register("estimate/splitter", QByteArray, QByteArray(), "Estimate page splitters", "persist")
ESTIMATE_HEADER = _register("estimate/header", QByteArray, QByteArray(), "Claim-lines columns", "persist")
TABLES_HEADER = _register("tables/header", QByteArray, QByteArray(), "Fee-table columns", "persist")
TABLES_LOCALITY = _register("tables/locality", str, "", "Fee-table price locality", "persist")
COMPARE_STATE = _register("compare/state_filter", str, "", "Compare page state filter", "persist")
PAYERS_SPLITTER = _register("payers/splitter", QByteArray, QByteArray(), "Payers page splitter", "persist")

#: Forward migrations of the file: index i upgrades schema i to i + 1. Append, never edit.
MIGRATIONS: Final[tuple[Callable[[QSettings], None], ...]] = (
    lambda qs: None,  # v1: the first schema; nothing to upgrade from
)


def schema_version() -> int:
    return len(MIGRATIONS)


def settings_path() -> Path | None:
    """The INI file's path when ``ESTIMATOR_CONFIG_DIR`` is set, else ``None`` (platform default)."""
    folder = os.environ.get(CONFIG_ENV)
    return Path(folder) / FILE_NAME if folder else None


def _convert(option: Option, raw: Any) -> Any:
    """A stored value as the option's type (INI files give back strings); the default when unreadable."""
    if raw is None:
        return option.default
    try:
        if option.type is bool:
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in ("1", "true", "yes", "on")
        if option.type is int:
            return int(raw)
        if option.type is QByteArray:
            return raw if isinstance(raw, QByteArray) else QByteArray(bytes(raw))
        return str(raw)
    except (TypeError, ValueError):
        log.warning("setting %s: unreadable value %r, using the default", option.key, raw)
        return option.default


class Settings:
    """Typed access to the registered options; unknown keys are a programming error (``KeyError``)."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        if qsettings is None:
            path = settings_path()
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                qsettings = QSettings(str(path), QSettings.Format.IniFormat)
            else:
                qsettings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "estimator",
                                      "estimator")
        self.qsettings = qsettings
        self._migrate()

    def _migrate(self) -> None:
        current = int(_convert(Option(SCHEMA_KEY, int, 0, "", "persist"), self.qsettings.value(SCHEMA_KEY)))
        if current > schema_version():
            log.warning("settings file %s is from a newer version (schema %s); reading what is known",
                        self.qsettings.fileName(), current)
            return
        for version in range(current, schema_version()):
            MIGRATIONS[version](self.qsettings)
        if current != schema_version():
            self.qsettings.setValue(SCHEMA_KEY, schema_version())

    @property
    def file_name(self) -> str:
        return str(self.qsettings.fileName())

    def get(self, option: Option | str) -> Any:
        """The stored value of ``option`` as its type, or its default."""
        opt = option if isinstance(option, Option) else OPTIONS[option]
        return _convert(opt, self.qsettings.value(opt.key))

    def set(self, option: Option | str, value: Any) -> None:
        opt = option if isinstance(option, Option) else OPTIONS[option]
        if not isinstance(value, opt.type):
            raise TypeError(f"option {opt.key} takes {opt.type.__name__}, got {type(value).__name__}")
        self.qsettings.setValue(opt.key, value)

    def reset(self, option: Option | str) -> None:
        opt = option if isinstance(option, Option) else OPTIONS[option]
        self.qsettings.remove(opt.key)

    def sync(self) -> None:
        self.qsettings.sync()

    @staticmethod
    def user_options() -> list[Option]:
        """The user's choices, in registry order."""
        return [o for o in OPTIONS.values() if o.kind == "setting"]

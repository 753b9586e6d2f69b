"""Shared pieces of the command line: the argument parser type, option groups and value parsers."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

from estimator import paths
from estimator.core.errors import InputError
from estimator.core.parsing import ascii_digits
from estimator.core.payers import MAX_YEAR, MIN_YEAR, Practice
from estimator.core.schedule import NATIONAL_KEY, CFVariant, Setting, TableSet
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog, default_catalog


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one clear line (no usage dump), exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


class Context:
    """What commands share: the table catalog (loaded on first use) and the database path."""

    def __init__(self, db: str | None = None) -> None:
        self.db = db
        self._catalog: TableCatalog | None = None
        self._store: SqliteStore | None = None

    @property
    def db_path(self) -> Path:
        return Path(self.db) if self.db else paths.default_db_path()

    @property
    def store(self) -> SqliteStore:
        """The practice database, opened (and created or migrated) on first use."""
        if self._store is None:
            self._store = SqliteStore(self.db_path)
        return self._store

    def practice(self) -> Practice:
        """The practice profile, or an empty one where no database exists yet (nothing is created)."""
        if self._store is None and not self.db_path.exists():
            return Practice()
        return self.store.practice()

    @property
    def catalog(self) -> TableCatalog:
        if self._catalog is None:
            self._catalog = default_catalog()
        return self._catalog

    def report_skipped(self) -> None:
        """Name on stderr every stored payer that was left out because it fails validation."""
        if self._store is not None:
            for problem in self._store.payer_problems:
                sys.stderr.write(f"estimator: warning: {problem}\n")

    def close(self) -> None:
        """Release what commands opened."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def practice_defaults(self) -> dict[str, str]:
        """The practice profile's default locality, POS and CF for encounter options."""
        practice = self.practice()
        return {"locality": practice.locality_key, "pos": practice.place_of_service, "cf": practice.cf_variant.value}

    def tables(self, year: int | None = None, on: dt.date | None = None) -> TableSet:
        """Tables for a date of service, else a year, else the newest year available."""
        if on is not None:
            if year is not None and year != on.year:
                raise InputError(f"--year {year} does not match the date of service {on.isoformat()}")
            return self.catalog.for_date(on)
        return self.catalog.for_year(year if year is not None else self.catalog.years()[-1])


def parse_date(text: str) -> dt.date:
    """A YYYY-MM-DD date.

    Raises:
        InputError: not a real calendar date in that form, or outside 1900-2100 (a typo: no fee schedule,
            patient or contract is dated there, and date arithmetic near year 1 or 9999 overflows).
    """
    raw = text.strip()
    try:
        if len(raw) != 10 or not raw.isascii():
            raise ValueError
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise InputError(f"{text[:30]!r} is not a valid date: use YYYY-MM-DD, e.g. 2026-03-02") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InputError(f"{raw} is outside the years {MIN_YEAR}-{MAX_YEAR}; check the date")
    return day


def parse_year(text: str) -> int:
    if not ascii_digits(text.strip(), 4) or len(text.strip()) != 4:
        raise InputError(f"year must be 4 digits, e.g. 2026, got {text[:20]!r}")
    return int(text)


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json")) -> None:
    parser.add_argument("--format", choices=choices, default="table", help="output format (default: table)")


def add_pricing_options(parser: argparse.ArgumentParser, *, settings_both: bool, locality_all: bool = False) -> None:
    """--year, --locality, --pos/--setting, --cf, --no-floor."""
    parser.add_argument("--year", help="payment year (default: the newest tables)")
    where = "7-digit MAC+locality key (e.g. 0441299)" + (", 'national' or 'all'" if locality_all else " or 'national'")
    parser.add_argument("--locality", default=None, help=f"{where}; default: national")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--pos", help="place of service code (e.g. 11 office, 22 outpatient hospital)")
    choices = ["facility", "nonfacility", "both"] if settings_both else ["facility", "nonfacility"]
    group.add_argument("--setting", choices=choices, help="rate setting instead of a POS")
    parser.add_argument("--cf", choices=[v.value for v in CFVariant], default=CFVariant.NONQP.value,
                        help="conversion factor: nonqp (default) or qp (qualifying APM participant)")
    parser.add_argument("--no-floor", action="store_true", help="use the work GPCI without the 1.0 floor")


def settings_from(args: argparse.Namespace, tables: TableSet, default_both: bool) -> list[Setting]:
    """The settings asked for: from --pos (its mapped setting), --setting, or the default."""
    if args.pos is not None:
        return [tables.places.get(args.pos).setting]
    if args.setting in (None, "both"):
        return list(Setting) if (default_both or args.setting == "both") else [Setting.NONFACILITY]
    return [Setting(args.setting)]


def locality_from(args: argparse.Namespace, tables: TableSet, default: str = NATIONAL_KEY) -> str:
    """The locality key asked for, validated (``national`` when none)."""
    key = (args.locality or default).strip()
    if key.lower() == NATIONAL_KEY:
        return NATIONAL_KEY
    tables.localities.index(key)
    return key

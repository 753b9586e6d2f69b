"""Shared pieces of the command line: the argument parser type, option groups and value parsers.

Every command imports this module, so it imports only what every command needs (issue 17, start-up time):
the payer model (``estimator.core.payers``, with the encounter rules it pulls in) loads where a command
reads the practice profile or a date, and the database code when one is opened (``estimator.store.open``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from estimator import paths
from estimator.core.errors import InputError
from estimator.core.parsing import ascii_digits
from estimator.core.schedule import NATIONAL_KEY, CFVariant, Setting, TableSet, TablesInForce
from estimator.store.open import check_explicit_database, default_target, is_server, open_store, sqlite_path
from estimator.tables.shipped import TableCatalog, default_catalog

if TYPE_CHECKING:
    from estimator.core.payers import Practice
    from estimator.store.sql_store import SqlStore


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one clear line (no usage dump), exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


class Context:
    """What commands share: the table catalog (loaded on first use) and the database path."""

    def __init__(self, db: str | None = None, create: bool = False) -> None:
        self.db = db
        self.create = create
        self._catalog: TableCatalog | None = None
        self._store: SqlStore | None = None

    @property
    def db_target(self) -> str:
        """``--db``, ``ESTIMATOR_DB`` or the user-folder file: a SQLite path or a ``postgresql://`` URL."""
        return default_target(self.db)

    @property
    def db_path(self) -> Path:
        """The SQLite file (meaningless when the database is on a server: see ``db_target``)."""
        return sqlite_path(self.db_target)

    @property
    def store(self) -> SqlStore:
        """The practice database, opened (and created or migrated) on first use."""
        if self._store is None:
            target = self.db_target
            if is_server(target):
                self._store = open_store(target)
                return self._store
            path = self.db_path
            # A mistyped --db must not silently start an empty practice database (the app's rule too).
            new = check_explicit_database(self.db, self.create)
            warning = paths.network_warning(path)
            if warning:
                sys.stderr.write(f"estimator: warning: {warning}\n")
            self._store = open_store(target)
            if new:
                sys.stderr.write(f"estimator: created a new practice database at {path.resolve()}\n")
        return self._store

    def practice(self) -> Practice:
        """The practice profile, or an empty one where no database exists yet (nothing is created)."""
        if self._store is None and not is_server(self.db_target) and not self.db_path.exists():
            from estimator.core.payers import Practice  # noqa: PLC0415 - see the module docstring

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
    from estimator.core.payers import MAX_YEAR, MIN_YEAR  # noqa: PLC0415 - see the module docstring

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
    where = ("7-digit MAC+locality key (e.g. 0441299), ZIP code or name (e.g. Manhattan)"
             + (", 'national' or 'all'" if locality_all else " or 'national'"))
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


def resolve_locality(text: str, tables: TableSet, catalog: TableCatalog | None = None) -> str:
    """A locality typed as its 7-digit key, ``national``, a 5-digit ZIP code or (part of) its name, county or state.

    Raises:
        InputError: no locality matches, or several do (they are listed).
    """
    raw = text.strip()
    if raw.lower() == NATIONAL_KEY:
        return NATIONAL_KEY
    loc = tables.localities
    if re.fullmatch(r"\d{7}", raw):
        loc.index(raw)  # UnknownLocalityError names the key
        return raw
    if re.fullmatch(r"\d{5}(-\d{4})?", raw):
        entry = (catalog or default_catalog()).zip_codes(tables.year).get(raw[:5])
        if entry is None:
            raise InputError(f"--locality: ZIP code {raw[:5]} is not in the CMS ZIP code file; give the locality's "
                             "name or 7-digit key ('estimator localities --search TEXT' lists them)")
        return entry.locality_key
    needle = raw.upper()
    if not needle:
        raise InputError("--locality: give a 7-digit key, a ZIP code, a name or 'national'")
    keys, names, states = loc.keys.tolist(), loc.names.tolist(), loc.states.tolist()
    exact = [i for i, name in enumerate(names) if str(name).upper() == needle]
    hits = exact or [i for i in range(len(keys)) if needle in str(names[i]).upper()
                     or needle in str(loc.counties[i]).upper() or needle == str(states[i]).upper()]
    if len(hits) == 1:
        return str(keys[hits[0]])
    if not hits:
        raise InputError(f"--locality: no locality matches {raw!r}; use a 7-digit key, a ZIP code or a name "
                         "('estimator localities --search TEXT' lists them)")
    listed = "; ".join(f"{keys[i]} {states[i]} {names[i]}" for i in hits[:12])
    more = f" and {len(hits) - 12} more" if len(hits) > 12 else ""
    raise InputError(f"--locality: {raw!r} matches {len(hits)} localities ({listed}{more}); give one of the keys")


def locality_from(args: argparse.Namespace, tables: TableSet, default: str = NATIONAL_KEY,
                  catalog: TableCatalog | None = None) -> str:
    """The locality asked for (key, ZIP code or name), as its key (``national`` when none)."""
    return resolve_locality(args.locality or default, tables, catalog)


def tables_block(in_force: TablesInForce | None) -> dict[str, object] | None:
    """The ``"tables"`` object of every priced JSON output: release, year, provisional, note."""
    return None if in_force is None else in_force.as_dict()


def provisional_text(in_force: TablesInForce | None) -> list[str]:
    """The line a text output carries when its rates are provisional (none otherwise)."""
    return [f"PROVISIONAL: {in_force.note}"] if in_force is not None and in_force.provisional else []

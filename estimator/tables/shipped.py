"""The project's own table format (``rvu_tables/YEAR``): load it and pick a release (``estimator.tables.building``
builds it from raw CMS files).

A table folder holds ``manifest.json`` (release, effective date, every constant with its source, every
source file with its row count and sha256), ``rvu.csv``, ``localities.csv``, ``zip_localities.csv`` and
``places_of_service.csv``.  Files are plain, sorted CSV so a rebuild is byte-identical and diffs review well.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np

from estimator import paths
from estimator.core.errors import DataFileError, EstimatorError, InputError
from estimator.core.money import to_scaled
from estimator.core.ncci import AddOnEdit, NcciEdits, PtpEdits, UnitLimit
from estimator.core.pricing import check_exact
from estimator.core.schedule import (
    FeeSchedule,
    Localities,
    PlaceOfService,
    PlacesOfService,
    Policy,
    Setting,
    TableSet,
    TablesInForce,
)
from estimator.files import read_json_file
from estimator.tables import ptp_files, swap
from estimator.tables.cache import load_cached
from estimator.tables.provisional_cf import ProvisionalCF, read_provisional_cfs

SCHEMA: Final = 1
MANIFEST: Final = "manifest.json"
RVU_FILE: Final = "rvu.csv"
LOCALITY_FILE: Final = "localities.csv"
ZIP_FILE: Final = "zip_localities.csv"
POS_FILE: Final = "places_of_service.csv"
RVU_COLUMNS: Final = (
    "code", "modifier", "status", "work_rvu", "pe_nonfacility_rvu", "nonfacility_na", "pe_facility_rvu",
    "facility_na", "mp_rvu", "pctc", "global_days", "mult_proc", "bilateral", "assistant", "co_surgeons",
    "team_surgery", "hcpcs_ii_description",
)
LOCALITY_COLUMNS: Final = (
    "key", "mac", "locality", "state", "name", "counties", "work_gpci", "work_gpci_unfloored", "pe_gpci", "mp_gpci",
)
ZIP_COLUMNS: Final = ("zip", "state", "locality_key", "rural", "plus_four")
MUE_FILE: Final = "mue.csv"
AOC_FILE: Final = "aoc.csv"
MUE_COLUMNS: Final = ("code", "mue", "mai", "rationale")
AOC_COLUMNS: Final = ("add_on", "edit_type", "primary", "effective", "deleted")

@dataclass(frozen=True, slots=True)
class ZipEntry:
    """Where one 5-digit ZIP code is priced (CMS ZIP5 file)."""

    zip: str
    state: str
    locality_key: str
    rural: str  # '' urban, 'R' rural, 'B' super rural
    plus_four: bool  # some ZIP+4s of this ZIP price in another locality (ZIP9 file)


# --- package resources ------------------------------------------------------------------------------------

def resource_text(name: str) -> str:
    """A text file of this package (``policy.json``, ``code_labels.csv``, ``places_of_service.csv``)."""
    return resources.files("estimator.tables").joinpath(name).read_text(encoding="utf-8")


def policy_constants(year: int) -> dict[str, Any]:
    """The year's constants with their sources, from the package's ``policy.json``.

    Raises:
        InputError: the year has no constants.
    """
    table = json.loads(resource_text("policy.json"))
    if str(year) not in table:
        raise InputError(f"no payment-policy constants for {year}; known years: {', '.join(sorted(table))}")
    return dict(table[str(year)])


def code_labels() -> dict[str, str]:
    """Our own plain-language labels for the codes the app features (no AMA descriptors)."""
    return {r["code"]: r["label"] for r in csv.DictReader(io.StringIO(resource_text("code_labels.csv")))}


# --- loading ----------------------------------------------------------------------------------------------

def sha256_text(text: str) -> str:
    """The sha256 a manifest records for a table: of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_columns(path: Path, columns: Sequence[str], expected_sha: str | None) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read the table ({exc.strerror})") from None
    if expected_sha is not None and sha256_text(text) != expected_sha:
        raise DataFileError(str(path), None, None, "does not match the sha256 in manifest.json (the table was "
                            "changed or damaged; rebuild it with 'estimator tables build')")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != tuple(columns):
        raise DataFileError(str(path), 1, None, f"header is not {','.join(columns)}")
    body = rows[1:]
    for number, r in enumerate(body, start=2):
        if len(r) != len(columns):
            raise DataFileError(str(path), number, None, f"{len(r)} fields, expected {len(columns)}")
    return body


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a table folder.

    Raises:
        DataFileError: missing or not valid JSON of this schema.
    """
    path = folder / MANIFEST
    manifest = read_json_file(path)
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise DataFileError(str(path), None, "schema", f"unsupported table schema (this program reads {SCHEMA})")
    return manifest


def load_table_set(folder: Path) -> TableSet:
    """Load one table folder into typed numpy tables, verifying each file's checksum.

    Raises:
        DataFileError: a file is missing, damaged or does not match its manifest.
    """
    manifest = read_manifest(folder)
    sums = {name: entry["sha256"] for name, entry in manifest["tables"].items()}
    body = _read_columns(folder / RVU_FILE, RVU_COLUMNS, sums.get(RVU_FILE))
    cols = list(zip(*body, strict=True))

    def text(i: int) -> np.ndarray[Any, Any]:
        return np.array(cols[i], dtype=str)

    def rvus(i: int) -> np.ndarray[Any, Any]:
        return np.round(np.array(cols[i], dtype=np.float64) * 100).astype(np.int64)

    schedule = FeeSchedule(
        release=str(manifest["release"]), year=int(manifest["year"]), codes=text(0), modifiers=text(1),
        descriptions=text(16), status=text(2), work=rvus(3), pe_nonfacility=rvus(4),
        pe_facility=rvus(6), mp=rvus(8), nonfacility_na=text(5) == "NA", facility_na=text(7) == "NA",
        pctc=text(9), global_days=text(10), mult_proc=text(11), bilateral=text(12), assistant=text(13),
        co_surgeons=text(14), team_surgery=text(15),
        conversion_factor=to_scaled(manifest["constants"]["cf_nonqp"]["value"], 10_000),
    )
    loc = list(zip(*_read_columns(folder / LOCALITY_FILE, LOCALITY_COLUMNS, sums.get(LOCALITY_FILE)), strict=True))

    def gpci(i: int) -> np.ndarray[Any, Any]:
        return np.array([to_scaled(v, 1000) for v in loc[i]], dtype=np.int64)

    localities = Localities(
        keys=np.array(loc[0], dtype=str), macs=np.array(loc[1], dtype=str), numbers=np.array(loc[2], dtype=str),
        states=np.array(loc[3], dtype=str), names=np.array(loc[4], dtype=str),
        counties=np.array(loc[5], dtype=str), work=gpci(6), work_unfloored=gpci(7), pe=gpci(8), mp=gpci(9),
    )
    places = PlacesOfService({
        r[0]: PlaceOfService(r[0], r[1], Setting(r[2]))
        for r in _read_columns(folder / POS_FILE, ("code", "name", "setting"), sums.get(POS_FILE))
    })
    constants = manifest["constants"]
    policy = Policy(
        year=int(manifest["year"]),
        cf_nonqp=Decimal(constants["cf_nonqp"]["value"]), cf_qp=Decimal(constants["cf_qp"]["value"]),
        part_b_deductible=Decimal(constants["part_b_deductible"]["value"]),
        coinsurance=Decimal(constants["coinsurance"]["value"]),
        nonpar_rate=Decimal(constants["nonpar_rate"]["value"]),
        limiting_charge_rate=Decimal(constants["limiting_charge_rate"]["value"]),
        sequestration=Decimal(constants["sequestration"]["value"]),
        work_gpci_floor=bool(constants["work_gpci_floor"]["value"]),
        unfloored_work_gpci=bool(constants.get("unfloored_work_gpci", {"value": True})["value"]),
        sources={k: str(v["source"]) for k, v in constants.items()},
    )
    check_exact(schedule, localities, policy)
    ncci = _load_ncci(folder, manifest)
    return TableSet(
        year=int(manifest["year"]), release=str(manifest["release"]),
        effective=dt.date.fromisoformat(manifest["effective"]), schedule=schedule, localities=localities,
        places=places, policy=policy, labels=code_labels(), ncci=ncci,
    )


def _load_ncci(folder: Path, manifest: dict[str, Any]) -> NcciEdits:
    """The folder's MUE and AOC tables (empty where the release has none)."""
    info = manifest.get("ncci", {})
    sums = {name: entry["sha256"] for name, entry in manifest["tables"].items()}
    limits: dict[str, UnitLimit] = {}
    add_ons: dict[str, list[AddOnEdit]] = {}
    if MUE_FILE in sums:
        path = folder / MUE_FILE
        for number, (code, units, mai, rationale) in enumerate(_read_columns(path, MUE_COLUMNS, sums[MUE_FILE]), 2):
            if not (units.isdigit() and mai in ("1", "2", "3")):
                raise DataFileError(str(path), number, "mue" if not units.isdigit() else "mai", "not a valid value")
            limits[code] = UnitLimit(int(units), int(mai), rationale)
    if AOC_FILE in sums:
        path = folder / AOC_FILE
        for number, (add_on, kind, primary, start, end) in enumerate(
                _read_columns(path, AOC_COLUMNS, sums[AOC_FILE]), 2):
            try:
                edit = AddOnEdit(add_on, int(kind), primary, dt.date.fromisoformat(start),
                                 dt.date.fromisoformat(end) if end else None)
            except ValueError as exc:
                raise DataFileError(str(path), number, None, str(exc)) from None
            add_ons.setdefault(add_on, []).append(edit)
    quarter = str(info.get("aoc_quarter") or info.get("mue_effective") or "")
    return NcciEdits(quarter, limits, {k: tuple(v) for k, v in add_ons.items()})


def load_zip_codes(folder: Path) -> dict[str, ZipEntry]:
    """The ZIP -> locality table of a folder (loaded on demand: the estimate itself does not need it)."""
    sums = read_manifest(folder)["tables"]
    rows = _read_columns(folder / ZIP_FILE, ZIP_COLUMNS, sums.get(ZIP_FILE, {}).get("sha256"))
    return {r[0]: ZipEntry(r[0], r[1], r[2], r[3], r[4] == "1") for r in rows}


# --- choosing a release -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Release:
    """One table folder known to the catalog."""

    year: int
    release: str
    effective: dt.date
    folder: Path
    origin: str  # "shipped" or "imported"
    conversion_factor: str = ""  # the non-QP CF of its manifest


def import_hint(year: int) -> str:
    """How to import a year's first release, from the command line and in the app."""
    return (f"import it with 'estimator tables import RVU{year % 100:02d}A.zip' or, in the app, "
            "Fee tables > Import CMS release")


class TableCatalog:
    """Every table folder in the shipped and user roots; picks the release in force for a date of service.

    A year after the newest release is priced with the newest release, flagged provisional (see
    ``in_force``), with the practice's provisional conversion factor for that year where one was entered.
    """

    def __init__(self, roots: Sequence[tuple[Path, str]],
                 provisional_cfs: Mapping[int, ProvisionalCF] | None = None, cache_dir: Path | None = None,
                 ptp_root: Path | None = None) -> None:
        """``cache_dir``: where loaded tables are cached in binary form (see ``estimator.tables.cache``);
        ``ptp_root``: where the user's imported NCCI PTP edits are kept by year (``tables import-ptp``)."""
        self._cache_dir = cache_dir
        self._ptp_root = ptp_root
        self._ptp: dict[int, PtpEdits | None] = {}
        self._releases: list[Release] = []
        # Only the user's folders are locked: imports write there, never into the shipped tables.
        self._locked_roots = {root for root, origin in roots if origin == "imported"} | (
            {ptp_root} if ptp_root is not None else set())
        for root, origin in roots:
            if not root.is_dir():
                continue
            with self._reading(root):
                for folder in sorted(p for p in root.iterdir() if not p.name.startswith(".")
                                     and (p / MANIFEST).is_file()):
                    try:
                        manifest = read_manifest(folder)
                    except DataFileError as exc:
                        raise TablesDamagedError(f"fee-schedule tables damaged: {exc}; {_fix(origin)}") from None
                    self._releases.append(Release(
                        int(manifest["year"]), str(manifest["release"]), dt.date.fromisoformat(manifest["effective"]),
                        folder, origin, str(manifest["constants"]["cf_nonqp"]["value"])))
        # Newest effective date last; for the same release an imported copy wins over the shipped one.
        self._releases.sort(key=lambda r: (r.year, r.effective, r.origin == "imported"))
        self.provisional_cfs: dict[int, ProvisionalCF] = dict(provisional_cfs or {})
        self._loaded: dict[Path, TableSet] = {}
        self._in_use: dict[tuple[Path, int], TableSet] = {}
        self._zips: dict[Path, dict[str, ZipEntry]] = {}

    def releases(self) -> list[Release]:
        return list(self._releases)

    def set_provisional_cfs(self, provisional_cfs: Mapping[int, ProvisionalCF]) -> None:
        """Use these provisional CFs from now on (after ``tables set-cf``); loaded tables are kept."""
        self.provisional_cfs = dict(provisional_cfs)
        self._in_use.clear()

    def years(self) -> list[int]:
        return sorted({r.year for r in self._releases})

    def newest(self) -> Release:
        """The newest release of all.

        Raises:
            InputError: no tables at all.
        """
        if not self._releases:
            raise InputError("no fee-schedule tables found; reinstall the program or import a CMS release with "
                             "'estimator tables import FILE.zip'")
        return self._releases[-1]

    def release_for(self, year: int, on: dt.date | None = None) -> Release:
        """The newest release of ``year`` effective on ``on`` (or the earliest of the year before that).

        Raises:
            InputError: no tables for that year.
        """
        of_year = [r for r in self._releases if r.year == year]
        if not of_year:
            known = ", ".join(str(y) for y in self.years()) or "none"
            raise InputError(f"no fee-schedule tables for {year}; available years: {known}")
        if on is None:
            return of_year[-1]
        in_force = [r for r in of_year if r.effective <= on]
        return in_force[-1] if in_force else of_year[0]

    def in_force(self, year: int, on: dt.date | None = None) -> tuple[Release, TablesInForce]:
        """The release that prices ``year`` (on date ``on``), and whether it is provisional: the one place
        that decides.

        A year after the newest release is never refused: the newest release stands in for it, and the
        note says so in words a front desk understands, with how to import the real release.

        Raises:
            InputError: a year before the oldest tables, or between years with no tables.
        """
        newest = self.newest()
        if year <= newest.year:
            release = self.release_for(year, on)
            return release, TablesInForce(
                release.release, release.year, year, False,
                f"{year} Medicare rates ({release.release}, effective {release.effective.isoformat()})",
                f"{release.conversion_factor} ({release.release})")
        override = self.provisional_cfs.get(year)
        if override is not None:
            cf_text = override.describe()
            qp = (f", QP {override.cf_qp}" if override.cf_qp is not None
                  else f"; qualifying APM participants keep the {newest.year} QP factor")
            cf_words = (f"your provisional {year} conversion factor {override.cf} ({override.source}, entered "
                        f"{override.entered.isoformat()}{qp})")
        else:
            cf_text = f"{newest.conversion_factor} ({newest.release}; no {year} conversion factor entered)"
            cf_words = (f"the {newest.year} conversion factor {newest.conversion_factor} (enter the {year} one from "
                        f"the final rule with 'estimator tables set-cf --year {year}')")
        note = (f"{year} Medicare rates are not yet published: estimated with the {newest.year} rates "
                f"({newest.release}) and {cf_words}. CMS publishes RVU{year % 100:02d}A in December; "
                f"{import_hint(year)}.")
        return newest, TablesInForce(newest.release, newest.year, year, True, note, cf_text)

    def for_year(self, year: int) -> TableSet:
        return self._in_force_tables(*self.in_force(year))

    def for_date(self, on: dt.date) -> TableSet:
        return self._in_force_tables(*self.in_force(on.year, on))

    def zip_codes(self, year: int) -> dict[str, ZipEntry]:
        folder = self.in_force(year)[0].folder
        if folder not in self._zips:
            with self._reading(folder.parent):
                self._zips[folder] = load_zip_codes(folder)
        return self._zips[folder]

    def _in_force_tables(self, release: Release, in_force: TablesInForce) -> TableSet:
        key = (release.folder, in_force.for_year)
        if key not in self._in_use:
            tables = self._load(release.folder)
            override = self.provisional_cfs.get(in_force.for_year) if in_force.provisional else None
            if override is not None:
                # Without a QP factor from the rule, QPs keep the newest release's (the note says so).
                policy = dataclasses.replace(
                    tables.policy, cf_nonqp=override.cf,
                    cf_qp=override.cf_qp if override.cf_qp is not None else tables.policy.cf_qp,
                    sources={**tables.policy.sources, "cf_nonqp": override.describe(),
                             **({"cf_qp": override.describe()} if override.cf_qp is not None else {})})
                schedule = dataclasses.replace(tables.schedule, conversion_factor=to_scaled(override.cf, 10_000))
                tables = dataclasses.replace(tables, policy=policy, schedule=schedule)
            ptp = self.ptp_for(in_force.for_year)
            if ptp is not None:
                tables = dataclasses.replace(tables, ncci=dataclasses.replace(tables.ncci, ptp=ptp))
            self._in_use[key] = dataclasses.replace(tables, in_force=in_force)
        return self._in_use[key]

    def ptp_years(self) -> dict[int, dict[str, Any]]:
        """The manifest of every year whose NCCI PTP edits the user imported."""
        if self._ptp_root is None:
            return {}
        with self._reading(self._ptp_root):
            return ptp_files.stored_years(self._ptp_root)

    def ptp_for(self, year: int) -> PtpEdits | None:
        """The PTP edits imported for dates of service in ``year`` (``None``: none imported).

        Raises:
            TablesDamagedError: the year's import is damaged (with how to import it again).
        """
        if self._ptp_root is None:
            return None
        if year not in self._ptp:
            folder = self._ptp_root / str(year)
            if not (folder / ptp_files.MANIFEST).is_file():
                self._ptp[year] = None
            else:
                try:
                    with self._reading(self._ptp_root):
                        self._ptp[year] = ptp_files.load_ptp(folder)
                except DataFileError as exc:
                    raise TablesDamagedError(f"imported NCCI PTP edits damaged: {exc}; import CMS's PTP file again "
                                             f"with 'estimator tables import-ptp FILE --year {year}'") from None
        return self._ptp[year]

    def _load(self, folder: Path) -> TableSet:
        if folder not in self._loaded:
            try:
                with self._reading(folder.parent):
                    self._loaded[folder] = load_cached(folder, load_table_set, self._cache_dir)
            except DataFileError as exc:
                origin = next((r.origin for r in self._releases if r.folder == folder), "imported")
                raise TablesDamagedError(f"fee-schedule tables damaged: {exc}; {_fix(origin)}") from None
        return self._loaded[folder]

    def _reading(self, root: Path) -> contextlib.AbstractContextManager[bool]:
        return swap.reading(root) if root in self._locked_roots else contextlib.nullcontext(True)

    def check_complete(self) -> None:
        """Every release's files are present (a quick check before the app opens a window).

        Raises:
            TablesDamagedError: no release at all, or a file named in a manifest is missing.
        """
        if not self._releases:
            raise TablesDamagedError(f"no fee-schedule tables found; {_fix('shipped')}")
        for release in self._releases:
            for name in read_manifest(release.folder)["tables"]:
                if not (release.folder / name).is_file():
                    raise TablesDamagedError(f"fee-schedule tables incomplete: {release.folder / name} is missing; "
                                             f"{_fix(release.origin)}")


class TablesDamagedError(EstimatorError):
    """The fee-schedule tables are missing or damaged; the message names the file and how to get it back."""


def _fix(origin: str) -> str:
    if origin == "shipped":
        return ("the installation is incomplete or damaged: reinstall the estimator (the desktop build, or "
                "'python -m pip install --force-reinstall ak-estimator')")
    return ("import that CMS release again with 'estimator tables import' "
            "(or Fee tables > Import CMS release… in the app)")


def default_catalog() -> TableCatalog:
    """Shipped tables plus whatever the user imported (an interrupted import is finished or rolled back
    first), with the practice's provisional conversion factors.

    Raises:
        TablesDamagedError: the package carries no tables (an incomplete installation).
    """
    shipped = paths.shipped_tables_root()
    if not shipped.is_dir() or not any((p / MANIFEST).is_file() for p in shipped.iterdir()):
        raise TablesDamagedError(f"no fee-schedule tables in {shipped}; {_fix('shipped')}")
    user_root = paths.user_tables_root()
    swap.recover(user_root)
    ptp_root = user_root / ptp_files.FOLDER
    swap.recover(ptp_root)
    return TableCatalog([(shipped, "shipped"), (user_root, "imported")], read_provisional_cfs(user_root),
                        cache_dir=paths.user_cache_dir(), ptp_root=ptp_root)

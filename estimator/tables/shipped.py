"""The project's own table format (``rvu_tables/YEAR``): build it from raw CMS files, load it, pick a release.

A table folder holds ``manifest.json`` (release, effective date, every constant with its source, every
source file with its row count and sha256), ``rvu.csv``, ``localities.csv``, ``zip_localities.csv`` and
``places_of_service.csv``.  Files are plain, sorted CSV so a rebuild is byte-identical and diffs review well.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np

from estimator import paths
from estimator.core.errors import DataFileError, InputError
from estimator.core.money import to_scaled
from estimator.core.pricing import check_exact
from estimator.core.schedule import (
    FeeSchedule,
    Localities,
    PlaceOfService,
    PlacesOfService,
    Policy,
    Setting,
    TableSet,
)
from estimator.tables import cms_files
from estimator.tables.cache import load_cached
from estimator.tables.cms_files import MONTH_NUMBER, CountyRow, GpciRow, RvuFile, ZipRow

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

Progress = Callable[[str, float], None]


def _no_progress(step: str, fraction: float) -> None:
    """Default progress sink: say nothing."""


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """Where one 5-digit ZIP code is priced (CMS ZIP5 file)."""

    zip: str
    state: str
    locality_key: str
    rural: str  # '' urban, 'R' rural, 'B' super rural
    plus_four: bool  # some ZIP+4s of this ZIP price in another locality (ZIP9 file)


# --- package resources ------------------------------------------------------------------------------------

def _resource_text(name: str) -> str:
    return resources.files("estimator.tables").joinpath(name).read_text(encoding="utf-8")


def policy_constants(year: int) -> dict[str, Any]:
    """The year's constants with their sources, from the package's ``policy.json``.

    Raises:
        InputError: the year has no constants.
    """
    table = json.loads(_resource_text("policy.json"))
    if str(year) not in table:
        raise InputError(f"no payment-policy constants for {year}; known years: {', '.join(sorted(table))}")
    return dict(table[str(year)])


def code_labels() -> dict[str, str]:
    """Our own plain-language labels for the codes the app features (no AMA descriptors)."""
    return {r["code"]: r["label"] for r in csv.DictReader(io.StringIO(_resource_text("code_labels.csv")))}


# --- building ---------------------------------------------------------------------------------------------

def _find(source: Path, patterns: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        found.extend(p for p in source.rglob(pattern) if p.is_file())
    return sorted(set(found))


def _pick_rvu(source: Path, year: int, release: str | None) -> Path:
    candidates = [p for p in _find(source, [f"PPRRVU{year}*", f"pprrvu{year}*", f"PPRRVU{year % 100:02d}*"])
                  if p.suffix.lower() in (".csv", ".txt")]
    if release:
        candidates = [p for p in candidates if cms_files.period_from_name(p, year)[1] == _release_month(release)]
    if not candidates:
        raise DataFileError(str(source), None, None, f"no PPRRVU file for {year}"
                            f"{' release ' + release if release else ''} (expected e.g. PPRRVU{year}_Jul_nonQPP.csv)")

    def order(p: Path) -> tuple[int, int]:
        # Newest release first; for one release prefer the CSV (it carries the release date).
        return MONTH_NUMBER[cms_files.period_from_name(p, year)[1]], p.suffix.lower() == ".csv"

    return max(candidates, key=order)


def _release_month(release: str) -> str:
    letter = release.strip().upper()[-1:]
    months = {v: k for k, v in cms_files.MONTH_LETTER.items()}
    if letter not in months:
        raise InputError(f"release {release!r} is not of the form RVU26C")
    return months[letter]


def _pick_gpci(source: Path, year: int) -> Path:
    found = _find(source, [f"GPCI{year}.csv", f"GPCI{year}.txt", f"GPCI{year}*.csv", f"GPCI{year}*.txt"])
    if not found:
        raise DataFileError(str(source), None, None, f"no GPCI{year} file (Addendum E) found")
    return sorted(found, key=lambda p: p.suffix.lower() != ".csv")[0]


def _pick_locco(source: Path, year: int) -> tuple[Path, Path | None] | None:
    texts = [p for p in _find(source, ["*LOCCO*.txt", "*locco*.txt"]) if p.name[:2].isdigit()]
    usable = [p for p in texts if 2000 + int(p.name[:2]) <= year]
    if not usable:
        return None
    text = max(usable, key=lambda p: p.name[:2])
    copy = text.with_suffix(".csv")
    return text, copy if copy.is_file() else None


def _pick_zip5(source: Path, year: int) -> Path | None:
    usable = []
    for p in _find(source, ["ZIP5_*.txt", "zip5_*.txt"]):
        period = cms_files.period_from_name(p, None) if any(m in p.name.upper() for m in MONTH_NUMBER) else None
        if period and period[0] <= year:
            usable.append((period[0], MONTH_NUMBER[period[1]], p))
    return max(usable)[2] if usable else None


def _source_entry(role: str, path: Path, release: str, rows: int) -> dict[str, Any]:
    return {"role": role, "file": path.name, "release": release, "rows": rows, "sha256": cms_files.sha256(path)}


def build_tables(
    source: Path,
    year: int,
    out: Path,
    *,
    release: str | None = None,
    fallback: Path | None = None,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """Build one year's tables from raw CMS files found under ``source`` and write them to ``out``.

    Everything is read and validated before anything is written; the folder is then replaced in one
    rename, so a failure leaves any existing tables untouched.

    Args:
        source: a folder searched recursively for PPRRVU, GPCI, LOCCO and ZIP5 files.
        year: the payment year.
        out: the table folder to (re)write.
        release: pick a specific release (e.g. ``RVU26B``) instead of the newest.
        fallback: an existing table folder of the same year whose county and ZIP tables are reused when
            ``source`` has no LOCCO or ZIP5 file (a quarterly release ships neither).
        progress: called with (step, fraction done).

    Returns:
        The manifest written.

    Raises:
        DataFileError: a file is missing or malformed (file, line and field named).
        InputError: the year has no policy constants.
    """
    policy = policy_constants(year)
    progress("reading the RVU file", 0.05)
    rvu_path = _pick_rvu(source, year, release)
    rvu = cms_files.read_pprrvu(rvu_path, year)
    if rvu.year != year:
        raise DataFileError(str(rvu_path), None, None, f"is a {rvu.year} file, not {year}")
    if rvu.conversion_factor != Decimal(policy["cf_nonqp"]["value"]):
        raise DataFileError(str(rvu_path), None, "CONV FACTOR", f"{rvu.conversion_factor} differs from the {year} "
                            f"conversion factor {policy['cf_nonqp']['value']} in policy.json")
    progress("reading the GPCI file", 0.45)
    gpci_path = _pick_gpci(source, year)
    gpcis = cms_files.read_gpci(gpci_path)
    keys = {g.key for g in gpcis}
    sources = [_source_entry("rvu", rvu_path, rvu.release, len(rvu.rows)),
               _source_entry("gpci", gpci_path, rvu.release, len(gpcis))]
    notes: list[str] = []

    progress("reading the county crosswalk", 0.55)
    locco = _pick_locco(source, year)
    counties: dict[str, str]
    if locco is not None:
        county_rows = cms_files.read_locco(*locco)
        counties = _merge_counties(county_rows)
        sources.append(_source_entry("counties", locco[0], f"{locco[0].name[:2]}LOCCO", len(county_rows)))
        if locco[1] is not None:
            sources.append(_source_entry("counties_full_text", locco[1], f"{locco[1].name[:2]}LOCCO", len(county_rows)))
        if 2000 + int(locco[0].name[:2]) != year:
            notes.append(f"counties from {locco[0].name}: no {year % 100:02d}LOCCO was available; "
                         "the locality keys are identical")
    elif fallback is not None:
        counties = {r["key"]: r["counties"] for r in _read_csv(fallback / LOCALITY_FILE)}
        notes.append(f"counties reused from the shipped {year} tables (the release has no LOCCO file)")
    else:
        raise DataFileError(str(source), None, None, f"no locality->county crosswalk (e.g. {year % 100:02d}LOCCO.txt)")
    missing = sorted(keys - counties.keys())
    if missing:
        notes.append(f"no county list for localities {', '.join(missing)}")

    progress("reading the ZIP code file", 0.7)
    zip_path = _pick_zip5(source, year)
    zips: list[ZipRow] | list[dict[str, str]]
    if zip_path is not None:
        zips = cms_files.read_zip5(zip_path)
        unknown = sorted({z.key for z in zips} - keys)
        if unknown:
            raise DataFileError(str(zip_path), None, "Carrier/Pricing Locality",
                                f"ZIP codes point to localities missing from {gpci_path.name}: "
                                f"{', '.join(unknown[:5])}")
        sources.append(_source_entry("zip_codes", zip_path, f"ZIP5 {zips[0].quarter}", len(zips)))
        zip_rows = [[z.zip, z.state, z.key, z.rural, "1" if z.plus_four else "0"] for z in zips]
    elif fallback is not None:
        zip_rows = [[r[c] for c in ZIP_COLUMNS] for r in _read_csv(fallback / ZIP_FILE)]
        notes.append(f"ZIP codes reused from the shipped {year} tables (the release has no ZIP5 file)")
    else:
        raise DataFileError(str(source), None, None, "no ZIP5 file (ZIP code to carrier locality)")

    progress("writing the tables", 0.85)
    effective = dt.date(year, MONTH_NUMBER[rvu.month], 1)
    files = {
        RVU_FILE: _csv_text(RVU_COLUMNS, _rvu_records(rvu)),
        LOCALITY_FILE: _csv_text(LOCALITY_COLUMNS, _locality_records(gpcis, counties)),
        ZIP_FILE: _csv_text(ZIP_COLUMNS, sorted(zip_rows)),
        POS_FILE: _resource_text(POS_FILE),
    }
    manifest = {
        "schema": SCHEMA,
        "year": year,
        "release": rvu.release,
        "effective": effective.isoformat(),
        "released": rvu.released,
        "constants": {k: v for k, v in policy.items() if k != "effective"},
        "sources": sources,
        "tables": {name: {"rows": text.count("\n") - 1, "sha256": _sha(text)} for name, text in files.items()},
        "notes": notes,
    }
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    _write_folder_atomically(out, files)
    progress("done", 1.0)
    return manifest


def _merge_counties(rows: Sequence[CountyRow]) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for r in rows:
        merged.setdefault(r.key, [])
        if r.counties not in merged[r.key]:
            merged[r.key].append(r.counties)
    return {k: "; ".join(v) for k, v in merged.items()}


def _rvu_records(rvu: RvuFile) -> list[list[str]]:
    def d(v: int) -> str:
        return f"{Decimal(v) / 100:.2f}"

    rows = sorted(rvu.rows, key=lambda r: (r.code, r.modifier))
    return [[r.code, r.modifier, r.status, d(r.work), d(r.pe_nonfacility), "NA" if r.nonfacility_na else "",
             d(r.pe_facility), "NA" if r.facility_na else "", d(r.mp), r.pctc, r.global_days, r.mult_proc,
             r.bilateral, r.assistant, r.co_surgeons, r.team_surgery, r.description] for r in rows]


def _locality_records(gpcis: Sequence[GpciRow], counties: dict[str, str]) -> list[list[str]]:
    def g(v: int) -> str:
        return f"{Decimal(v) / 1000:.3f}"

    return [[r.key, r.mac, r.number, r.state, r.name, counties.get(r.key, ""), g(r.work), g(r.work_unfloored),
             g(r.pe), g(r.mp)] for r in sorted(gpcis, key=lambda r: r.key)]


def _csv_text(columns: Sequence[str], records: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(records)
    return buffer.getvalue()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_folder_atomically(out: Path, files: dict[str, str]) -> None:
    """Write every file into a sibling temp folder, then swap it in; the old folder survives any failure."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    staging.chmod(0o755)
    try:
        for name, text in files.items():
            with (staging / name).open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        old = out.with_name(f".{out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        staging.rename(out)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# --- loading ----------------------------------------------------------------------------------------------

def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read the table ({exc.strerror})") from None


def _read_columns(path: Path, columns: Sequence[str], expected_sha: str | None) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read the table ({exc.strerror})") from None
    if expected_sha is not None and _sha(text) != expected_sha:
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
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), exc.lineno, None, f"not valid JSON ({exc.msg})") from None
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
        sources={k: str(v["source"]) for k, v in constants.items()},
    )
    check_exact(schedule, localities, policy)
    return TableSet(
        year=int(manifest["year"]), release=str(manifest["release"]),
        effective=dt.date.fromisoformat(manifest["effective"]), schedule=schedule, localities=localities,
        places=places, policy=policy, labels=code_labels(),
    )


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


class TableCatalog:
    """Every table folder in the shipped and user roots; picks the release in force for a date of service."""

    def __init__(self, roots: Sequence[tuple[Path, str]], cache_dir: Path | None = None) -> None:
        """``cache_dir``: where loaded tables are cached in binary form (see ``estimator.tables.cache``)."""
        self._cache_dir = cache_dir
        self._releases: list[Release] = []
        for root, origin in roots:
            if not root.is_dir():
                continue
            for folder in sorted(p for p in root.iterdir() if (p / MANIFEST).is_file()):
                manifest = read_manifest(folder)
                self._releases.append(Release(int(manifest["year"]), str(manifest["release"]),
                                              dt.date.fromisoformat(manifest["effective"]), folder, origin))
        # Newest effective date last; for the same release an imported copy wins over the shipped one.
        self._releases.sort(key=lambda r: (r.year, r.effective, r.origin == "imported"))
        self._loaded: dict[Path, TableSet] = {}
        self._zips: dict[Path, dict[str, ZipEntry]] = {}

    def releases(self) -> list[Release]:
        return list(self._releases)

    def years(self) -> list[int]:
        return sorted({r.year for r in self._releases})

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

    def for_year(self, year: int) -> TableSet:
        return self._load(self.release_for(year).folder)

    def for_date(self, on: dt.date) -> TableSet:
        return self._load(self.release_for(on.year, on).folder)

    def zip_codes(self, year: int) -> dict[str, ZipEntry]:
        folder = self.release_for(year).folder
        if folder not in self._zips:
            self._zips[folder] = load_zip_codes(folder)
        return self._zips[folder]

    def _load(self, folder: Path) -> TableSet:
        if folder not in self._loaded:
            self._loaded[folder] = load_cached(folder, load_table_set, self._cache_dir)
        return self._loaded[folder]


def import_release(
    source: Path, user_root: Path, catalog: TableCatalog, progress: Progress = _no_progress
) -> dict[str, Any]:
    """Build a user copy of the newest release found under ``source`` (a quarterly CMS RVU package).

    ZIP and county tables missing from the package are reused from the catalog's tables of that year.
    Nothing in ``user_root`` changes unless the whole release is valid.

    Raises:
        InputError: no PPRRVU file under ``source``.
        DataFileError: a malformed file (named with its line and field).
    """
    years = sorted({int(m.group(1)) for p in source.rglob("*")
                    if (m := re.search(r"PPRRVU(20\d\d)", p.name.upper()))})
    if not years:
        raise InputError(f"no PPRRVU file found under {source}: a CMS release has e.g. PPRRVU2026_Oct_nonQPP.csv")
    year = years[-1]
    fallback = catalog.release_for(year).folder if year in catalog.years() else None
    staging = user_root / f".import-{year}"
    manifest = build_tables(source, year, staging, fallback=fallback, progress=progress)
    final = user_root / f"{year}-{manifest['release']}"
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    return manifest


def default_catalog() -> TableCatalog:
    """Shipped tables plus whatever the user imported."""
    return TableCatalog([(paths.shipped_tables_root(), "shipped"), (paths.user_tables_root(), "imported")],
                        cache_dir=paths.user_cache_dir())

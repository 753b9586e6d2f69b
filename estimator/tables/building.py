"""Building the project's table format (``rvu_tables/YEAR``, see ``estimator.tables.shipped``) from raw CMS files.

Apart from the loader and the catalog so that reading the tables (every start-up, every command) does not
import the CMS file readers (``cms_files``, ``ncci_files``: regular expressions, zip and xlsx); only
``estimator tables build`` and a release import do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from estimator.core.errors import DataFileError, InputError
from estimator.tables import cms_files, ncci_files
from estimator.tables.cms_files import MONTH_NUMBER, CountyRow, GpciRow, RvuFile, ZipRow
from estimator.tables.shipped import (
    AOC_COLUMNS,
    AOC_FILE,
    LOCALITY_COLUMNS,
    LOCALITY_FILE,
    MANIFEST,
    MUE_COLUMNS,
    MUE_FILE,
    POS_FILE,
    RVU_COLUMNS,
    RVU_FILE,
    SCHEMA,
    ZIP_COLUMNS,
    ZIP_FILE,
    policy_constants,
    read_manifest,
    resource_text,
    sha256_text,
)

Progress = Callable[[str, float], None]


def _no_progress(step: str, fraction: float) -> None:
    """Default progress sink: say nothing."""


# --- choosing the CMS files -------------------------------------------------------------------------

def _find(source: Path, patterns: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        found.extend(p for p in source.rglob(pattern) if p.is_file())
    return sorted(set(found))


def _pick_rvu(source: Path, year: int, release: str | None) -> Path:
    candidates = [p for p in _find(source, [f"PPRRVU{year}*", f"pprrvu{year}*", f"PPRRVU{year % 100:02d}*"])
                  if p.suffix.lower() in (".csv", ".txt") and not _is_qpp(p)]
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
        InputError: a year older than the policy table's years (a newer one takes its CF from the release).
    """
    progress("reading the RVU file", 0.05)
    rvu_path = _pick_rvu(source, year, release)
    rvu = cms_files.read_pprrvu(rvu_path, year)
    if rvu.year != year:
        raise DataFileError(str(rvu_path), None, None, f"is a {rvu.year} file, not {year}")
    notes: list[str] = []
    if str(year) in _policy_table():
        policy = policy_constants(year)
        if rvu.conversion_factor != Decimal(policy["cf_nonqp"]["value"]):
            raise DataFileError(str(rvu_path), None, "CONV FACTOR", f"{rvu.conversion_factor} differs from the "
                                f"{year} conversion factor {policy['cf_nonqp']['value']} in policy.json")
    else:
        policy = _new_year_constants(source, year, rvu, notes)
    progress("reading the GPCI file", 0.45)
    gpci_path = _pick_gpci(source, year)
    gpcis = cms_files.read_gpci(gpci_path)
    keys = {g.key for g in gpcis}
    sources = [_source_entry("rvu", rvu_path, rvu.release, len(rvu.rows)),
               _source_entry("gpci", gpci_path, rvu.release, len(gpcis))]
    reused_from = read_manifest(fallback)["release"] if fallback is not None else ""

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
        notes.append(f"counties reused from {reused_from} (the release has no LOCCO file)")
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
        notes.append(f"ZIP codes reused from {reused_from} (the release has no ZIP5 file)")
    else:
        raise DataFileError(str(source), None, None, "no ZIP5 file (ZIP code to carrier locality)")

    progress("reading the NCCI edit tables", 0.8)
    ncci_tables, ncci = _ncci_tables(source, year, fallback, sources, notes)

    progress("writing the tables", 0.85)
    effective = dt.date(year, MONTH_NUMBER[rvu.month], 1)
    files = {
        RVU_FILE: _csv_text(RVU_COLUMNS, _rvu_records(rvu)),
        LOCALITY_FILE: _csv_text(LOCALITY_COLUMNS, _locality_records(gpcis, counties)),
        ZIP_FILE: _csv_text(ZIP_COLUMNS, sorted(zip_rows)),
        POS_FILE: resource_text(POS_FILE),
        **ncci_tables,
    }
    if fallback is not None:
        _carry_over(fallback, files, sources, notes)
    manifest = {
        "schema": SCHEMA,
        "year": year,
        "release": rvu.release,
        "effective": effective.isoformat(),
        "released": rvu.released,
        "constants": {k: v for k, v in policy.items() if k != "effective"},
        "sources": sources,
        "tables": {name: {"rows": text.count("\n") - 1, "sha256": sha256_text(text)} for name, text in files.items()},
        "notes": notes,
    }
    if ncci:
        manifest["ncci"] = ncci
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    _write_folder_atomically(out, files)
    progress("done", 1.0)
    return manifest


def _policy_table() -> dict[str, Any]:
    return dict(json.loads(resource_text("policy.json")))


def _new_year_constants(source: Path, year: int, rvu: RvuFile, notes: list[str]) -> dict[str, Any]:
    """Constants for a year newer than this program knows: the CF from the release itself (its CONV
    FACTOR column; the QP factor from its QPP file where included), the rest carried from the newest
    known year and labelled so (they change by law or CMS notice, not in the RVU file)."""
    table = _policy_table()
    known = max(table, key=int)
    if year < int(known):
        raise InputError(f"no payment-policy constants for {year} (this program knows {', '.join(sorted(table))}); "
                         "only a year newer than those can take its constants from the release")
    carried = {k: {"value": v["value"], "source": f"carried from {known} (not yet in this program's policy "
                                                    f"table): {v['source']}"}
               for k, v in table[known].items() if k != "effective"}
    carried["cf_nonqp"] = {"value": str(rvu.conversion_factor),
                           "source": f"{rvu.path.name} CONV FACTOR column ({rvu.release})"}
    qpp = [p for p in _find(source, [f"PPRRVU{year}*QPP*", f"pprrvu{year}*qpp*"])
           if p.suffix.lower() in (".csv", ".txt") and _is_qpp(p)]
    if qpp:
        qp = cms_files.read_pprrvu(max(qpp, key=lambda p: p.suffix.lower() == ".csv"), year)
        carried["cf_qp"] = {"value": str(qp.conversion_factor), "source": f"{qp.path.name} CONV FACTOR column"}
    else:
        carried["cf_qp"] = {"value": str(rvu.conversion_factor),
                            "source": f"no QPP file in {rvu.release}: the non-QP factor is used for QPs too"}
        notes.append(f"no QPP PPRRVU file in {rvu.release}: the QP conversion factor is the non-QP one")
    notes.append(f"{year} is newer than this program's policy table: deductible, coinsurance and the other "
                 f"constants are carried from {known}")
    return carried


def _carry_over(fallback: Path, files: dict[str, str], sources: list[dict[str, Any]], notes: list[str]) -> None:
    """Every other table the fallback release lists (e.g. the NCCI tables) rides along into the new
    release, verified against its sha256, with its source entries and a note, so a quarterly release
    that does not include it still has it."""
    manifest = read_manifest(fallback)
    built_roles = {e["role"] for e in sources} | {"counties", "counties_full_text", "zip_codes"}
    for name, entry in sorted(manifest["tables"].items()):
        if name in files:
            continue
        text = _read_table_text(fallback / name, entry.get("sha256"))
        files[name] = text
        notes.append(f"{name} reused from {manifest['release']} (the release has no newer source for it)")
    for entry in manifest.get("sources", []):
        if entry.get("role") not in built_roles:
            sources.append({**entry, "reused_from": manifest["release"]})


def _read_table_text(path: Path, expected_sha: str | None) -> str:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), None, None, f"cannot read the table ({exc})") from None
    if expected_sha is not None and sha256_text(text) != expected_sha:
        raise DataFileError(str(path), None, None, "does not match the sha256 in manifest.json (the table was "
                            "changed or damaged; rebuild it with 'estimator tables build')")
    return text


def _is_qpp(path: Path) -> bool:
    """A PPRRVU file of qualifying APM participants (``..._QPP``), not the ``nonQPP`` one."""
    return re.search(r"(?<!NON)QPP", path.name.upper()) is not None


def _ncci_tables(source: Path, year: int, fallback: Path | None, sources: list[dict[str, Any]],
                 notes: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``mue.csv`` and ``aoc.csv`` from the year's newest NCCI practitioner files under ``source``.

    Without them, a ``fallback`` folder's tables are reused (a quarterly RVU package has none); a year
    with neither (2025 here) has no NCCI tables and the rules say so.
    """
    mues = [p for p in _find(source, ["*MUE*Practitioner*.csv", "*mue*practitioner*.csv"])
            if (eff := ncci_files.mue_effective(p)) is not None and eff.year == year]
    aocs = [p for p in _find(source, ["AOC_V*.xlsx", "aoc_v*.xlsx"])
            if (period := ncci_files.aoc_quarter(p)) is not None and period[1].year == year]
    tables: dict[str, str] = {}
    info: dict[str, str] = {}
    if mues:
        mue = ncci_files.read_mue(max(mues, key=lambda p: ncci_files.mue_effective(p) or dt.date.min))
        tables[MUE_FILE] = _csv_text(MUE_COLUMNS, [[code, str(limit.units), str(limit.mai), limit.rationale]
                                                   for code, limit in sorted(mue.limits.items())])
        sources.append({**_source_entry("mue", mue.path, f"MUE {mue.effective.isoformat()}", len(mue.limits)),
                        "notice": mue.notice})
        info["mue_effective"] = mue.effective.isoformat()
    if aocs:
        aoc = ncci_files.read_aoc(max(aocs, key=lambda p: p.name.upper()))
        start = dt.date(year, 1, 1)
        kept = sorted({(e.add_on, str(e.edit_type), e.primary, e.effective.isoformat(),
                        e.deleted.isoformat() if e.deleted else "")
                       for e in aoc.edits if e.deleted is None or e.deleted >= start})
        tables[AOC_FILE] = _csv_text(AOC_COLUMNS, kept)
        sources.append({**_source_entry("aoc", aoc.path, f"AOC {aoc.quarter}", len(aoc.edits)), "notice": aoc.notice})
        info["aoc_quarter"] = aoc.quarter
    if fallback is not None:
        old = read_manifest(fallback).get("ncci", {}) if (fallback / MANIFEST).is_file() else {}
        for name, key in ((MUE_FILE, "mue_effective"), (AOC_FILE, "aoc_quarter")):
            if name not in tables and (fallback / name).is_file() and key in old:
                tables[name] = (fallback / name).read_text(encoding="utf-8")
                info[key] = old[key]
                notes.append(f"{name} reused from the {year} tables it replaces (the release has no such file)")
    return tables, info


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


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read the table ({exc.strerror})") from None

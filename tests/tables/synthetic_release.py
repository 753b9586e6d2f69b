"""A synthetic "next-year" CMS release, built from the shipped 2026 tables for tests (never real data).

It is laid out as CMS publishes a January release: ``PPRRVU{year}_Jan_nonQPP.csv`` (the CSV layout) and
``GPCI{year}.csv`` (Addendum E), without LOCCO or ZIP5 files, so an import reuses those tables.  Every
work RVU above zero is raised by ``WORK_SHIFT`` hundredths and the conversion factor is ``CF``: both differ
from 2026, so a test can tell which release priced a date.
"""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal
from pathlib import Path

from tests.conftest import SHIPPED_TABLES

CF = "33.7500"  # synthetic, not a published conversion factor
WORK_SHIFT = Decimal("0.01")
PPRRVU_HEADER = ("HCPCS", "MOD", "DESCRIPTION", "STATUS CODE", "WORK RVU", "NON-FAC PE RVU", "NON-FAC NA INDICATOR",
                 "FACILITY PE RVU", "FACILITY NA INDICATOR", "MP RVU", "NON-FACILITY TOTAL", "FACILITY TOTAL",
                 "PCTC IND", "GLOB DAYS", "MULT PROC", "BILAT SURG", "ASST SURG", "CO- SURG", "TEAM SURG",
                 "CONV FACTOR")


def shifted_work(work: str) -> Decimal:
    value = Decimal(work)
    return value + WORK_SHIFT if value > 0 else value


#: 1-based inclusive positions of the fixed-width PPRRVU TXT layout (RVU26B.pdf, "DATA RECORD").
TXT_FIELDS = {"code": (1, 5), "modifier": (6, 7), "description": (8, 57), "status": (58, 58), "work": (60, 65),
              "pe_n": (67, 72), "na_n": (73, 74), "pe_f": (76, 81), "na_f": (82, 83), "mp": (85, 89),
              "total_n": (91, 96), "total_f": (97, 102), "pctc": (103, 103), "global": (104, 106),
              "mult": (116, 116), "bilat": (117, 117), "asst": (118, 118), "co": (119, 119), "team": (120, 120),
              "cf": (133, 140)}


def _txt_record(values: dict[str, str]) -> str:
    line = [" "] * 200
    for name, (start, end) in TXT_FIELDS.items():
        text = values[name]
        width = end - start + 1
        text = text.rjust(width) if name in ("work", "pe_n", "pe_f", "mp", "total_n", "total_f") else \
            text[:width].ljust(width)
        line[start - 1:end] = list(text)
    return "".join(line).rstrip().ljust(140)


def write_release(folder: Path, year: int = 2027, cf: str = CF, layout: str = "csv") -> Path:
    """Write the release's files into ``folder`` (created) and return it; the PPRRVU file in the CSV or
    the fixed-width TXT layout."""
    folder.mkdir(parents=True, exist_ok=True)
    with (SHIPPED_TABLES / "2026" / "rvu.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if layout == "txt":
        with (folder / f"PPRRVU{year % 100:02d}_JAN.txt").open("w", encoding="latin-1", newline="\r\n") as out:
            out.write(f"HDR SYNTHETIC {year} JANUARY RELEASE (TEST DATA)\n")
            for r in rows:
                work = shifted_work(r["work_rvu"])
                pe_n, pe_f = Decimal(r["pe_nonfacility_rvu"]), Decimal(r["pe_facility_rvu"])
                mp = Decimal(r["mp_rvu"])
                out.write(_txt_record({
                    "code": r["code"], "modifier": r["modifier"], "description": r["hcpcs_ii_description"],
                    "status": r["status"], "work": f"{work:.2f}", "pe_n": f"{pe_n:.2f}", "na_n": r["nonfacility_na"],
                    "pe_f": f"{pe_f:.2f}", "na_f": r["facility_na"], "mp": f"{mp:.2f}",
                    "total_n": f"{work + pe_n + mp:.2f}", "total_f": f"{work + pe_f + mp:.2f}", "pctc": r["pctc"],
                    "global": r["global_days"], "mult": r["mult_proc"], "bilat": r["bilateral"],
                    "asst": r["assistant"], "co": r["co_surgeons"], "team": r["team_surgery"], "cf": cf}) + "\n")
    else:
        _write_csv_pprrvu(folder, year, cf, rows)
    _write_gpci(folder, year)
    return folder


def _write_csv_pprrvu(folder: Path, year: int, cf: str, rows: list[dict[str, str]]) -> None:
    with (folder / f"PPRRVU{year}_Jan_nonQPP.csv").open("w", encoding="latin-1", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["", "", f"{year} National Physician Fee Schedule Relative Value File January Release "
                                 "(SYNTHETIC TEST DATA)"])
        writer.writerow(PPRRVU_HEADER)
        for r in rows:
            work = shifted_work(r["work_rvu"])
            pe_n, pe_f, mp = Decimal(r["pe_nonfacility_rvu"]), Decimal(r["pe_facility_rvu"]), Decimal(r["mp_rvu"])
            writer.writerow([r["code"], r["modifier"], r["hcpcs_ii_description"], r["status"], f"{work:.2f}",
                             f"{pe_n:.2f}", r["nonfacility_na"], f"{pe_f:.2f}", r["facility_na"], f"{mp:.2f}",
                             f"{work + pe_n + mp:.2f}", f"{work + pe_f + mp:.2f}", r["pctc"], r["global_days"],
                             r["mult_proc"], r["bilateral"], r["assistant"], r["co_surgeons"], r["team_surgery"], cf])


def _write_gpci(folder: Path, year: int) -> None:
    with (SHIPPED_TABLES / "2026" / "localities.csv").open(encoding="utf-8", newline="") as handle:
        localities = list(csv.DictReader(handle))
    with (folder / f"GPCI{year}.csv").open("w", encoding="latin-1", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f"ADDENDUM E. SYNTHETIC CY {year} GPCIs (TEST DATA)"])
        writer.writerow(["Medicare Administrative Contractor (MAC)", "State", "Locality Number", "Locality Name",
                         f"{year} PW GPCI (without 1.0 Floor)", f"{year} PW GPCI (with 1.0 Floor)",
                         f"{year} PE GPCI", f"{year} MP GPCI"])
        for loc in localities:
            writer.writerow([loc["mac"], loc["state"], loc["locality"], loc["name"], loc["work_gpci_unfloored"],
                             loc["work_gpci"], loc["pe_gpci"], loc["mp_gpci"]])


def write_release_zip(path: Path, year: int = 2027, cf: str = CF, layout: str = "csv") -> Path:
    """The release as a .zip, the way CMS publishes it."""
    folder = write_release(path.with_suffix(""), year, cf, layout)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(folder.iterdir()):
            archive.write(f, f.name)
    return path

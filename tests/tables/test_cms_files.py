"""Reading the raw CMS files (estimator.tables.cms_files) and building the shipped tables from them.

Every test here reads ../shared/cms and is skipped where those files are absent (a user's machine).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from estimator.core.errors import DataFileError
from estimator.core.pricing import price_unit
from estimator.core.schedule import Setting
from estimator.tables import cms_files, ncci_files
from estimator.tables.building import build_tables
from estimator.tables.shipped import load_table_set
from tests.conftest import SHIPPED_TABLES

pytestmark = pytest.mark.cms

RVU_JUL = "PPRRVU2026_Jul_nonQPP.csv"
RVU_APR = "PPRRVU2026_Apr_nonQPP.txt"
GPCI = "GPCI2026.csv"
ZIP5 = "ZIP5_OCT2025.txt"
MUE = "ncci/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes), to compare folders byte for byte."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def linked_copy(cms_dir: Path, into: Path) -> Path:
    """A folder that looks like ``cms_dir`` but holds symlinks, so a test can replace one file cheaply."""
    into.mkdir(parents=True)
    for entry in cms_dir.iterdir():
        target = into / entry.name
        if entry.is_dir():
            target.mkdir()
            for inner in entry.iterdir():
                (target / inner.name).symlink_to(inner)
        else:
            target.symlink_to(entry)
    return into


def replace_file(source: Path, name: str, edit: Callable[[list[str]], list[str]]) -> None:
    """Replace the linked file ``name`` by an edited real copy."""
    path = source / name
    lines = path.read_text(encoding="latin-1").splitlines(keepends=True)
    path.unlink()
    edited = edit(lines)
    path.write_text("".join(edited), encoding="latin-1", newline="")


@pytest.mark.parametrize("year", [2026, 2025])
def test_rebuilding_the_shipped_tables_from_the_raw_files_is_byte_identical(cms_dir, tmp_path, year):
    out = tmp_path / str(year)
    build_tables(cms_dir, year, out)
    shipped = snapshot(SHIPPED_TABLES / str(year))
    rebuilt = snapshot(out)
    assert sorted(rebuilt) == sorted(shipped)
    for name, content in shipped.items():
        assert rebuilt[name] == content, f"{name} differs from rvu_tables/{year}/{name}"


def test_the_april_fixed_width_file_agrees_with_the_july_csv_on_rvus_except_mid_year_status_changes(cms_dir):
    april = cms_files.read_pprrvu(cms_dir / RVU_APR)
    july = cms_files.read_pprrvu(cms_dir / RVU_JUL)
    assert (april.release, july.release) == ("RVU26B", "RVU26C")
    assert april.conversion_factor == july.conversion_factor
    a = {(r.code, r.modifier): r for r in april.rows}
    j = {(r.code, r.modifier): r for r in july.rows}
    assert len(a) > 19_000 and set(a) <= set(j)  # July adds codes, drops none

    def rvus(r: cms_files.RvuRow) -> tuple[object, ...]:
        return r.work, r.pe_nonfacility, r.pe_facility, r.mp, r.nonfacility_na, r.facility_na

    changed = sorted(k for k in a if rvus(a[k]) != rvus(j[k]))
    assert len(changed) <= 5, changed
    # The changes that exist came with a new status in July (e.g. A4100: A -> carrier priced).
    assert all(a[k].status != j[k].status for k in changed)
    for code in ("17000", "17003", "17004", "99203"):
        assert a[(code, "")] == j[(code, "")]


# --- a damaged file is refused, naming the file, line and field, and changes nothing ------------------------

def cut_mid_record(lines: list[str]) -> list[str]:
    at = next(i for i, line in enumerate(lines) if line.startswith("17000,"))
    return [*lines[:at], lines[at][: lines[at].index("1.34") + 3]]  # "...,0.59,1.3" with no newline


def corrupt_work_rvu(lines: list[str]) -> list[str]:
    return [line.replace(",A,,0.59,", ",A,,x.yz,", 1) if line.startswith("17000,") else line
            for line in lines]


def wrong_total(lines: list[str]) -> list[str]:
    return [line.replace(",0.06,1.99,", ",0.06,2.99,", 1) if line.startswith("17000,") else line
            for line in lines]


def gpci_out_of_range(lines: list[str]) -> list[str]:
    return [line.replace(",0.949,", ",9.949,") if "REST OF TEXAS" in line else line for line in lines]


def duplicate_locality(lines: list[str]) -> list[str]:
    at = next(i for i, line in enumerate(lines) if "REST OF TEXAS" in line)
    return [*lines[: at + 1], lines[at], *lines[at + 1:]]


def cut_zip_record(lines: list[str]) -> list[str]:
    at = next(i for i, line in enumerate(lines) if line.startswith("NY10001"))
    return [*lines[:at], lines[at][:40] + "\r\n", *lines[at + 1:]]


def mue_units_not_a_number(lines: list[str]) -> list[str]:
    return [line.replace("17000,1,", "17000,one,", 1) if line.startswith("17000,") else line for line in lines]


def mue_bad_indicator(lines: list[str]) -> list[str]:
    return [line.replace(",13,2 Date", ",13,7 Date", 1) if line.startswith("17003,") else line for line in lines]


def mue_bad_code(lines: list[str]) -> list[str]:
    return [line.replace("17004,", "170044,", 1) if line.startswith("17004,") else line for line in lines]


def line_of(cms_dir: Path, name: str, starts: str) -> int:
    text = (cms_dir / name).read_text(encoding="latin-1").splitlines()
    return next(i for i, line in enumerate(text, start=1) if line.startswith(starts) or starts in line)


DAMAGES = [
    # (damage, file, where to find the line in the original, field named)
    pytest.param(cut_mid_record, RVU_JUL, "17000,", "NON-FAC NA INDICATOR", id="a PPRRVU csv cut mid-record"),
    pytest.param(corrupt_work_rvu, RVU_JUL, "17000,", "WORK RVU", id="a work RVU of x.yz"),
    pytest.param(wrong_total, RVU_JUL, "17000,", "NON-FACILITY TOTAL", id="a total that is not W+PE+MP"),
    pytest.param(gpci_out_of_range, GPCI, "REST OF TEXAS", "PE GPCI", id="a GPCI out of range"),
    pytest.param(duplicate_locality, GPCI, "REST OF TEXAS", "Locality Number", id="a repeated locality key"),
    pytest.param(cut_zip_record, ZIP5, "NY10001", "Year/Quarter", id="a ZIP5 record cut short"),
    pytest.param(mue_units_not_a_number, MUE, "17000,", "Practitioner Services MUE Values",
                 id="an MUE value that is not a number"),
    pytest.param(mue_bad_indicator, MUE, "17003,", "MUE Adjudication Indicator", id="an MUE indicator of 7"),
    pytest.param(mue_bad_code, MUE, "17004,", "HCPCS/CPT Code", id="an MUE code of 6 characters"),
]


@pytest.mark.parametrize(("damage", "name", "starts", "field"), DAMAGES)
def test_a_damaged_cms_file_is_refused_by_file_line_and_field_and_the_old_tables_survive(
        cms_dir, tmp_path, damage, name, starts, field):
    source = linked_copy(cms_dir, tmp_path / "cms")
    replace_file(source, name, damage)
    line = line_of(cms_dir, name, starts) + (1 if damage is duplicate_locality else 0)
    root = tmp_path / "tables"
    out = root / "2026"
    shutil.copytree(SHIPPED_TABLES / "2026", out)
    before = snapshot(out)

    with pytest.raises(DataFileError) as caught:
        build_tables(source, 2026, out)

    message = str(caught.value)
    assert name in message and f"line {line}" in message and f"field {field}" in message, message
    assert (Path(caught.value.path).name, caught.value.line, caught.value.field) == (Path(name).name, line, field)
    assert "\n" not in message
    assert snapshot(out) == before
    assert [p.name for p in root.iterdir()] == ["2026"]  # no staging or backup folder left behind


def test_a_build_that_succeeds_replaces_the_folder_and_leaves_no_temp_folders(cms_dir, tmp_path):
    root = tmp_path / "tables"
    out = root / "2026"
    out.mkdir(parents=True)
    (out / "stale.csv").write_text("left from an old build\n")
    build_tables(cms_dir, 2026, out)
    assert snapshot(out) == snapshot(SHIPPED_TABLES / "2026")
    assert [p.name for p in root.iterdir()] == ["2026"]


def test_asking_for_the_april_release_builds_rvu26b_from_the_fixed_width_file(cms_dir, tmp_path):
    manifest = build_tables(cms_dir, 2026, tmp_path / "b", release="RVU26B")
    assert (manifest["release"], manifest["effective"], manifest["released"]) == ("RVU26B", "2026-04-01", "")
    assert manifest["sources"][0]["file"] == RVU_APR


def test_the_ncci_tables_are_built_only_for_the_year_of_their_files(cms_dir, tmp_path):
    assert "mue.csv" in build_tables(cms_dir, 2026, tmp_path / "a")["tables"]
    assert "ncci" not in build_tables(cms_dir, 2025, tmp_path / "b")


def test_the_mue_and_aoc_readers_give_cms_checked_values(cms_dir):
    # SOURCES.md, "NCCI edits": 15,095 codes; 17003 = 13 (MAI 2); 99213 = 2 (MAI 3); 9,000 AOC pairs
    mue = ncci_files.read_mue(cms_dir / MUE)
    assert len(mue.limits) == 15_095
    assert (mue.limits["17003"].units, mue.limits["17003"].mai) == (13, 2)
    assert (mue.limits["99213"].units, mue.limits["99213"].mai) == (2, 3)
    aoc = ncci_files.read_aoc(cms_dir / "ncci" / "AOC_V2026Q2-MCR.xlsx")
    assert len(aoc.edits) == 9_000 and aoc.quarter == "2026Q2"
    assert len({e.add_on for e in aoc.edits}) == 830


def test_a_workbook_that_is_not_a_zip_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(DataFileError, match="cannot read the workbook") as caught:
        ncci_files.read_aoc(bad)
    assert "\n" not in str(caught.value)


def test_the_zip5_file_reads_every_zip_into_the_109_gpci_localities(cms_dir):
    zips = cms_files.read_zip5(cms_dir / ZIP5)
    gpcis = cms_files.read_gpci(cms_dir / GPCI)
    assert len(zips) == 42_956
    assert len(gpcis) == 109
    assert {z.key for z in zips} == {g.key for g in gpcis}


def test_the_april_tables_reproduce_every_amount_of_cms_payment_file_pfrev26b_in_both_settings(cms_dir, tmp_path):
    """PFREV26B.txt is CMS's own computed fee-schedule amounts (the file MACs load): 4,033 rows, each code's
    non-facility and facility amount per locality. A setting CMS marks NA carries the priced setting's amount
    there; the estimator prices it the same way (flagged), so every cell must agree to the cent."""
    pfrev = cms_dir / "PFREV26B.txt"
    if not pfrev.is_file():
        pytest.skip("PFREV26B.txt not available")
    build_tables(cms_dir, 2026, tmp_path / "apr", release="RVU26B")
    tables = load_table_set(tmp_path / "apr")
    assert tables.release == "RVU26B"
    rows = [r for r in csv.reader(pfrev.read_text(encoding="latin-1").splitlines()) if len(r) > 6]
    assert len(rows) == 4_033
    na_cells = 0
    for year, mac, locality, code, modifier, nonfacility, facility, *_ in rows:
        assert year == "2026"
        for setting, expected in ((Setting.NONFACILITY, nonfacility), (Setting.FACILITY, facility)):
            unit = price_unit(tables, code, modifier.strip(), locality_key=mac + locality, setting=setting)
            assert unit.cents == round(Decimal(expected) * 100), (code, mac + locality, setting)
            na_cells += unit.na_setting
    assert na_cells == 4_033  # every code in this file has one setting CMS marks NA (SOURCES.md)

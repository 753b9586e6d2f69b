"""The shipped tables (rvu_tables/YEAR) and their loader and catalog (estimator.tables.shipped).

Nothing here needs the raw CMS files: these tests run on a user's machine too.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator import paths
from estimator.core.errors import DataFileError, InputError
from estimator.core.pricing import price_grid, price_unit
from estimator.core.schedule import NATIONAL_KEY, CFVariant, Setting
from estimator.tables.shipped import (
    TableCatalog,
    default_catalog,
    load_table_set,
    load_zip_codes,
    read_manifest,
)
from tests.conftest import REPO_ROOT, SHIPPED_TABLES
from tests.strategies import price_requests

GOLDEN = json.loads((REPO_ROOT / "tests" / "golden" / "fee_schedule_check_values.json").read_text())["cases"]
CENT = Decimal("0.01")


def copy_of(year: int, into: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_TABLES / str(year), into))


# --- what the shipped tables hold ------------------------------------------------------------------------

@pytest.mark.parametrize("case", GOLDEN, ids=[c["case"] for c in GOLDEN])
def test_a_published_check_value_is_reproduced_from_the_shipped_tables(case, tables_2026, tables_2025):
    tables = {2026: tables_2026, 2025: tables_2025}[case["year"]]
    unit = price_unit(tables, case["code"], locality_key=case["locality"], setting=Setting(case["setting"]),
                      cf_variant=CFVariant(case["cf"]), floor=case["floor"])
    assert unit.cents == int(Decimal(case["amount"]) * 100)


@pytest.mark.parametrize(("year", "release", "effective", "rows", "cf"), [
    (2026, "RVU26C", dt.date(2026, 7, 1), 19_356, "33.4009"),
    (2025, "RVU25D", dt.date(2025, 10, 1), 19_090, "32.3465"),
])
def test_a_shipped_year_loads_with_its_release_rows_localities_and_constants(year, release, effective, rows,
                                                                             cf):
    tables = load_table_set(SHIPPED_TABLES / str(year))
    assert (tables.year, tables.release, tables.effective) == (year, release, effective)
    assert len(tables.schedule) == rows
    assert len(tables.localities) == 109
    assert tables.policy.cf_nonqp == Decimal(cf)
    assert tables.policy.nonpar_rate == Decimal("0.95")
    assert tables.policy.limiting_charge_rate == Decimal("1.15")
    assert tables.places.get("11").setting is Setting.NONFACILITY
    assert tables.places.get("22").setting is Setting.FACILITY
    assert set(tables.policy.sources) >= {"cf_nonqp", "cf_qp", "nonpar_rate", "limiting_charge_rate"}


def test_the_loaded_arrays_are_read_only_so_a_shared_table_cannot_be_changed_by_accident(tables_2026):
    with pytest.raises(ValueError, match="read-only"):
        tables_2026.schedule.work[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        tables_2026.localities.pe[0] = 1


def test_no_cpt_descriptor_is_shipped_only_public_hcpcs_ii_text(tables_2026):
    schedule = tables_2026.schedule
    numeric = np.array([code[:1].isdigit() for code in schedule.codes.tolist()])
    assert numeric.sum() > 10_000
    assert not any(schedule.descriptions[numeric].tolist())
    assert tables_2026.label("G2211")  # a HCPCS Level II description is public domain


# --- the vectorized grid against an independent reading of the shipped CSV text ---------------------------

def _decimal_tables(year: int) -> tuple[dict[int, dict[str, Decimal]], dict[str, dict[str, Decimal]]]:
    with (SHIPPED_TABLES / str(year) / "rvu.csv").open(newline="", encoding="utf-8") as handle:
        rvus = {i: {k: Decimal(r[k]) for k in ("work_rvu", "pe_nonfacility_rvu", "pe_facility_rvu", "mp_rvu")}
                for i, r in enumerate(csv.DictReader(handle))}
    with (SHIPPED_TABLES / str(year) / "localities.csv").open(newline="", encoding="utf-8") as handle:
        columns = ("work_gpci", "work_gpci_unfloored", "pe_gpci", "mp_gpci")
        gpcis = {r["key"]: {k: Decimal(r[k]) for k in columns} for r in csv.DictReader(handle)}
    one = Decimal("1.000")
    gpcis[NATIONAL_KEY] = {"work_gpci": one, "work_gpci_unfloored": one, "pe_gpci": one, "mp_gpci": one}
    return rvus, gpcis


RVUS_2026, GPCIS_2026 = _decimal_tables(2026)


@given(st.data())
def test_the_grid_over_the_shipped_2026_tables_equals_the_decimal_formula_on_the_csv_text(tables_2026, data):
    request = data.draw(price_requests(tables_2026))
    grid = price_grid(tables_2026, np.array(request.rows), request.keys, request.settings, request.cf_variant,
                      floor=request.floor)
    cf = tables_2026.policy.conversion_factor(request.cf_variant)
    for r_i, row in enumerate(request.rows):
        rvu = RVUS_2026[row]
        for s_i, setting in enumerate(request.settings):
            na = bool(tables_2026.schedule.na(setting)[row])
            # Status R without RVUs is contractor priced (RVU26B.pdf): no amount.
            contractor = str(tables_2026.schedule.status[row]) == "R" and not any(
                rvu[k] for k in ("work_rvu", "pe_nonfacility_rvu", "pe_facility_rvu", "mp_rvu"))
            assert grid.priced[r_i, s_i] == (not contractor) and grid.na[r_i, s_i] == na
            # A setting CMS marks NA is priced with the other setting's PE (as CMS's payment file PFREV26B).
            facility = (setting is Setting.FACILITY) != na
            pe = rvu["pe_facility_rvu" if facility else "pe_nonfacility_rvu"]
            for l_i, key in enumerate(request.keys):
                g = GPCIS_2026[key]
                work = g["work_gpci" if request.floor else "work_gpci_unfloored"]
                amount = (rvu["work_rvu"] * work + pe * g["pe_gpci"] + rvu["mp_rvu"] * g["mp_gpci"]) * cf
                assert grid.cents[r_i, l_i, s_i] == int(amount.quantize(CENT, ROUND_HALF_UP) * 100)
                assert grid.cents[r_i, l_i, s_i] >= 0


# --- a damaged table is refused ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rvu.csv", "localities.csv", "places_of_service.csv"])
def test_a_table_changed_by_one_byte_is_refused_because_of_the_manifest_checksum(tmp_path, name):
    folder = copy_of(2026, tmp_path / "2026")
    data = bytearray((folder / name).read_bytes())
    at = len(data) // 2
    while not chr(data[at]).isdigit():
        at += 1
    data[at] = ord("7") if data[at] != ord("7") else ord("8")
    (folder / name).write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="sha256") as caught:
        load_table_set(folder)
    assert name in str(caught.value)


def test_a_folder_without_a_manifest_or_of_another_schema_is_refused(tmp_path):
    folder = copy_of(2026, tmp_path / "2026")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "schema": 99}))
    with pytest.raises(DataFileError, match="schema"):
        load_table_set(folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(DataFileError, match="not valid JSON"):
        read_manifest(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(DataFileError, match=r"manifest\.json"):
        load_table_set(folder)


# --- picking the release in force for a date of service -----------------------------------------------------

def fake_release(user_root: Path, release: str, effective: str) -> Path:
    """A copy of the shipped 2026 tables claiming another release (the manifest itself is not checksummed)."""
    folder = copy_of(2026, user_root / f"2026-{release}")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(release=release, effective=effective)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


@pytest.fixture
def catalog_with_october(tmp_path) -> TableCatalog:
    user_root = tmp_path / "user-tables"
    fake_release(user_root, "RVU26D", "2026-10-01")
    return TableCatalog([(SHIPPED_TABLES, "shipped"), (user_root, "imported")])


@pytest.mark.parametrize(("on", "release"), [
    (dt.date(2026, 11, 1), "RVU26D"),
    (dt.date(2026, 10, 1), "RVU26D"),  # in force from its effective date
    (dt.date(2026, 9, 30), "RVU26C"),
    (dt.date(2026, 7, 1), "RVU26C"),
    (dt.date(2026, 3, 2), "RVU26C"),  # before every release we have: the earliest of the year
    (None, "RVU26D"),  # no date: the newest release of the year
])
def test_the_catalog_picks_the_newest_release_effective_on_the_date_of_service(catalog_with_october, on,
                                                                               release):
    assert catalog_with_october.release_for(2026, on).release == release


def test_the_picked_release_loads_and_a_2025_date_gets_the_2025_tables(catalog_with_october):
    assert catalog_with_october.for_date(dt.date(2026, 12, 31)).release == "RVU26D"
    assert catalog_with_october.for_date(dt.date(2025, 2, 1)).release == "RVU25D"
    assert catalog_with_october.years() == [2025, 2026]


def test_an_imported_copy_of_a_shipped_release_wins_over_the_shipped_one(tmp_path):
    user_root = tmp_path / "user-tables"
    copy_of(2026, user_root / "2026-RVU26C")
    catalog = TableCatalog([(SHIPPED_TABLES, "shipped"), (user_root, "imported")])
    assert catalog.release_for(2026).origin == "imported"


def test_an_unknown_year_is_refused_with_the_years_available(catalog_with_october):
    with pytest.raises(InputError, match=r"no fee-schedule tables for 1999; available years: 2025, 2026"):
        catalog_with_october.release_for(1999)


def test_the_default_catalog_sees_tables_imported_into_the_user_data_folder():
    fake_release(paths.user_tables_root(), "RVU26D", "2026-10-01")
    catalog = default_catalog()
    assert [r.release for r in catalog.releases()] == ["RVU25D", "RVU26C", "RVU26D"]
    assert catalog.release_for(2026, dt.date(2026, 10, 2)).origin == "imported"


def test_a_missing_user_folder_is_simply_no_imported_tables(tmp_path):
    catalog = TableCatalog([(SHIPPED_TABLES, "shipped"), (tmp_path / "nowhere", "imported")])
    assert [r.origin for r in catalog.releases()] == ["shipped", "shipped"]


# --- ZIP codes --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zips_2026():
    return load_zip_codes(SHIPPED_TABLES / "2026")


def test_every_cms_zip_code_loads(zips_2026):
    assert len(zips_2026) == 42_956


@pytest.mark.parametrize(("zip_code", "key", "state", "rural"), [
    ("10001", "1320201", "NY", ""),  # Manhattan
    ("77001", "0441218", "TX", ""),  # Houston
    ("00601", "0920220", "PR", "R"),  # Adjuntas, Puerto Rico: rural
])
def test_a_zip_code_gives_its_payment_locality_and_rural_flag(zips_2026, tables_2026, zip_code, key, state,
                                                              rural):
    entry = zips_2026[zip_code]
    assert (entry.zip, entry.locality_key, entry.state, entry.rural) == (zip_code, key, state, rural)
    assert tables_2026.localities.locality(key).state == state


# --- the NCCI edit tables (CMS practitioner MUE and AOC, 2026 Q2) ----------------------------------------

@pytest.mark.parametrize(("code", "units", "mai"), [
    # SOURCES.md, "NCCI edits": checked against CMS's own file
    ("17000", 1, 2), ("17003", 13, 2), ("17004", 1, 2), ("17110", 1, 2), ("99213", 2, 3),
])
def test_the_shipped_mue_table_gives_each_codes_unit_limit_and_adjudication_indicator(tables_2026, code, units,
                                                                                      mai):
    limit = tables_2026.ncci.limit(code)
    assert limit is not None and (limit.units, limit.mai) == (units, mai)


def test_the_shipped_mue_table_counts_match_cms_and_every_file_is_in_the_manifest(tables_2026):
    limits = tables_2026.ncci.unit_limits
    # SOURCES.md: 15,095 codes; MAI 1 = 41, 2 = 5,417, 3 = 9,637
    assert len(limits) == 15_095
    assert [sum(1 for v in limits.values() if v.mai == m) for m in (1, 2, 3)] == [41, 5_417, 9_637]
    manifest = read_manifest(SHIPPED_TABLES / "2026")
    assert {"mue.csv", "aoc.csv"} <= manifest["tables"].keys()
    roles = {s["role"]: s for s in manifest["sources"]}
    assert roles["mue"]["sha256"] == "720027c47fd38f3194bbe332d7cd7e6940cdc1e1945d08d46000945c7ce6494c"
    assert roles["aoc"]["sha256"] == "870a84912f91f8e8fdfa1acd01f076cfb1473ba10c98861fc18d040ce3fbdac6"
    assert all("American Medical Association" in roles[r]["notice"] for r in ("mue", "aoc"))


@pytest.mark.parametrize(("add_on", "edit_type", "primaries"), [
    # SOURCES.md, "AOC file layout": checked values
    ("17003", 1, {"17000"}), ("11103", 1, {"11102", "11104", "11106"}), ("11105", 1, {"11104", "11106"}),
    ("11107", 1, {"11106"}),
])
def test_the_shipped_aoc_table_lists_each_add_ons_primaries(tables_2026, add_on, edit_type, primaries):
    assert tables_2026.ncci.primaries(add_on, dt.date(2026, 7, 1)) == (edit_type, frozenset(primaries))


def test_a_year_without_ncci_files_has_no_edit_tables_and_knows_only_the_lesion_rules(tables_2025):
    ncci = tables_2025.ncci
    assert not ncci.has_unit_limits and ncci.limit("11102") is None
    assert ncci.primaries("11103", dt.date(2025, 11, 3)) is None
    assert ncci.limit("17003") is not None and ncci.limit("17003").units == 13  # CMS Recovery Audit issue 0121
    assert ncci.primaries("17003", dt.date(2025, 11, 3)) == (1, frozenset({"17000"}))


def test_an_edited_mue_table_is_refused_by_its_checksum(tmp_path):
    folder = copy_of(2026, tmp_path / "2026")
    path = folder / "mue.csv"
    path.write_text(path.read_text().replace("17000,1,2,", "17000,9,2,"))
    with pytest.raises(DataFileError, match=r"mue\.csv.*sha256"):
        load_table_set(folder)

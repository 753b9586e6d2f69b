"""``estimator price | lesions | localities | tables`` end to end, through ``estimator.cli.main``.

Each test runs with an empty user data folder (tests/conftest.py), so only the shipped tables are seen
unless a test imports a release itself.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from estimator import paths
from estimator.cli import discovered_commands
from estimator.cli.command_index import COMMANDS
from estimator.cli.common import parse_date
from estimator.cli.pricing_commands import PRICE_COLUMNS
from estimator.core.errors import InputError
from estimator.tables.shipped import default_catalog
from tests.cli.conftest import csv_rows

MONEY = re.compile(r"^\d+\.\d\d$")


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} | {
        str(p.relative_to(folder)) + "/": b"" for p in folder.rglob("*") if p.is_dir()}


# --- price ------------------------------------------------------------------------------------------------

def test_price_as_json_gives_every_field_and_money_as_two_decimal_strings(cli):
    result = cli("price", "17000", "17003", "17004", "--year", "2026", "--format", "json")
    assert (result.code, result.err) == (0, "")
    rows = result.json()
    assert len(rows) == 6  # three codes x both settings by default
    for row in rows:
        assert set(PRICE_COLUMNS) <= set(row)
        for field in ("amount", "nonpar_amount", "limiting_charge"):
            assert isinstance(row[field], str) and MONEY.match(row[field]), (field, row[field])
        assert row["release"] == "RVU26C" and row["locality"] == "national" and row["reason"] is None
    amounts = {(r["code"], r["setting"]): r["amount"] for r in rows}
    assert amounts == {("17000", "nonfacility"): "66.47", ("17000", "facility"): "47.76",
                       ("17003", "nonfacility"): "6.35", ("17003", "facility"): "1.67",
                       ("17004", "nonfacility"): "162.33", ("17004", "facility"): "82.83"}
    first = rows[0]
    assert (first["nonpar_amount"], first["limiting_charge"]) == ("63.15", "72.62")
    assert (first["work_rvu"], first["pe_rvu"], first["mp_rvu"]) == ("0.59", "1.34", "0.06")
    assert first["conversion_factor"] == "33.4009"


@pytest.mark.parametrize(("args", "amount"), [
    (("99203", "--locality", "0441299", "--pos", "11"), "114.05"),
    (("99203", "--locality", "0441299", "--pos", "11", "--no-floor"), "113.57"),
    (("17000", "--setting", "nonfacility", "--cf", "qp"), "66.80"),
    (("17000", "--year", "2025", "--setting", "nonfacility"), "66.31"),
    (("17000", "--year", "2025", "--pos", "22"), "53.70"),
])
def test_price_reproduces_the_published_check_values(cli, args, amount):
    result = cli("price", *args, "--format", "json")
    assert result.code == 0, result.err
    [row] = result.json()
    assert row["amount"] == amount


@pytest.mark.parametrize(("settings", "per_locality"), [
    ((), 2), (("--pos", "11"), 1), (("--setting", "both"), 2),
])
def test_price_in_every_locality_gives_109_rows_per_setting(cli, settings, per_locality):
    result = cli("price", "17000", "--locality", "all", *settings, "--format", "json")
    assert result.code == 0, result.err
    rows = result.json()
    assert len(rows) == 109 * per_locality
    assert len({r["locality"] for r in rows}) == 109
    assert all(MONEY.match(r["amount"]) for r in rows)


def test_a_setting_cms_marks_na_shows_the_priced_amount_flagged(cli):
    """88305 facility is NA: priced with the office amount, as CMS's payment file does, and flagged."""
    [facility] = cli("price", "88305", "--setting", "facility", "--format", "json").json()
    [office] = cli("price", "88305", "--setting", "nonfacility", "--format", "json").json()
    assert facility["amount"] == office["amount"] and facility["na_setting"] and not office["na_setting"]
    assert "NA" in facility["note"] and facility["reason"] is None


@pytest.mark.parametrize(("code", "words"), [("94760", "status T"), ("0075T", "carrier priced")])
def test_price_says_what_a_status_means(cli, code, words):
    [row] = cli("price", code, "--setting", "nonfacility", "--format", "json").json()
    assert words in (row["note"] or row["reason"])


def test_price_as_csv_has_the_documented_columns_and_as_a_table_shows_the_amount(cli):
    as_csv = cli("price", "17000", "--format", "csv")
    rows = csv_rows(as_csv.out)
    assert tuple(rows[0]) == PRICE_COLUMNS and rows[0]["amount"] == "66.47"
    as_table = cli("price", "17000", "--pos", "11")
    assert as_table.code == 0 and "66.47" in as_table.out and "RVU26C" in as_table.out


# --- lesions ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("count", "lines", "total"), [
    ("1", [("17000", 1, "66.47", "66.47")], "66.47"),
    ("14", [("17000", 1, "66.47", "66.47"), ("17003", 13, "6.35", "82.55")], "149.02"),
    ("15", [("17004", 1, "162.33", "162.33")], "162.33"),
])
def test_lesions_as_json_gives_lines_with_unit_and_line_amounts_and_a_total(cli, count, lines, total):
    result = cli("lesions", count, "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert [(ln["code"], ln["units"], ln["unit_amount"], ln["amount"]) for ln in data["lines"]] == lines
    assert data["total"] == total
    assert all({"code", "units", "unit_amount", "amount"} <= set(ln) for ln in data["lines"])


def test_lesions_in_a_facility_in_manhattan_adds_up_its_lines(cli):
    data = cli("lesions", "9", "--locality", "1320201", "--pos", "22", "--format", "json").json()
    assert data["locality"] == "1320201" and data["setting"] == "facility"
    assert Decimal(data["total"]) == sum(Decimal(ln["amount"]) for ln in data["lines"])


# --- localities -------------------------------------------------------------------------------------------

def test_localities_by_zip_gives_the_one_locality_pricing_that_zip(cli):
    [row] = cli("localities", "--zip", "10001", "--format", "json").json()
    assert (row["key"], row["zip"], row["rural"], row["plus_four"]) == ("1320201", "10001", "", False)
    table = cli("localities", "--zip", "00601")
    assert "rural" in table.out and "0920220" in table.out


def test_localities_by_state_and_by_search(cli):
    texas = cli("localities", "--state", "tx", "--format", "json").json()
    assert texas and {r["state"] for r in texas} == {"TX"} and "0441299" in {r["key"] for r in texas}
    houston = cli("localities", "--search", "houston", "--format", "json").json()
    assert [r["key"] for r in houston] == ["0441218"]
    assert len(cli("localities", "--format", "json").json()) == 109


# --- bad input: one line on stderr, a non-zero exit, never a traceback -------------------------------------

BAD_INPUTS = [
    ("lesions", "0"), ("lesions", "-3"), ("lesions", "abc"), ("lesions", "2.5"), ("lesions", "10001"),
    ("lesions", "5", "--locality", "ALASKA-ISH"),
    ("price", "1700X"), ("price", "17000-ZZZ"), ("price", "17000", "--locality", "9999999"),
    ("price", "17000", "--year", "1999"), ("price", "17000", "--year", "20x6"),
    ("price", "17000", "--pos", "7Z"),
    ("price", "17000", "--setting", "bogus"), ("price", "17000", "--cf", "bogus"), ("price",),
    ("localities", "--zip", "1234"), ("localities", "--zip", "99999"), ("localities", "--state", "ZZ"),
    ("tables", "import", "/nonexistent/release"), ("no-such-command",), (),
]


@pytest.mark.parametrize("args", BAD_INPUTS, ids=lambda a: " ".join(a) or "(nothing)")
def test_bad_input_exits_non_zero_with_exactly_one_line_on_stderr(cli, args):
    result = cli(*args)
    assert result.code != 0
    assert result.out == ""
    assert result.err.endswith("\n") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err and result.err.startswith("estimator")


@pytest.mark.parametrize("text", ["2026-02-30", "03/02/2026", "yesterday", ""])
def test_a_bad_date_is_refused_with_the_expected_form(text):
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_date(text)


def test_a_good_date_parses():
    assert parse_date(" 2026-03-02 ") == dt.date(2026, 3, 2)


def test_version_prints_and_exits_zero(cli):
    result = cli("--version")
    assert result.code == 0 and result.out.startswith("estimator ")


# --- tables -----------------------------------------------------------------------------------------------

def test_tables_list_shows_the_shipped_releases(cli):
    rows = cli("tables", "list", "--format", "json").json()
    assert [(r["year"], r["release"], r["origin"]) for r in rows] == [(2025, "RVU25D", "shipped"),
                                                                       (2026, "RVU26C", "shipped")]


@pytest.fixture
def october_release(cms_dir, tmp_path) -> Path:
    """A folder laid out like a quarterly CMS release: the July file renamed as October, plus the GPCIs."""
    folder = tmp_path / "RVU26D"
    folder.mkdir()
    shutil.copyfile(cms_dir / "PPRRVU2026_Jul_nonQPP.csv", folder / "PPRRVU2026_Oct_nonQPP.csv")
    shutil.copyfile(cms_dir / "GPCI2026.csv", folder / "GPCI2026.csv")
    return folder


@pytest.mark.cms
@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_importing_a_quarterly_release_makes_it_the_release_in_force_from_its_date(
        cli, october_release, tmp_path, as_zip):
    source = october_release
    if as_zip:
        source = tmp_path / "RVU26D.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for f in october_release.iterdir():
                archive.write(f, f.name)
    result = cli("tables", "import", str(source))
    assert result.code == 0, result.err
    assert "RVU26D" in result.out and "2026-10-01" in result.out

    rows = cli("tables", "list", "--format", "json").json()
    imported = [r for r in rows if r["release"] == "RVU26D"]
    assert len(imported) == 1 and imported[0]["origin"] == "imported"
    assert Path(imported[0]["folder"]).parent == paths.user_tables_root()

    catalog = default_catalog()
    assert catalog.release_for(2026, dt.date(2026, 11, 1)).release == "RVU26D"
    assert catalog.release_for(2026, dt.date(2026, 3, 2)).release == "RVU26C"
    assert catalog.for_date(dt.date(2026, 11, 1)).schedule.release == "RVU26D"
    [row] = cli("price", "17000", "--pos", "11", "--format", "json").json()
    assert (row["release"], row["amount"]) == ("RVU26D", "66.47")
    assert [p.name for p in paths.user_tables_root().glob(".*")] == [".lock"]  # no staging folder left


@pytest.mark.cms
def test_a_bad_import_is_refused_in_one_line_and_leaves_the_user_tables_unchanged(cli, october_release):
    assert cli("tables", "import", str(october_release)).code == 0
    before = snapshot(paths.user_tables_root())
    assert before

    rvu = october_release / "PPRRVU2026_Oct_nonQPP.csv"
    text = rvu.read_bytes()
    rvu.write_bytes(text[: text.index(b"\n17000,") + 30])  # cut in the middle of the 17000 record
    result = cli("tables", "import", str(october_release))
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "PPRRVU2026_Oct_nonQPP.csv, line 1559, field" in result.err
    assert snapshot(paths.user_tables_root()) == before


@pytest.mark.cms
def test_a_bad_first_import_creates_no_user_tables(cli, october_release):
    (october_release / "GPCI2026.csv").write_text("not a GPCI file\n")
    result = cli("tables", "import", str(october_release))
    assert result.code == 1 and "GPCI2026.csv" in result.err
    root = paths.user_tables_root()
    assert not root.exists() or [p.name for p in root.iterdir()] == [".lock"]  # only the import lock


# --- start-up: a call imports only its own command ------------------------------------------------------------

def test_the_command_index_lists_every_command_its_modules_register():
    """``command_index.py`` is generated; after adding a command run ``write_index()`` (see its docstring)."""
    assert discovered_commands() == COMMANDS


@pytest.mark.parametrize(("argv", "module"), [
    (["price", "17000"], "pricing_commands"),
    (["--db", "x.sqlite", "global-period", "--code", "17000", "--date", "2026-03-02"], "encounter_commands"),
    (["--db=x.sqlite", "forecast", "--help"], "forecast_commands"),
])
def test_a_command_imports_only_its_own_command_module(argv, module, tmp_path):
    code = ("import sys; from estimator.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('estimator.cli.') and m.endswith('_commands')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert done.stdout.strip().splitlines()[-1] == str([f"estimator.cli.{module}"])


def test_a_price_lookup_loads_neither_the_database_nor_the_cms_file_readers(tmp_path):
    """Issue 17: ``estimator price`` starts in about twice numpy's import time; these made it slower."""
    heavy = ["sqlite3", "estimator.store.sqlite_store", "estimator.core.payers", "estimator.core.encounter",
             "estimator.reports.csv_exports", "estimator.tables.building", "estimator.tables.cms_files",
             "estimator.tables.ncci_files", "estimator.tables.importing", "logging.handlers"]
    code = ("import sys; from estimator.cli import main\n"
            "main(['price', '17000'])\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_help_still_lists_every_command_and_a_command_still_has_its_own_help(cli):
    top = cli("--help")
    assert top.code == 0 and all(f"    {name}" in top.out for name in COMMANDS)
    price = cli("price", "--help")
    assert price.code == 0 and "--locality" in price.out
    assert cli("no-such-command").code == 2


def test_a_command_missing_from_the_index_still_runs(cli, monkeypatch):
    """A command another change added to an indexed module works before the index is regenerated."""
    monkeypatch.setattr("estimator.cli.COMMANDS", {k: v for k, v in COMMANDS.items() if k != "global-period"})
    done = cli("global-period", "--code", "17000", "--date", "2026-03-02")
    assert done.code == 0 and "through 2026-03-12" in done.out



@pytest.mark.parametrize("locality", ["1320201", "10001", "Manhattan", "manhattan"])
def test_the_locality_can_be_given_as_a_key_a_zip_code_or_a_name(cli, locality):
    run = cli("lesions", "8", "--locality", locality, "--format", "json")
    assert run.code == 0 and run.json()["locality"] == "1320201"


def test_an_ambiguous_locality_name_lists_the_candidates(cli):
    run = cli("lesions", "8", "--locality", "TX")
    assert run.code != 0
    assert run.err.count("\n") == 1 and "matches 8 localities" in run.err
    assert "0441218 TX HOUSTON" in run.err and "0441299 TX REST OF TEXAS" in run.err


def test_lesions_explains_the_14_to_15_step_with_the_17004_amount(cli):
    # 17004 x1 national non-facility is $162.33 (the 15-lesion row of the parametrized test above).
    expected = cli("lesions", "15", "--locality", "national", "--format", "json").json()["total"]
    assert expected == "162.33"
    data = cli("lesions", "3", "--locality", "national", "--format", "json").json()
    assert data["step_note"] == "15 or more lesions bill 17004 once: $162.33 whatever the count"
    assert "15 or more lesions bill 17004 once: $162.33 whatever the count." in cli("lesions", "40").out

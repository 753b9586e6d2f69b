"""``tables import-ptp``: CMS's NCCI practitioner PTP file into the user's data folder, per year, all or nothing.

CMS's PTP file is not in ``../shared/cms``: the edits here are SYNTHETIC, written in CMS's layout (the text
below and ``samples/ptp/ccipra-SYNTHETIC-f1.txt``).  Amounts are worked out here from the RVU26C values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from estimator import paths
from estimator.cli import main
from estimator.core.ncci import PairEdit
from estimator.tables import ptp_files
from estimator.tables.shipped import TablesDamagedError, default_catalog
from tests.cli.conftest import Cli, Run
from tests.conftest import REPO_ROOT

SAMPLE = REPO_ROOT / "samples" / "ptp" / "ccipra-SYNTHETIC-f1.txt"
HEADER = ("Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\t"
          "Modifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale")
#: SYNTHETIC edits in CMS's layout (line 1 notice, line 2 blank, line 3 header, data from line 4).
SYNTHETIC = "\n".join([
    "SYNTHETIC - not CMS data",
    "",
    HEADER,
    "17000\t11200\t\t20200101\t*\t1\tSynthetic: mutually exclusive",
    "17004\t17000\t\t20200101\t*\t0\tSynthetic: mutually exclusive",
    "11102\t17000\t\t20200101\t20251231\t1\tSynthetic: deleted before 2026",
]) + "\n"
CF = Decimal("33.4009")


def fee(work: str, pe: str, mp: str) -> str:
    return str(((Decimal(work) + Decimal(pe) + Decimal(mp)) * CF).quantize(Decimal("0.01"), ROUND_HALF_UP))


F_17000 = fee("0.59", "1.34", "0.06")  # 66.47
F_11200 = fee("0.80", "1.88", "0.08")  # 92.19


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``estimator.cli.main`` in-process (as tests/cli's fixture): exit code, stdout, stderr."""
    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def ptp_folder(year: int = 2026) -> Path:
    return paths.user_tables_root() / "ptp" / str(year)


def snapshot(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_sample_in_samples_is_labelled_synthetic_and_reads_as_cms_layout() -> None:
    edits, rows, notice = ptp_files.read_ptp_lines(SAMPLE.name, SAMPLE.read_bytes().decode("latin-1").splitlines())
    assert "SYNTHETIC" in notice and rows == 6
    assert PairEdit("17000", "11200", 1, dt.date(2020, 1, 1), None, "Synthetic: mutually exclusive procedures") in edits
    assert PairEdit("11102", "17000", 1, dt.date(2020, 1, 1), dt.date(2025, 12, 31),
                    "Synthetic: an edit deleted before 2026") in edits
    assert sorted(e.modifier_indicator for e in edits) == [0, 0, 1, 1, 1, 9]


def test_import_keeps_the_years_edits_in_the_user_folder_and_the_encounter_applies_them(
        tmp_path: Path, cli: Cli) -> None:
    source = tmp_path / "ccipra-test-f1.txt"
    source.write_text(SYNTHETIC, encoding="latin-1")
    run = cli("tables", "import-ptp", str(source), "--year", "2026")
    assert run.code == 0, run.err
    assert "imported 2 NCCI PTP edits in force in 2026" in run.out  # the edit deleted 2025-12-31 is left out
    assert (ptp_folder() / "manifest.json").is_file()
    assert not (REPO_ROOT / "estimator" / "rvu_tables" / "ptp").exists()
    assert "2026: 2 edits in force (modifier indicator 0: 1, 1: 1, 9: 0)" in cli("tables", "status").out

    denied = cli("encounter", "--lesions", "1", "--add", "11200@L82.1", "--dx", "L57.0", "--date", "2026-03-02",
                 "--format", "json").json()
    amounts = {line["code"]: line["amount"] for line in denied["lines"]}
    assert (amounts["11200"], amounts["17000"], denied["total"]) == ("0.00", F_17000, F_17000)
    assert [f["severity"] for f in denied["findings"] if f["code"] == "ptp-pair"] == ["error"]

    bypassed = cli("encounter", "--lesions", "1", "--add", "11200:XS@L82.1", "--dx", "L57.0", "--date",
                   "2026-03-02", "--format", "json").json()
    half_17000 = str((Decimal(F_17000) / 2).quantize(Decimal("0.01"), ROUND_HALF_UP))
    assert bypassed["total"] == str(Decimal(F_11200) + Decimal(half_17000)) == "125.43"

    # 2025 dates of service have no import: both codes are paid (17000 at 2025's rates; just not denied).
    other_year = cli("encounter", "--lesions", "1", "--add", "11200@L82.1", "--dx", "L57.0", "--date", "2025-06-02",
                     "--format", "json").json()
    assert all(line["amount"] != "0.00" for line in other_year["lines"])


def test_a_zip_as_downloaded_is_read_and_a_read_me_inside_it_is_skipped_with_a_note(tmp_path: Path, cli: Cli) -> None:
    archive = tmp_path / "ccipra-v321r0-f1.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ccipra-v321r0-f1.txt", SYNTHETIC.encode("latin-1"))
        z.writestr("README.txt", b"Read me: how to use these files.\n")
    run = cli("tables", "import-ptp", str(archive), "--year", "2026")
    assert run.code == 0, run.err
    assert "README.txt) skipped" in run.out
    assert default_catalog().ptp_for(2026) is not None


@pytest.mark.parametrize(("bad_line", "where"), [
    ("17000\t1120\t\t20200101\t*\t1\tx", "line 4, field Column 2: '1120' is not a 5-character HCPCS/CPT code"),
    ("17000\t11200\t\t2020-01-01\t*\t1\tx", "line 4, field Effective Date: '2020-01-01' is not a YYYYMMDD date"),
    ("17000\t11200\t\t20200101\t20201340\t1\tx", "line 4, field Deletion Date: '20201340' is not a YYYYMMDD"),
    ("17000\t11200\t\t20200101\t*\t2\tx", "line 4, field Modifier: '2' is not a modifier indicator 0, 1 or 9"),
    ("17000\t11200\tY\t20200101\t*\t1\tx", "line 4, field *=in existence prior to 1996: 'Y' is neither"),
    ("17000\t11200\t20200101\t*\t1", "line 4: 5 fields, expected 7"),
], ids=["code", "effective", "deletion", "indicator", "prior-1996", "fields"])
def test_a_malformed_file_is_refused_naming_line_and_column_and_the_previous_import_stands(
        tmp_path: Path, cli: Cli, bad_line: str, where: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text(SYNTHETIC, encoding="latin-1")
    assert cli("tables", "import-ptp", str(good), "--year", "2026").code == 0
    before = snapshot(ptp_folder())
    lines = SYNTHETIC.splitlines()
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join([*lines[:3], bad_line, *lines[4:]]) + "\n", encoding="latin-1")
    run = cli("tables", "import-ptp", str(bad), "--year", "2026")
    assert run.code == 1 and where in run.err and str(bad) in run.err
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
    assert snapshot(ptp_folder()) == before
    assert sorted(p.name for p in ptp_folder().parent.iterdir()) == [".lock", "2026"]  # no staging left behind


def test_a_file_that_is_not_a_ptp_file_is_refused_and_nothing_is_stored(tmp_path: Path, cli: Cli) -> None:
    other = tmp_path / "fees.txt"
    other.write_text("code,amount\n17000,66.47\n", encoding="latin-1")
    run = cli("tables", "import-ptp", str(other), "--year", "2026")
    assert run.code == 1 and "not a CMS NCCI PTP file" in run.err
    assert snapshot(ptp_folder()) == {}


def test_a_year_with_no_edit_in_force_is_refused(tmp_path: Path, cli: Cli) -> None:
    source = tmp_path / "old.txt"
    source.write_text("\n".join([HEADER, "11102\t17000\t\t20200101\t20231231\t1\tx"]) + "\n", encoding="latin-1")
    run = cli("tables", "import-ptp", str(source), "--year", "2026")
    assert run.code == 1 and "in force in 2026" in run.err
    assert snapshot(ptp_folder()) == {}


def test_the_same_file_given_twice_is_refused(tmp_path: Path, cli: Cli) -> None:
    source = tmp_path / "f1.txt"
    source.write_text(SYNTHETIC, encoding="latin-1")
    run = cli("tables", "import-ptp", str(source), str(source), "--year", "2026")
    assert run.code == 1 and "give each PTP file once" in run.err


def test_the_stored_table_looks_up_exactly_the_edits_read(tmp_path: Path) -> None:
    edits, _rows, _notice = ptp_files.read_ptp_lines("t", SYNTHETIC.splitlines())
    f = ptp_files.PtpFile("t", edits, len(edits), "", "0" * 64)
    folder = tmp_path / "2026"
    folder.mkdir()
    ptp_files.write_ptp_folder(folder, 2026, [f], edits, dt.date(2026, 5, 1))
    table = ptp_files.load_ptp(folder).pairs
    assert {key: table[key] for key in table} == {(e.column1, e.column2): (e,) for e in edits}
    assert ("11200", "17000") not in table and len(table) == 3


def test_a_damaged_stored_table_is_named_with_how_to_fix_it(tmp_path: Path, cli: Cli) -> None:
    source = tmp_path / "f1.txt"
    source.write_text(SYNTHETIC, encoding="latin-1")
    assert cli("tables", "import-ptp", str(source), "--year", "2026").code == 0
    edits = ptp_folder() / "edits.npz"
    edits.write_bytes(edits.read_bytes()[:-10])
    with pytest.raises(TablesDamagedError, match="import-ptp"):
        default_catalog().for_date(dt.date(2026, 3, 2))

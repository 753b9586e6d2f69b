"""What an installed program needs from the command line: --version, python -m estimator, a clear message
when the tables are missing or damaged, db backup/restore, and a log file with no patient details."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from estimator import __version__, logs, paths
from tests.cli.test_report_commands import GFE, PRACTICE


def test_version_names_the_package_and_the_newest_tables(cli):
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"estimator {__version__} (fee-schedule tables: RVU26C for 2026, RVU25D for 2025)"


def test_python_dash_m_estimator_runs_the_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "estimator", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"estimator {__version__} ")


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped tables that the program will use instead of the package's."""
    root = tmp_path / "shipped"
    shutil.copytree(paths.shipped_tables_root(), root)
    monkeypatch.setattr(paths, "shipped_tables_root", lambda: root)
    return root


def test_an_installation_without_tables_says_so_in_one_line(cli, shipped_copy):
    shutil.rmtree(shipped_copy)
    shipped_copy.mkdir()
    result = cli("price", "17000")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert "no fee-schedule tables in" in lines[0] and str(shipped_copy) in lines[0]
    assert "reinstall the estimator" in lines[0]


def test_a_damaged_table_is_named_with_the_fix(cli, shipped_copy):
    rvu = shipped_copy / "2026" / "rvu.csv"
    rvu.write_text(rvu.read_text(encoding="utf-8").replace("17000,", "17001,", 1), encoding="utf-8")
    result = cli("price", "17000", "--year", "2026")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and str(rvu) in lines[0] and "sha256" in lines[0] and "reinstall" in lines[0]


def test_a_missing_table_file_is_named(cli, shipped_copy):
    (shipped_copy / "2026" / "rvu.csv").unlink()
    result = cli("price", "17000", "--year", "2026")
    assert result.code == 1 and "rvu.csv" in result.err and "reinstall" in result.err


# --- backup and restore -------------------------------------------------------------------------------------

@pytest.fixture
def issued_gfe(cli, tmp_path, qapp) -> None:
    assert cli(*PRACTICE).code == 0
    result = cli(*GFE, "--out", str(tmp_path / "gfe.pdf"))
    assert result.code == 0, result.err


def _gfe_names(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT patient_name FROM gfe_log")]
    conn.close()
    return names


def test_backup_and_restore_keep_the_gfe_log(cli, issued_gfe, tmp_path):
    db = paths.default_db_path()
    backup = tmp_path / "backup.sqlite"
    result = cli("db", "backup", str(backup))
    assert result.code == 0, result.err
    assert _gfe_names(backup) == ["Ana Q. Testpatient"]
    # Lose the log, then restore it.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM gfe_log")
    conn.close()
    assert _gfe_names(db) == []
    result = cli("db", "restore", str(backup))
    assert result.code == 0, result.err
    assert _gfe_names(db) == ["Ana Q. Testpatient"]
    kept = [p for p in db.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1 and _gfe_names(kept[0]) == []  # what was there before is kept, not lost
    assert "kept as" in result.out
    assert cli("gfe", "list", "--format", "json").code == 0


def test_restore_refuses_a_file_that_is_not_an_estimator_database(cli, issued_gfe, tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all " * 100, encoding="utf-8")
    for bad in (other, text, tmp_path / "missing.sqlite"):
        result = cli("db", "restore", str(bad))
        assert result.code == 1
        assert len(result.err.strip().splitlines()) == 1 and str(bad) in result.err
    assert _gfe_names(paths.default_db_path()) == ["Ana Q. Testpatient"]  # nothing changed


def test_restore_refuses_a_damaged_backup(cli, issued_gfe, tmp_path):
    backup = tmp_path / "backup.sqlite"
    assert cli("db", "backup", str(backup)).code == 0
    data = bytearray(backup.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page, len(data), page):  # scribble over the header of every page after the schema page
        data[offset: offset + 64] = b"\x0d" + b"\xff" * 63
    backup.write_bytes(bytes(data))
    result = cli("db", "restore", str(backup))
    assert result.code == 1 and "nothing was restored" in result.err
    assert _gfe_names(paths.default_db_path()) == ["Ana Q. Testpatient"]


def test_backup_without_a_database_says_there_is_nothing_to_back_up(cli, tmp_path):
    result = cli("db", "backup", str(tmp_path / "b.sqlite"))
    assert result.code == 1 and "nothing to back up" in result.err


# --- the log file ---------------------------------------------------------------------------------------------

def test_the_log_file_records_a_gfe_without_the_patients_name_or_birth_date(cli, issued_gfe):
    log = logs.log_file()
    assert log.is_file(), "issuing a GFE writes a line to the log file"
    text = log.read_text(encoding="utf-8")
    assert "Good Faith Estimate #1 logged" in text
    for detail in ("Ana", "Testpatient", "1951-02-03", "02/03/1951", "1951"):
        assert detail not in text
    if sys.platform != "win32":
        assert log.stat().st_mode & 0o777 == 0o600


def test_an_internal_error_is_logged_by_type_and_stack_without_its_message(cli, monkeypatch):
    from estimator.cli import pricing_commands  # noqa: PLC0415

    def broken(*_args, **_kwargs):
        raise RuntimeError("Ana Q. Testpatient 1951-02-03")

    monkeypatch.setattr(pricing_commands, "run_price", broken)
    result = cli("price", "17000")
    assert result.code == 70 and str(logs.log_file()) in result.err
    text = logs.log_file().read_text(encoding="utf-8")
    assert "builtins.RuntimeError" in text and "in broken" in text  # the type and where, for a bug report
    assert "Testpatient" not in text and "1951" not in text

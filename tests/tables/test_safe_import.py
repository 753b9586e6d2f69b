"""``tables import`` of a real-layout release, safely (issue 13): a synthetic next-year release built from the
shipped data switches prices by date of service; concurrent imports, a crash between the two renames and
hostile or damaged .zip files never leave a missing, partial or unexpected release."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from estimator import paths
from estimator.cli import main
from estimator.core.lesions import price_lesions
from estimator.core.schedule import Setting
from estimator.tables import importing, swap
from estimator.tables.shipped import TableCatalog, default_catalog, load_table_set
from estimator.tables.status import tables_status
from tests.conftest import REPO_ROOT
from tests.tables.synthetic_release import CF, shifted_work, write_release, write_release_zip

# RVU26C 17000: work 0.59, non-facility PE 1.34, MP 0.06 (rvu_tables/2026/rvu.csv); national GPCIs 1.000.
NEXT_17000 = ((shifted_work("0.59") + Decimal("1.34") + Decimal("0.06")) * Decimal(CF)).quantize(
    Decimal("0.01"), rounding=ROUND_HALF_UP)


def price_17000(on: dt.date) -> tuple[str, int, bool]:
    tables = default_catalog().for_date(on)
    [line] = price_lesions(tables, 1, locality_key="national", setting=Setting.NONFACILITY)
    return tables.release, int(line.cents or 0), tables.tables_in_force.provisional


def user_entries() -> list[str]:
    root = paths.user_tables_root()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_synthetic_next_year_release_switches_prices_by_date_and_ends_the_provisional_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert Decimal("67.50") == NEXT_17000
    before = tables_status(default_catalog(), dt.date(2026, 12, 20))
    assert {q.provisional for q in before.quarters if q.quarter.startswith("2027")} == {True}
    assert price_17000(dt.date(2027, 1, 1)) == ("RVU26C", 6647, True)

    code, out, err = run_cli(capsys, "tables", "import", str(write_release_zip(tmp_path / "RVU27A.zip")))
    assert code == 0, err
    assert out.startswith("imported RVU27A (2027), effective 2027-01-01, CF 33.7500")

    assert price_17000(dt.date(2026, 12, 31)) == ("RVU26C", 6647, False)
    assert price_17000(dt.date(2027, 1, 1)) == ("RVU27A", int(NEXT_17000 * 100), False)
    after = tables_status(default_catalog(), dt.date(2026, 12, 20))
    assert {(q.release, q.provisional) for q in after.quarters if q.quarter.startswith("2027")} == {("RVU27A", False)}
    assert after.reminder == "" and after.due_next.startswith("RVU27B (effective 2027-04-01) expected in March 2027")
    code, out, _ = run_cli(capsys, "tables", "status", "--today", "2026-12-20")
    assert code == 0 and re.search(r"^2027 Q1 +RVU27A +imported", out, re.M)
    assert not [line for line in out.splitlines() if line.startswith("2027") and "PROVISIONAL" in line]

    manifest = json.loads((paths.user_tables_root() / "2027-RVU27A" / "manifest.json").read_text())
    assert manifest["constants"]["cf_nonqp"]["value"] == CF
    assert manifest["constants"]["part_b_deductible"]["source"].startswith("carried from 2026")
    assert "ZIP codes reused from RVU26C (the release has no ZIP5 file)" in manifest["notes"]
    assert user_entries() == [".lock", "2027-RVU27A"]


def test_a_release_with_the_pprrvu_file_in_the_txt_layout_imports_the_same(tmp_path: Path) -> None:
    manifest = importing.import_release(write_release_zip(tmp_path / "RVU27A.zip", layout="txt"),
                                        paths.user_tables_root(), default_catalog())
    assert (manifest["release"], manifest["sources"][0]["file"]) == ("RVU27A", "PPRRVU27_JAN.txt")
    assert price_17000(dt.date(2027, 3, 1)) == ("RVU27A", int(NEXT_17000 * 100), False)


def test_tables_the_fallback_lists_ride_along_into_an_imported_release(tmp_path: Path) -> None:
    """A table a release does not rebuild (e.g. the NCCI tables) is carried from the release it updates,
    verified against its sha256 and listed in the new manifest."""
    shipped = tmp_path / "shipped"
    (shipped / "2026").mkdir(parents=True)
    for f in (REPO_ROOT / "estimator" / "rvu_tables" / "2026").iterdir():
        (shipped / "2026" / f.name).write_bytes(f.read_bytes())
    extra = "code,limit\n17000,1\n"
    manifest = json.loads((shipped / "2026" / "manifest.json").read_text())
    manifest["tables"]["extra.csv"] = {"rows": 1, "sha256": hashlib.sha256(extra.encode()).hexdigest()}
    manifest["sources"].append({"role": "extra", "file": "EXTRA.csv", "release": "X", "rows": 1, "sha256": "0"})
    (shipped / "2026" / "extra.csv").write_text(extra)
    (shipped / "2026" / "manifest.json").write_text(json.dumps(manifest))
    catalog = TableCatalog([(shipped, "shipped")])
    imported = importing.import_release(write_release(tmp_path / "RVU27A"), paths.user_tables_root(), catalog)
    folder = paths.user_tables_root() / "2027-RVU27A"
    assert (folder / "extra.csv").read_text() == extra
    assert imported["tables"]["extra.csv"]["sha256"] == manifest["tables"]["extra.csv"]["sha256"]
    assert any(s["role"] == "extra" and s["reused_from"] == "RVU26C" for s in imported["sources"])
    load_table_set(folder)  # still verifies


CONCURRENT = 20
_IMPORT_AND_PRICE = """
import datetime as dt, sys
from pathlib import Path
from estimator import paths
from estimator.tables.importing import import_release
from estimator.tables.shipped import default_catalog
import_release(Path(sys.argv[1]), paths.user_tables_root(), default_catalog())
tables = default_catalog().for_date(dt.date(2027, 1, 5))   # present and complete (checksums verified)
print(tables.release, len(tables.schedule))
"""


@pytest.mark.slow
def test_concurrent_imports_of_the_same_release_always_leave_it_present_and_complete(tmp_path: Path) -> None:
    source = write_release_zip(tmp_path / "RVU27A.zip")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _IMPORT_AND_PRICE, str(source)], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(CONCURRENT)]
    results = [p.communicate(timeout=600) for p in procs]
    rows = len(load_table_set(REPO_ROOT / "estimator" / "rvu_tables" / "2026").schedule)
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert out.split() == ["RVU27A", str(rows)]
    assert user_entries() == [".lock", "2027-RVU27A"]
    assert price_17000(dt.date(2027, 1, 5)) == ("RVU27A", 6750, False)


_CRASH_BETWEEN_RENAMES = """
import os, sys
from pathlib import Path
from estimator import paths
from estimator.tables import swap
from estimator.tables.importing import import_release
from estimator.tables.shipped import default_catalog
swap._between_renames = lambda: os._exit(9)   # the power fails after the old release was moved aside
import_release(Path(sys.argv[1]), paths.user_tables_root(), default_catalog())
"""


def test_a_crash_between_the_two_renames_is_finished_on_the_next_start(tmp_path: Path) -> None:
    source = write_release_zip(tmp_path / "RVU27A.zip")
    importing.import_release(source, paths.user_tables_root(), default_catalog())  # an earlier copy
    crashed = subprocess.run([sys.executable, "-c", _CRASH_BETWEEN_RENAMES, str(source)], cwd=REPO_ROOT,
                             env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, timeout=300)
    assert crashed.returncode == 9
    entries = user_entries()
    assert "2027-RVU27A" not in entries and swap.JOURNAL in entries  # the release is gone until recovery
    assert price_17000(dt.date(2027, 1, 5)) == ("RVU27A", 6750, False)  # start-up finishes the swap
    assert user_entries() == [".lock", "2027-RVU27A"]


def test_a_swap_whose_new_folder_is_lost_is_rolled_back(tmp_path: Path) -> None:
    root = paths.user_tables_root()
    importing.import_release(write_release(tmp_path / "RVU27A"), root, default_catalog())
    (root / "2027-RVU27A").rename(root / ".2027-RVU27A.old-0001")
    (root / swap.JOURNAL).write_text(json.dumps({"target": "2027-RVU27A", "new": ".staging-1-x/tables",
                                                 "old": ".2027-RVU27A.old-0001"}))
    assert swap.recover(root) == "rolled back the interrupted import of 2027-RVU27A"
    assert user_entries() == [".lock", "2027-RVU27A"]
    assert price_17000(dt.date(2027, 1, 5)) == ("RVU27A", 6750, False)


# --- hostile and damaged archives ---------------------------------------------------------------------------

def _refused(capsys: pytest.CaptureFixture[str], path: Path, *needles: str) -> None:
    code, out, err = run_cli(capsys, "tables", "import", str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("estimator: error: "), err
    for needle in needles:
        assert needle in err
    assert user_entries() in ([], [".lock"])  # nothing written


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PPRRVU2027_Jan_nonQPP.csv", b"\0" * (64 * 1024 * 1024))  # ~64 KB packed, 1000:1
    assert bomb.stat().st_size < 200_000
    _refused(capsys, bomb, "PPRRVU2027_Jan_nonQPP.csv", "zip bomb")


def test_an_oversized_member_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_MEMBER_BYTES", 2 * importing.MiB)  # the real limit is 256 MB
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("junk.bin", os.urandom(3 * importing.MiB))
    _refused(capsys, big, "junk.bin", "over the 2 MB limit for one file")


def test_too_many_members_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(importing.MAX_MEMBERS + 1):
            archive.writestr(f"f{i}.txt", b"x")
    _refused(capsys, many, "files, more than the 500")


def _stored_release_zip(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "stored.zip"
    write_release(tmp_path / "files")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for f in sorted((tmp_path / "files").iterdir()):
            archive.write(f, f.name)
    return path, path.read_bytes()


def test_a_bad_checksum_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, data = _stored_release_zip(tmp_path)
    spot = data.index(b"17000,")  # flip a byte inside the stored PPRRVU member
    path.write_bytes(data[:spot] + b"9" + data[spot + 1:])
    _refused(capsys, path, "is damaged", "Bad CRC-32")


def test_an_encrypted_member_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, data = _stored_release_zip(tmp_path)
    raw = bytearray(data)
    # Set the "encrypted" flag (bit 0) in every local and central directory header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", raw, start + offset)[0]
            struct.pack_into("<H", raw, start + offset, flags | 0x1)
            start += 4
    path.write_bytes(bytes(raw))
    _refused(capsys, path, "is encrypted")


def test_a_truncated_zip_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_release_zip(tmp_path / "RVU27A.zip")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _refused(capsys, path, "RVU27A.zip", "download it again")


def test_a_member_cut_short_inside_an_intact_directory_is_refused(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = write_release_zip(tmp_path / "RVU27A.zip")
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x03\x04") + 30 + struct.unpack_from("<H", data, data.index(b"PK\x03\x04") + 26)[0]
    data[start:start + 64] = zlib.compress(b"garbage")[:64].ljust(64, b"\0")  # corrupt the deflate stream
    path.write_bytes(bytes(data))
    _refused(capsys, path, "download the release again")

"""Owner-only files: the practice database and everything beside it, GFE PDFs and exports are 0600 in 0700
folders even under a permissive umask (POSIX; Windows relies on the profile folder's ACL)."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

from estimator.files import remove_stale_temp_files, write_text_atomically
from estimator.store import sqlite_store
from estimator.store.sqlite_store import SqliteStore
from tests.private import mode, permissive_umask  # noqa: F401 - permissive_umask is an autouse fixture

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def test_a_new_database_its_wal_shm_and_folder_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "nested" / "practice.sqlite"
    store = SqliteStore(path)
    store.save_practice(store.practice())  # a write: the -wal and -shm files exist while it is open
    for file in (path, path.with_name("practice.sqlite-wal"), path.with_name("practice.sqlite-shm")):
        assert file.exists(), file
        assert mode(file) == 0o600, file
    assert mode(path.parent) == 0o700
    assert mode(path.parent.parent) == 0o700
    store.close()


def test_the_backup_taken_before_a_migration_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    sqlite_store.MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("COMMIT")
    db.close()
    os.chmod(path, 0o644)
    SqliteStore(path).close()
    backup = tmp_path / "old.sqlite.bak-v1"
    assert mode(backup) == 0o600
    assert mode(path) == 0o600


def test_an_existing_world_readable_database_and_its_side_files_are_tightened_on_open(tmp_path: Path) -> None:
    path = tmp_path / "practice.sqlite"
    SqliteStore(path).close()
    stale = [path, tmp_path / "practice.sqlite.bak-v1"]
    stale[1].write_bytes(b"old copy")
    for file in stale:
        os.chmod(file, 0o644)
    store = SqliteStore(path)
    store.payers()
    assert [mode(f) for f in stale] == [0o600, 0o600]
    store.close()


def test_replacing_a_world_readable_file_leaves_an_owner_only_one(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o644)
    write_text_atomically(target, "new\n")
    assert mode(target) == 0o600


def test_temp_files_of_a_killed_process_are_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    tmp_path = tmp_path / "staging"
    tmp_path.mkdir()
    dead = tmp_path / ".estimator-tmp-999999999-abc"  # no such process
    orphan = tmp_path / ".estimator-tmp-x"
    live = tmp_path / f".estimator-tmp-{os.getppid()}-abc"
    mine = tmp_path / "practice.sqlite"
    for f in (dead, orphan, live, mine):
        f.write_bytes(b"%PDF patient")
    assert remove_stale_temp_files(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, mine.name])

"""Honest errors: readers never wait for a writer, a write that cannot get the lock says "busy" in one line,
read-only / full / damaged files are named with what to do, and another program's SQLite file is refused."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from estimator.store import sqlite_store
from estimator.store.sqlite_store import SqliteStore, StoreBusyError, store_error
from tests.cli.conftest import Cli

HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE practice SET name = 'held' WHERE id = 1")
    print("locked", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's database with another process holding its write lock (a short busy timeout here)."""
    db = Path(os.environ["ESTIMATOR_DB"])
    SqliteStore(db).close()
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 500)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield db
    holder.kill()
    holder.wait(10)
    holder.stdout.close()


def test_a_reader_answers_at_once_while_another_process_holds_the_write_lock(cli: Cli, locked: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 15_000)  # a reader that waited would take 15 s
    began = time.monotonic()
    run = cli("payers", "list", "--format", "json")
    assert run.code == 0, run.err
    assert time.monotonic() - began < 5
    assert {p["name"] for p in run.json()} == {"Medicare", "Self-pay"}
    assert cli("gfe", "list").code == 0


def test_a_write_waits_then_says_busy_in_one_line(cli: Cli, locked: Path) -> None:
    began = time.monotonic()
    run = cli("payers", "add", "Acme", "--percent-of-medicare", "120")
    assert time.monotonic() - began >= 0.4  # it waited for the lock first
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "busy" in lines[0] and "try again" in lines[0] and str(locked) in lines[0]
    assert "backup" not in lines[0] and "move" not in lines[0] and "delet" not in lines[0]


@pytest.mark.parametrize(("name", "words"), [
    ("SQLITE_BUSY", "busy"), ("SQLITE_BUSY_SNAPSHOT", "busy"), ("SQLITE_READONLY", "read-only"),
    ("SQLITE_READONLY_DIRECTORY", "read-only"), ("SQLITE_FULL", "disk is full"), ("SQLITE_IOERR_WRITE", "disk"),
    ("SQLITE_CORRUPT", "restore the latest backup"), ("SQLITE_NOTADB", "not an estimator database"),
])
def test_each_failure_names_the_file_and_what_to_do_and_only_damage_suggests_a_backup(name: str,
                                                                                     words: str) -> None:
    exc = sqlite3.OperationalError("x")
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    error = store_error(Path("/data/practice.sqlite"), exc)
    text = str(error)
    assert "/data/practice.sqlite" in text and words in text
    assert ("backup" in text) == (name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    assert "delet" not in text and "move the file away" not in text
    assert isinstance(error, StoreBusyError) == name.startswith("SQLITE_BUSY")


def test_db_on_another_programs_sqlite_file_is_refused_and_left_unchanged(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "photos.db"
    db = sqlite3.connect(other)
    with db:
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    db.close()
    before = other.read_bytes()
    run = cli("--db", str(other), "payers", "add", "Acme", "--percent-of-medicare", "120")
    assert run.code == 1
    assert "not an estimator practice database" in run.err and len(run.err.strip().splitlines()) == 1
    assert other.read_bytes() == before


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="POSIX permissions (root ignores them)")
def test_a_read_only_database_can_be_read_and_a_write_names_the_file(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    db = folder / "practice.sqlite"
    assert cli("--db", str(db), "payers", "add", "Acme", "--percent-of-medicare", "120").code == 0
    os.chmod(db, 0o400)
    listed = cli("--db", str(db), "payers", "list", "--format", "json")
    assert listed.code == 0 and "Acme" in listed.out
    run = cli("--db", str(db), "payers", "add", "Other", "--percent-of-medicare", "110")
    assert run.code == 1 and "read-only" in run.err and str(db) in run.err
    os.chmod(db, 0o600)


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes")
@pytest.mark.parametrize("command", [["audit", "{pipe}"], ["audit", "{claims}", "--mapping", "{pipe}"],
                                     ["payers", "import", "Acme", "{pipe}"], ["forecast", "--scenario", "{pipe}"]])
def test_a_pipe_given_as_an_input_file_is_refused_instead_of_hanging(cli: Cli, tmp_path: Path,
                                                                    command: list[str]) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    claims = tmp_path / "claims.csv"
    claims.write_text("DOS,CPT\n2026-03-02,17000\n", encoding="utf-8")
    run = cli(*[part.format(pipe=pipe, claims=claims) for part in command])
    assert run.code == 1 and "not a regular file" in run.err

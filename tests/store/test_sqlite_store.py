"""The practice store on both engines (SQLite file, PostgreSQL server): payers and profile persist, every write
is all-or-nothing, two processes share one database, a stale edit is refused, GFE numbers never collide.

Tests taking ``store``/``db_target`` run once per engine; those building a SQLite file by hand are SQLite's own.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from estimator.core.errors import InputError
from estimator.core.payers import Method, Payer, Practice
from estimator.store import gfe_log, sqlite_store
from estimator.store.open import open_store
from estimator.store.sql_store import ConflictError, SqlStore
from estimator.store.sqlite_store import SqliteStore, StoreError
from tests.store.test_gfe_log import PDF, make_gfe


@pytest.fixture
def store(db_target: str):
    s = open_store(db_target)
    yield s
    s.close()


def acme(**changes) -> Payer:
    base = {"name": "Acme PPO", "method": Method.PERCENT_OF_MEDICARE, "percent": Decimal("120.5"), "year": 2026,
            "locality": "1320201", "em25_reduction": Decimal(50), "prior_auth_codes": frozenset({"96574"}),
            "frequency_count": 2, "frequency_days": 365, "overrides": {("17000", ""): 7500}}
    return Payer(**(base | changes))


def test_medicare_and_self_pay_are_always_present_and_cannot_be_removed(store: SqlStore) -> None:
    assert store.payer_names()[:2] == ["Medicare", "Self-pay"]
    for name in ("Medicare", "self-pay"):
        with pytest.raises(InputError, match="built in"):
            store.remove_payer(name)


def test_a_payer_round_trips_every_field(store: SqlStore, db_target: str) -> None:
    store.add_payer(acme())
    store.close()
    reopened = open_store(db_target)
    assert reopened.payer("acme ppo") == acme()
    reopened.close()


def test_payer_names_clash_case_insensitively(store: SqlStore) -> None:
    store.add_payer(acme())
    with pytest.raises(InputError, match="already exists"):
        store.add_payer(acme(name="ACME PPO"))
    store.add_payer(acme(name="Other"))
    with pytest.raises(InputError, match="already exists"):
        store.update_payer("Other", acme(name="acme ppo"))


def test_practice_profile_and_charge_master_persist(store: SqlStore) -> None:
    store.save_practice(Practice("Sunrise", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001", "0441218",
                                 "11", True, False))
    store.replace_charges({("17000", ""): 15000, ("88305", "26"): 9000})
    practice = store.practice()
    flags = (practice.name, practice.state, practice.qualifying_apm, practice.participating)
    assert flags == ("Sunrise", "TX", True, False)
    assert practice.charge("17000") == 15000 and practice.charge("88305", "26") == 9000


def test_a_failed_write_changes_nothing(store: SqlStore) -> None:
    store.add_payer(acme())
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        # A negative fee violates the CHECK constraint half-way through the transaction.
        store.replace_fees("Acme PPO", {("17000", ""): 100, ("17003", ""): -1})
    assert store.payer("Acme PPO").fees == {}


def test_migration_from_v1_keeps_data_and_takes_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    sqlite_store.MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("UPDATE practice SET name = 'Old Practice'")
    db.execute("COMMIT")
    db.close()
    store = SqliteStore(path)
    assert store.practice().name == "Old Practice"
    assert store.query("PRAGMA user_version")[0][0] == sqlite_store.schema_version()
    assert store.query("SELECT count(*) FROM gfe_log")[0][0] == 0
    store.close()
    backup = tmp_path / "old.sqlite.bak-v1"
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT name FROM practice").fetchone()[0] == "Old Practice"


def test_a_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    SqliteStore(path).close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {sqlite_store.schema_version() + 1}")
    with pytest.raises(StoreError, match="newer version"):
        SqliteStore(path)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not an estimator database"):
        SqliteStore(path)


def _writer(target: str, worker: int, count: int) -> None:
    store = open_store(target)
    for i in range(count):
        store.add_payer(Payer(f"W{worker}-{i}", Method.PERCENT_OF_MEDICARE, percent=Decimal(100 + i)))
    store.close()


def _run_at_once(target: str, *jobs: tuple) -> None:
    """Run each (function, *args) in its own process, all at once; each must succeed."""
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=job[0], args=(target, *job[1:])) for job in jobs]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0


def test_two_processes_writing_at_once_do_not_corrupt_the_database(db_target: str) -> None:
    open_store(db_target).close()
    _run_at_once(db_target, (_writer, 0, 40), (_writer, 1, 40))
    store = open_store(db_target)
    assert not isinstance(store, SqliteStore) or store.integrity_ok()
    assert len([n for n in store.payer_names() if n.startswith("W")]) == 80
    store.close()


def test_killing_a_process_in_the_middle_of_a_large_import_leaves_all_or_nothing(db_target: str) -> None:
    open_store(db_target).close()
    script = textwrap.dedent(f"""
        from estimator.core.payers import Method, Payer
        from estimator.store.open import open_store
        store = open_store({db_target!r})
        fees = {{(f"{{i:05d}}", ""): i for i in range(200000)}}
        print("ready", flush=True)
        store.replace_fees("Big", fees, create=Payer("Big", Method.FEE_SCHEDULE))
        print("done", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.15)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    store = open_store(db_target)
    assert not isinstance(store, SqliteStore) or store.integrity_ok()
    names = store.payer_names()
    fees = len(store.payer("Big").fees) if "Big" in names else 0
    assert fees in (0, 200000)
    store.close()


def test_a_stale_edit_is_refused_with_who_changed_it_and_nothing_is_overwritten(db_target: str) -> None:
    desk1, desk2 = open_store(db_target), open_store(db_target)
    desk1.add_payer(acme())
    seen_by_1, seen_by_2 = desk1.payer_stamp("Acme PPO"), desk2.payer_stamp("Acme PPO")
    desk2.update_payer("Acme PPO", acme(percent=Decimal(130)), version=seen_by_2.version)
    with pytest.raises(ConflictError, match=rf"changed by {desk2.user} at .*reload"):
        desk1.update_payer("Acme PPO", acme(percent=Decimal(110)), version=seen_by_1.version)
    assert desk1.payer("Acme PPO").percent == Decimal(130)  # the first save stands
    fresh = desk1.payer_stamp("Acme PPO")
    assert fresh.version == seen_by_1.version + 1
    desk1.update_payer("Acme PPO", acme(percent=Decimal(110)), version=fresh.version)  # after a reload it saves
    assert desk2.payer("Acme PPO").percent == Decimal(110)
    desk1.close()
    desk2.close()


def _edit_payer(target: str, percent: int, ready: str, go: str) -> None:
    """Read the payer, say so, wait for the signal, then save with the version read."""
    store = open_store(target)
    version = store.payer_stamp("Acme PPO").version
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.01)
    try:
        store.update_payer("Acme PPO", acme(percent=Decimal(percent)), version=version)
        Path(ready + ".saved").touch()
    except ConflictError as exc:
        Path(ready + ".refused").write_text(str(exc))
    store.close()


def test_two_processes_editing_one_payer_the_second_save_is_refused(db_target: str, tmp_path: Path) -> None:
    store = open_store(db_target)
    store.add_payer(acme())
    go = tmp_path / "go"
    ready = [tmp_path / "a", tmp_path / "b"]
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_edit_payer, args=(db_target, 111 + i, str(r), str(go))) for i, r in enumerate(ready)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both have read version 1; now both save
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    saved = [r for r in ready if Path(f"{r}.saved").exists()]
    refused = [Path(f"{r}.refused").read_text() for r in ready if Path(f"{r}.refused").exists()]
    assert len(saved) == 1 and len(refused) == 1
    assert "was changed by" in refused[0] and "reload it" in refused[0]
    winner = 111 + ready.index(saved[0])
    assert store.payer("Acme PPO").percent == Decimal(winner)
    store.close()


def _issue_gfes(target: str, count: int) -> None:
    store = open_store(target)
    for _ in range(count):
        gfe_log.save(store, make_gfe(), lang="en", inputs={}, pdf=PDF)
    store.close()


def test_two_processes_issuing_100_gfes_each_get_200_distinct_numbers(db_target: str) -> None:
    open_store(db_target).close()
    _run_at_once(db_target, (_issue_gfes, 100), (_issue_gfes, 100))
    store = open_store(db_target)
    numbers = [int(r[0]) for r in store.query("SELECT id FROM gfe_log")]
    assert len(numbers) == 200 and len(set(numbers)) == 200
    issued = [e for e in store.audit_trail(limit=1000) if e.action == "GFE issued"]
    assert sorted(int(e.subject.lstrip("#")) for e in issued) == sorted(numbers)
    store.close()


def test_every_contract_change_is_in_the_audit_trail_with_who_and_when(store: SqlStore) -> None:
    store.add_payer(acme())
    store.update_payer("Acme PPO", acme(percent=Decimal(125)), version=store.payer_stamp("Acme PPO").version)
    store.replace_fees("Acme PPO", {("17000", ""): 9000})
    store.remove_payer("Acme PPO")
    trail = [(e.action, e.subject) for e in store.audit_trail()][:4]
    assert trail == [("payer removed", "Acme PPO"), ("fee schedule imported", "Acme PPO"),
                     ("payer changed", "Acme PPO"), ("payer added", "Acme PPO")]
    assert all(e.who == store.user and e.at.endswith("+00:00") for e in store.audit_trail())


def test_the_change_counter_moves_when_another_connection_changes_payers(db_target: str) -> None:
    watcher, editor = open_store(db_target), open_store(db_target)
    before = watcher.change_counter()
    editor.add_payer(acme())
    after_add = watcher.change_counter()
    editor.update_payer("Acme PPO", acme(percent=Decimal(99)))
    assert before != after_add != watcher.change_counter()
    watcher.close()
    editor.close()


def test_postgresql_keeps_the_schema_version_in_the_database_and_refuses_a_newer_one(pg_database: str) -> None:
    open_store(pg_database).close()
    with psycopg.connect(pg_database, autocommit=True) as raw:
        assert raw.execute("SELECT version FROM estimator_schema").fetchone() == (sqlite_store.schema_version(),)
        raw.execute("UPDATE estimator_schema SET version = version + 1")
    with pytest.raises(StoreError, match="newer version"):
        open_store(pg_database)

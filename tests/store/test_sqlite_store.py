"""The practice store: payers and profile persist, every write is all-or-nothing, two processes share a file."""

from __future__ import annotations

import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from estimator.core.errors import InputError
from estimator.core.payers import Method, Payer, Practice
from estimator.store import sqlite_store
from estimator.store.sqlite_store import SqliteStore, StoreError


@pytest.fixture
def store(tmp_path: Path):
    s = SqliteStore(tmp_path / "practice.sqlite")
    yield s
    s.close()


def acme(**changes) -> Payer:
    base = {"name": "Acme PPO", "method": Method.PERCENT_OF_MEDICARE, "percent": Decimal("120.5"), "year": 2026,
            "locality": "1320201", "em25_reduction": Decimal(50), "prior_auth_codes": frozenset({"96574"}),
            "frequency_count": 2, "frequency_days": 365, "overrides": {("17000", ""): 7500}}
    return Payer(**(base | changes))


def test_medicare_and_self_pay_are_always_present_and_cannot_be_removed(store: SqliteStore) -> None:
    assert store.payer_names()[:2] == ["Medicare", "Self-pay"]
    for name in ("Medicare", "self-pay"):
        with pytest.raises(InputError, match="built in"):
            store.remove_payer(name)


def test_a_payer_round_trips_every_field(store: SqliteStore, tmp_path: Path) -> None:
    store.add_payer(acme())
    store.close()
    reopened = SqliteStore(tmp_path / "practice.sqlite")
    assert reopened.payer("acme ppo") == acme()
    reopened.close()


def test_payer_names_clash_case_insensitively(store: SqliteStore) -> None:
    store.add_payer(acme())
    with pytest.raises(InputError, match="already exists"):
        store.add_payer(acme(name="ACME PPO"))
    store.add_payer(acme(name="Other"))
    with pytest.raises(InputError, match="already exists"):
        store.update_payer("Other", acme(name="acme ppo"))


def test_practice_profile_and_charge_master_persist(store: SqliteStore) -> None:
    store.save_practice(Practice("Sunrise", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001", "0441218",
                                 "11", True, False))
    store.replace_charges({("17000", ""): 15000, ("88305", "26"): 9000})
    practice = store.practice()
    flags = (practice.name, practice.state, practice.qualifying_apm, practice.participating)
    assert flags == ("Sunrise", "TX", True, False)
    assert practice.charge("17000") == 15000 and practice.charge("88305", "26") == 9000


def test_a_failed_write_changes_nothing(store: SqliteStore) -> None:
    store.add_payer(acme())
    with pytest.raises(sqlite3.IntegrityError):
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
    assert sqlite3.connect(backup).execute("SELECT name FROM practice").fetchone()[0] == "Old Practice"


def test_a_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    SqliteStore(path).close()
    sqlite3.connect(path).execute(f"PRAGMA user_version = {sqlite_store.schema_version() + 1}")
    with pytest.raises(StoreError, match="newer version"):
        SqliteStore(path)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not an estimator database"):
        SqliteStore(path)


def _writer(path: str, worker: int, count: int) -> None:
    store = SqliteStore(Path(path))
    for i in range(count):
        store.add_payer(Payer(f"W{worker}-{i}", Method.PERCENT_OF_MEDICARE, percent=Decimal(100 + i)))
    store.close()


def test_two_processes_writing_at_once_do_not_corrupt_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    SqliteStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(path), w, 40)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    store = SqliteStore(path)
    assert store.integrity_ok()
    assert len([n for n in store.payer_names() if n.startswith("W")]) == 80
    store.close()


def test_killing_a_process_in_the_middle_of_a_large_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kill.sqlite"
    SqliteStore(path).close()
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from estimator.core.payers import Method, Payer
        from estimator.store.sqlite_store import SqliteStore
        store = SqliteStore(Path({str(path)!r}))
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
    store = SqliteStore(path)
    assert store.integrity_ok()
    names = store.payer_names()
    fees = len(store.payer("Big").fees) if "Big" in names else 0
    assert fees in (0, 200000)
    store.close()

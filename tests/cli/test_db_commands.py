"""``estimator db``: roles on a real PostgreSQL server, copying a SQLite practice to it, purging old GFEs."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from estimator.core.payers import Method, Payer
from estimator.store import gfe_log
from estimator.store.open import open_store
from estimator.store.roles import Role
from estimator.store.sql_store import NotAllowedError
from tests.pg_server import dsn_for
from tests.store.test_gfe_log import PDF, make_gfe


def _demo_practice(cli, path: Path) -> None:
    """A demo SQLite practice: example payers and charges, a fee schedule, two GFEs (one in Spanish)."""
    assert cli("--db", str(path), "--create", "demo", "load").code == 0
    assert cli("--db", str(path), "practice", "set", "--name", "Sunrise Dermatology").code == 0
    store = open_store(path)
    store.replace_fees("Fixed Plan", {("17000", ""): 8123, ("17003", ""): 1234, ("17004", ""): 20000},
                       create=Payer("Fixed Plan", Method.FEE_SCHEDULE))
    gfe_log.save(store, make_gfe(), lang="en", inputs={"lesions": 8}, pdf=PDF)
    gfe_log.save(store, make_gfe("José Núñez", "1960-07-04"), lang="es", inputs={}, pdf=PDF + b"es")
    store.close()


def test_db_copy_reproduces_every_payer_fee_charge_and_gfe_on_postgresql(cli, tmp_path, pg_database):
    source_path = tmp_path / "alone.sqlite"
    _demo_practice(cli, source_path)

    dry = cli("db", "copy", "--from", f"sqlite:{source_path}", "--to", pg_database, "--dry-run")
    assert dry.code == 0, dry.err
    assert "dry run: nothing was written" in dry.out
    target = open_store(pg_database)
    assert len(target.payers()) == 2  # only the built-in payers: nothing was copied
    target.close()

    run = cli("db", "copy", "--from", f"sqlite:{source_path}", "--to", pg_database)
    assert run.code == 0, run.err
    assert "every count and checksum the same" in run.out and "DIFFERENT" not in run.out

    # Independently of the checksums: the data read back through each engine is equal.
    source, target = open_store(source_path), open_store(pg_database)
    assert target.payers() == source.payers() and len(source.payers()) > 3
    assert target.practice() == source.practice() and target.practice().charges
    assert [gfe_log.get(target, r.id).pdf for r in gfe_log.list_entries(target)] == \
        [gfe_log.get(source, r.id).pdf for r in gfe_log.list_entries(source)]
    table_rows = {line.split()[0]: int(line.split()[1]) for line in run.out.splitlines()[2:] if line[:1].isalpha()}
    assert table_rows["gfe_log"] == 2 and table_rows["payers"] == len(source.payers())
    assert table_rows["payer_fees"] == int(source.query("SELECT COUNT(*) FROM payer_fees")[0][0])
    # New rows on the server get new numbers after the copied ones.
    new_id = gfe_log.save(target, make_gfe(), lang="en", inputs={}, pdf=PDF)
    assert new_id == max(r.id for r in gfe_log.list_entries(source)) + 1
    source.close()
    target.close()

    again = cli("db", "copy", "--from", f"sqlite:{source_path}", "--to", pg_database)
    assert again.code == 1 and "already holds practice data" in again.err


@pytest.fixture
def logins(pg_server: str, pg_database: str) -> dict[Role, str]:
    """One login per role on the server, made members by ``estimator db init-roles`` run by the owner."""
    suffix = uuid.uuid4().hex[:8]
    names = {role: f"{role.name.lower()}_{suffix}" for role in Role}
    with psycopg.connect(pg_server, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE ROLE "{name}" LOGIN')
    open_store(pg_database).close()  # the owner creates the schema
    return {role: dsn_for(pg_server, psycopg.conninfo.conninfo_to_dict(pg_database)["dbname"], name)
            for role, name in names.items()}


def test_a_front_desk_cannot_change_a_contract_the_database_refuses_and_says_why(cli, pg_database, logins):
    members = [f"--member={dsn.split('://')[1].split('@')[0]}={role.value.replace(' ', '-')}"
               for role, dsn in logins.items()]
    run = cli("--db", pg_database, "db", "init-roles", *members)
    assert run.code == 0, run.err

    desk = open_store(logins[Role.FRONT_DESK])
    assert desk.role() is Role.FRONT_DESK
    with pytest.raises(NotAllowedError, match=f"refused this for {desk.user} .*permission denied for table payers"):
        desk.update_payer("Medicare", desk.payer("Medicare"))
    with psycopg.connect(logins[Role.FRONT_DESK]) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute("UPDATE payers SET notes = 'x'")  # refused by the server itself, not only by the program
    assert gfe_log.save(desk, make_gfe(), lang="en", inputs={}, pdf=PDF) > 0  # front desk issues GFEs
    desk.close()
    edit = cli("--db", logins[Role.FRONT_DESK], "payers", "edit", "Medicare", "--notes", "x")
    assert edit.code == 1 and "the database refused this" in edit.err and "with the front desk role" in edit.err

    billing = open_store(logins[Role.BILLING])
    assert billing.role() is Role.BILLING
    billing.close()
    manager = open_store(logins[Role.MANAGER])
    assert manager.role() is Role.MANAGER
    manager.update_payer("Medicare", manager.payer("Medicare"), version=manager.payer_stamp("Medicare").version)
    trail = manager.audit_trail()
    assert (trail[0].action, trail[0].who) == ("payer changed", manager.user)
    assert any(e.action == "GFE issued" and e.who.startswith("front_desk_") for e in trail)
    manager.close()

    purge = cli("--db", logins[Role.FRONT_DESK], "db", "purge", "--yes")
    assert purge.code == 1 and "ask someone with the manager role" in purge.err


def test_purge_deletes_only_gfes_past_six_years_after_confirmation_with_a_report(cli, db_target):
    store = open_store(db_target)
    old = gfe_log.save(store, make_gfe(service=None, issued="2020-01-02"), lang="en", inputs={}, pdf=PDF,
                         issued_at=dt.datetime(2020, 1, 2, 16, tzinfo=dt.UTC))
    edge = gfe_log.save(store, make_gfe(service=None, issued="2020-12-04"), lang="en", inputs={}, pdf=PDF,
                          issued_at=dt.datetime(2020, 12, 4, 16, tzinfo=dt.UTC))
    recent = gfe_log.save(store, make_gfe(), lang="en", inputs={}, pdf=PDF)
    store.close()

    unconfirmed = cli("--db", db_target, "db", "purge", "--as-of", "2026-12-04")
    assert unconfirmed.code == 1 and "nothing was deleted" in unconfirmed.err
    assert f"#{old}" in unconfirmed.out and f"#{edge}" not in unconfirmed.out  # retained through 2026-12-04

    run = cli("--db", db_target, "db", "purge", "--as-of", "2026-12-04", "--yes")
    assert run.code == 0, run.err
    assert "purged 1 Good Faith Estimate(s) issued 2020-01-02 to 2020-01-02" in run.out
    store = open_store(db_target)
    assert sorted(r.id for r in gfe_log.list_entries(store)) == [edge, recent]
    assert ("GFE purged", f"#{old}") in [(e.action, e.subject) for e in store.audit_trail()]
    store.close()
    assert "nothing to purge" in cli("--db", db_target, "db", "purge", "--as-of", "2026-12-04", "--yes").out


def test_estimator_db_names_a_postgresql_database(cli, pg_database, monkeypatch):
    monkeypatch.setenv("ESTIMATOR_DB", pg_database)
    assert cli("payers", "add", "Shared PPO", "--percent-of-medicare", "110", "--year", "2026").code == 0
    store = open_store(pg_database)
    assert store.payer("shared ppo").percent == Decimal(110)
    store.close()
    bad = cli("--db", "postgresql://nobody@/nodb?host=/nonexistent", "payers", "list")
    assert bad.code == 1 and "cannot connect to the practice database" in bad.err

"""Every stored value is validated on the way in, and a bad row already in a database (written directly,
as an older version or another tool could) is named and skipped: every other payer still prices."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from estimator.store.sqlite_store import SqliteStore
from tests.cli.conftest import Cli, csv_rows


@pytest.mark.parametrize("cf", ["38.12345", "NaN", "nan", "Infinity", "-1", "1000", "1e400", "３８", "9" * 5000])
def test_a_conversion_factor_the_pricing_cannot_hold_is_refused_in_one_line(cli: Cli, cf: str) -> None:
    run = cli("payers", "add", "X", "--conversion-factor", cf)
    assert run.code == 1
    assert len(run.err.strip().splitlines()) == 1 and "--conversion-factor" in run.err
    assert "X" not in cli("payers", "list", "--format", "json").out


@pytest.mark.parametrize(("args", "words"), [
    (["--percent-of-medicare", "NaN"], "--percent-of-medicare"),
    (["--percent-of-medicare", "120.123456"], "decimal places"),
    (["--percent-of-medicare", "100", "--em25-reduction", "sNaN"], "--em25-reduction"),
    (["--percent-of-medicare", "100", "--frequency", "1/99999999999999999999"], "--frequency"),
    (["--percent-of-medicare", "100", "--frequency", "１/365"], "--frequency"),
    (["--percent-of-medicare", "100", "--effective-from", "0001-01-01"], "1900"),
    (["--percent-of-medicare", "100", "--override", "17000=1e9"], "--override"),
])
def test_other_contract_values_are_checked_on_entry(cli: Cli, args: list[str], words: str) -> None:
    run = cli("payers", "add", "X", *args)
    assert run.code == 1, run.err
    assert words in run.err and len(run.err.strip().splitlines()) == 1


def _write_bad_rows(db: Path) -> None:
    SqliteStore(db).close()
    raw = sqlite3.connect(db)
    with raw:
        raw.execute("INSERT INTO payers (name, method, conversion_factor) VALUES ('Bad CF Plan', 'own_cf', '38.12345')")
        raw.execute("INSERT INTO payers (name, method, conversion_factor) VALUES ('NaN Plan', 'own_cf', 'NaN')")
        raw.execute("INSERT INTO payers (name, method, percent) VALUES ('Good PPO', 'percent_of_medicare', '120')")
    raw.close()


def test_a_bad_row_in_the_database_is_named_and_every_other_payer_still_prices(cli: Cli) -> None:
    _write_bad_rows(Path(os.environ["ESTIMATOR_DB"]))
    run = cli("compare", "payers", "--lesions", "3", "--format", "csv")
    assert run.code == 0, run.err
    assert {r["payer"] for r in csv_rows(run.out)} == {"Medicare", "Self-pay", "Good PPO"}
    assert "'Bad CF Plan'" in run.err and "'NaN Plan'" in run.err and "skipped" in run.err
    good = next(r for r in csv_rows(run.out) if r["payer"] == "Good PPO")
    medicare = next(r for r in csv_rows(run.out) if r["payer"] == "Medicare")
    # 120% of Medicare's allowed, rounded half-up per line (17000 x1 + 17003 x2 nationally: 66.47, 2 x 6.35)
    assert good["allowed"] == "95.00" and medicare["allowed"] == "79.17"
    negotiate = cli("negotiate", "--payer", "Good PPO", "--format", "json")
    assert negotiate.code == 0, negotiate.err
    assert {p["payer"] for p in negotiate.json()["payers"]} == {"Medicare", "Self-pay", "Good PPO"}
    estimate = cli("estimate", "--lesions", "3", "--payer", "Good PPO", "--format", "json")
    assert estimate.code == 0 and estimate.json()["allowed"] == "95.00"
    named = cli("estimate", "--lesions", "3", "--payer", "Bad CF Plan")
    assert named.code == 1 and "Bad CF Plan" in named.err and "more than 4 decimal places" in named.err
    listed = cli("payers", "list", "--format", "json")
    assert listed.code == 0 and "Bad CF Plan" in listed.err
    assert cli("payers", "remove", "Bad CF Plan").code == 0  # the way out the message suggests works


def test_a_large_practices_revenue_target_is_accepted_and_an_absurd_one_refused(cli: Cli) -> None:
    assert cli("payers", "add", "Acme", "--percent-of-medicare", "120").code == 0
    run = cli("negotiate", "--payer", "Acme", "--target-revenue", "25,000,000", "--format", "json")
    assert run.code == 0, run.err
    assert run.json()["target"]["target_revenue"] == "25000000.00"
    absurd = cli("negotiate", "--payer", "Acme", "--target-revenue", "2000000000")
    assert absurd.code == 1 and "implausibly large" in absurd.err

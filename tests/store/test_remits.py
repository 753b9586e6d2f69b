"""Imported remittances in the practice database: every line back as read, once, and all or nothing.

Run on both engines (``db_target``): ``save`` streams its rows into one insert inside one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from estimator.core.remits import RemitLine
from estimator.store import remits
from estimator.store.open import open_store
from estimator.store.sql_store import SqlStore


@pytest.fixture
def store(db_target: str) -> Iterator[SqlStore]:
    s = open_store(db_target)
    yield s
    s.close()


@pytest.fixture
def sample(repo_root: Path) -> tuple[list[RemitLine], str]:
    return remits.read_file(repo_root / "samples" / "remit.835")


def test_saved_lines_load_back_exactly_as_read_and_a_second_save_adds_nothing(
        store: SqlStore, sample: tuple[list[RemitLine], str]) -> None:
    lines, sha = sample
    first = remits.save(store, "remit.835", sha, lines)
    again = remits.save(store, "remit.835", sha, iter(lines))  # any iterable, read once
    assert (first.lines_read, first.lines_added) == (len(lines), len(lines))
    assert (again.lines_read, again.lines_added) == (len(lines), 0)
    assert remits.load(store) == lines
    assert remits.count(store) == len(lines)


def test_a_save_that_fails_part_way_stores_nothing(store: SqlStore, sample: tuple[list[RemitLine], str]) -> None:
    lines, sha = sample
    broken = dataclasses.replace(lines[-1], paid_on=None)  # type: ignore[arg-type]  # fails as its row is made
    with pytest.raises(AttributeError):
        remits.save(store, "remit.835", sha, [*lines[:-1], broken], now=dt.datetime(2026, 4, 20, tzinfo=dt.UTC))
    assert remits.count(store) == 0
    assert store.query("SELECT count(*) FROM remit_files")[0][0] == 0
    assert remits.save(store, "remit.835", sha, lines).lines_added == len(lines)

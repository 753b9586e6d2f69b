"""The compare page: every payer, every locality and both years for the estimate page's visit."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from PySide6.QtCore import Qt

from estimator.app.pages.compare_page import ALL_STATES, ComparePage
from estimator.core.payers import Method, Payer, Practice
from estimator.store.sqlite_store import SqliteStore
from tests.app.conftest import WindowFactory

REST_OF_TEXAS = "0441299"


@pytest.fixture
def page(store: SqliteStore, make_window: WindowFactory) -> ComparePage:
    store.save_practice(Practice(name="Gulf Coast Dermatology", locality_key=REST_OF_TEXAS))
    store.add_payer(Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(115)))
    window = make_window()
    window.estimate_inputs.update(lesions=8, place_of_service="11")
    compare = window.show_page("compare")
    assert isinstance(compare, ComparePage)
    compare.refresh()
    return compare


def test_the_locality_chart_has_109_sorted_bars_with_the_practice_highlighted(page: ComparePage) -> None:
    bars = page.locality_chart.bars()
    assert len(bars["labels"]) == 109
    values = bars["values"]
    assert np.all(np.diff(values) <= 0)
    highlighted = [i for i, role in enumerate(bars["roles"]) if role == "highlight"]
    assert [bars["labels"][i] for i in highlighted] == [REST_OF_TEXAS]
    assert "practice: REST OF TEXAS" in page.locality_caption.text()


def test_filtering_by_state_keeps_that_states_localities(page: ComparePage) -> None:
    page.state_filter.setCurrentIndex(page.state_filter.findText("TX"))
    page.show_localities()
    bars = page.locality_chart.bars()
    assert 1 < len(bars["labels"]) < 109
    assert all(label.startswith("TX ") for label in bars["labels"])
    page.state_filter.setCurrentIndex(page.state_filter.findText(ALL_STATES))
    page.show_localities()
    assert len(page.locality_chart.bars()["labels"]) == 109


def test_every_saved_payer_is_priced_with_its_percent_of_medicare(page: ComparePage) -> None:
    rows = {r.payer: r for r in page.payer_model.rows()}
    assert set(rows) == {"Medicare", "Self-pay", "Acme PPO"}
    assert rows["Medicare"].pct_of_medicare == Decimal("100.00")
    # 115% is taken per unit and rounded half-up per unit (DOMAIN s5): within a few hundredths of 115%.
    assert abs(rows["Acme PPO"].pct_of_medicare - 115) < Decimal("0.05")
    model = page.payer_model
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r, 0)) == "Acme PPO")
    assert abs(float(model.data(model.index(row, 5)).rstrip("%")) - 115) < 0.05
    assert page.payer_chart.bars()["labels"] == [r.payer for r in page.payer_model.rows()]


def test_the_years_table_compares_2025_with_2026(page: ComparePage) -> None:
    years = page.year_chart.bars()["labels"]
    assert [label[:4] for label in years] == ["2025", "2026"]
    model = page.year_model
    assert model.headerData(2, Qt.Orientation.Horizontal).startswith("2025")
    total_row = model.rowCount() - 1
    assert model.data(model.index(total_row, 0)) == "Total"


def test_a_change_on_the_estimate_page_marks_the_hidden_page_stale(page: ComparePage) -> None:
    window = page.window()
    window.show_page("estimate")  # type: ignore[attr-defined]
    page.state.set_lesions(15)
    assert page.stale
    page.refresh()
    assert not page.stale
    assert "17004×1" in page.summary.text()

"""The Forecast page, driven through its real widgets with a temporary store and the shipped tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from estimator.app.context import AppContext
from estimator.app.pages import forecast_page
from estimator.app.pages.forecast_page import PROGRESS_STEPS, ForecastPage
from estimator.core.forecast import ForecastResult
from estimator.core.schedule import Setting

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "forecast_scenario.toml"
RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def page(qtbot, demo_context: AppContext) -> ForecastPage:  # type: ignore[no-untyped-def]
    widget = forecast_page.create_page(demo_context)
    qtbot.addWidget(widget)
    assert isinstance(widget, ForecastPage)
    return widget


def run_to_end(qtbot, page: ForecastPage) -> ForecastResult:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.forecast_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        page.run_button.click()
    result = blocker.args[0]
    assert isinstance(result, ForecastResult)
    return result


def test_the_page_declares_the_page_contract() -> None:
    assert (forecast_page.KEY, forecast_page.TITLE, forecast_page.ORDER) == ("forecast", "Forecast", 40)


def test_the_default_form_is_a_valid_scenario_with_every_stored_payer(page: ForecastPage) -> None:
    scenario, problems = page.scenario()
    assert problems == [] and scenario is not None
    assert sum(scenario.payer_mix.values()) == 100
    assert page.payers.rowCount() == 6  # Medicare, Self-pay and the four demo payers
    assert "Shares add up to 100%" in page.payer_sum.text()


def test_run_shows_the_bands_the_exact_line_and_the_annual_totals(qtbot, page: ForecastPage) -> None:  # type: ignore[no-untyped-def]
    page.paths.setValue(400)
    result = run_to_end(qtbot, page)
    assert page.progress.value() == PROGRESS_STEPS and page.run_button.isEnabled()
    assert not page.cancel_button.isEnabled()
    _, p10 = page.chart.p10_curve.getData()
    _, p50 = page.chart.p50_curve.getData()
    _, p90 = page.chart.p90_curve.getData()
    _, exact = page.chart.expected_curve.getData()
    assert len(p10) == 12
    assert (p10 <= p50).all() and (p50 <= p90).all()
    assert np.allclose(exact, np.array(result.expected.allowed_cents) / 100)
    assert page.allowed_total.text().startswith("Annual allowed: $")
    assert page.allowed_total.text().endswith(f"{result.expected.annual_allowed_cents / 100:,.2f}")
    assert page.table_model.rowCount() == 13
    assert page.table_model.index(12, 0).data() == "Total"


def test_the_same_seed_gives_the_same_bands_on_the_page(qtbot, page: ForecastPage) -> None:  # type: ignore[no-untyped-def]
    page.paths.setValue(200)
    page.seed.setValue(5)
    first = run_to_end(qtbot, page)
    second = run_to_end(qtbot, page)
    assert first.allowed == second.allowed
    page.seed.setValue(6)
    assert run_to_end(qtbot, page).allowed != first.allowed


def test_a_long_run_reports_progress_and_can_be_cancelled(qtbot, page: ForecastPage) -> None:  # type: ignore[no-untyped-def]
    page.paths.setValue(200_000)  # about 480 million encounters: many seconds if left to run
    finished: list[object] = []
    page.forecast_finished.connect(finished.append)
    page.run_button.click()
    assert page.running and page.cancel_button.isEnabled() and not page.run_button.isEnabled()
    qtbot.waitUntil(lambda: page.progress.value() > 0.15 * PROGRESS_STEPS, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(page.forecast_cancelled, timeout=RUN_TIMEOUT_MS):
        page.cancel_button.click()
    assert not page.running and page.run_button.isEnabled() and finished == []
    assert page.status_label.text() == "Cancelled."


def test_shares_that_do_not_add_up_stop_the_run_and_say_why(page: ForecastPage) -> None:
    page.set_payer_share("Medicare", "10")
    assert "(must be 100%)" in page.payer_sum.text()
    assert page.run() is None
    assert "payer mix" in page.problems_label.text() and "sum to" in page.problems_label.text()


def test_a_bad_lesion_weight_names_its_row(page: ForecastPage) -> None:
    item = page.lesions.item(2, 0)
    assert item is not None
    item.setText("lots")
    assert page.run() is None
    assert "lesions 3" in page.problems_label.text()


def test_opening_a_scenario_fills_the_form_and_saving_writes_it_back(page: ForecastPage, tmp_path: Path) -> None:
    assert page.open_scenario(EXAMPLE)
    assert page.volume.value() == 2400
    assert page.em_share.value() == 35 and page.facility_share.value() == 8
    scenario, problems = page.scenario()
    assert problems == [] and scenario is not None
    assert scenario.payer_mix["Medicare"] == 55 and scenario.collection_rate("Medicare") == 97
    assert scenario.setting_mix == {Setting.NONFACILITY: Decimal(92), Setting.FACILITY: Decimal(8)}
    assert scenario.locality_key == "0441299"
    target = tmp_path / "saved.toml"
    assert page.save_scenario(target)
    assert page.open_scenario(target)
    assert page.scenario()[0] == scenario


def test_a_bad_scenario_file_is_reported_on_the_page(page: ForecastPage, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('"Self-pay" = 3', '"Acme" = 3'))
    assert not page.open_scenario(bad)
    assert 'payer_mix."Acme"' in page.problems_label.text()


def test_the_chart_can_show_collected_revenue(qtbot, page: ForecastPage) -> None:  # type: ignore[no-untyped-def]
    page.paths.setValue(100)
    result = run_to_end(qtbot, page)
    page.chart_quantity.setCurrentIndex(page.chart_quantity.findData("collected"))
    _, exact = page.chart.expected_curve.getData()
    assert np.allclose(exact, np.array(result.expected.collected_cents) / 100)
    assert page.chart.series is not None and page.chart.series.title == "Monthly collected revenue"


def test_open_and_save_go_through_the_dialog_service(page: ForecastPage, dialogs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialogs.paths.append(EXAMPLE)
    page.open_button.click()
    assert page.volume.value() == 2400 and page.em_share.value() == 35
    target = tmp_path / "mine.toml"
    dialogs.paths.append(target)
    page.save_button.click()
    assert target.read_text().startswith("# Forecast scenario")
    dialogs.paths.append(None)  # the user cancels the dialog: nothing changes
    page.open_button.click()
    assert page.volume.value() == 2400


def test_the_main_window_discovers_the_page_and_exports_its_table(qtbot, make_window, store, tmp_path: Path  # type: ignore[no-untyped-def]
                                                                  ) -> None:
    window = make_window(pages=("forecast",))
    page = window.show_page("forecast")
    assert isinstance(page, ForecastPage)
    page.paths.setValue(50)
    with qtbot.waitSignal(page.forecast_finished, timeout=RUN_TIMEOUT_MS):
        page.run_button.click()
    out = tmp_path / "forecast.csv"
    assert window.export_table_csv(out) == out
    lines = out.read_text().splitlines()
    assert lines[0].startswith("Month,Encounters,Expected allowed") and lines[-1].startswith("Total,")

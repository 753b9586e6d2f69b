"""The Negotiate page, driven through its real widgets with a temporary store and the shipped tables."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtWidgets import QApplication

from estimator.app.charts.yoy_chart import YoyChart
from estimator.app.context import AppContext
from estimator.app.pages import negotiate_page
from estimator.app.pages.negotiate_page import NegotiatePage
from estimator.app.views.elided_label import ElidedLabel
from estimator.cli import main
from estimator.core.forecast import price_table
from estimator.store.demo import load_demo
from tests.cli.conftest import Run

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "forecast_scenario.toml"
PAST = REPO / "examples" / "past_encounters.csv"
ACME = "Demo: Acme PPO (115%)"


@pytest.fixture
def page(qtbot, demo_context: AppContext) -> NegotiatePage:  # type: ignore[no-untyped-def]
    widget = negotiate_page.create_page(demo_context)
    qtbot.addWidget(widget)
    assert isinstance(widget, NegotiatePage)
    return widget


@pytest.fixture
def cli_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """The CLI on the page's database (the ``store`` fixture's file)."""
    def run(*args: str) -> Run:
        code = main(["--db", str(tmp_path / "practice.sqlite"), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def cell(page: NegotiatePage, payer: str, column: int) -> str:
    model = page.table_model
    row = next(r for r in range(model.rowCount()) if model.standing(r).payer == payer)
    return str(model.index(row, column).data())


def dollars(text: str) -> float:
    return float(text.replace("$", "").replace(",", "").replace("+", "").replace("−", "-"))


def test_the_page_declares_the_page_contract() -> None:
    assert (negotiate_page.KEY, negotiate_page.TITLE, negotiate_page.ORDER) == ("negotiate", "Negotiate", 50)


def test_every_payer_is_listed_with_its_weighted_percent_of_medicare(page: NegotiatePage) -> None:
    assert page.table_model.rowCount() == 6
    assert cell(page, "Medicare", 2) == "100%"
    # 130% rounded half-up per unit comes out a hair above 130% of the line totals (a few hundredths).
    assert 130 <= float(cell(page, "Demo: Summit Health (130%)", 2).rstrip("%")) < 130.1
    assert float(cell(page, ACME, 2).rstrip("%")) < 115  # the E/M-25 cut shows on a mix with visits
    assert page.selected_payer() is not None


def test_the_slider_redraws_the_what_if_at_once(qtbot, page: NegotiatePage) -> None:  # type: ignore[no-untyped-def]
    page.select_payer(ACME)
    base = dollars(cell(page, ACME, 4))
    with qtbot.waitSignal(page.what_if_changed, timeout=1000) as blocker:
        start = time.perf_counter()
        page.slider.setValue(50)  # +5.0%
        elapsed = time.perf_counter() - start
    assert blocker.args == [5.0]
    assert elapsed < 0.05  # one payer's claims repriced (~10 ms; generous for busy machines)
    # Repriced per unit (the CLI's rule, checked exactly below): within rounding of the linear +5%.
    assert dollars(cell(page, ACME, 5)) == pytest.approx(base * 1.05, rel=0.001)
    assert dollars(cell(page, ACME, 6)) == pytest.approx(dollars(cell(page, ACME, 5)) - base, abs=0.01)
    assert dollars(cell(page, "Medicare", 6)) == 0  # only the selected payer changes
    assert page.slider_label.text() == "+5.0%"
    assert ACME in page.what_if_label.text()


def test_many_slider_moves_stay_fast(page: NegotiatePage) -> None:
    page.select_payer(ACME)
    start = time.perf_counter()
    for value in range(-300, 301, 10):
        page.slider.setValue(value)
    per_move = (time.perf_counter() - start) / 61
    assert per_move < 0.02


def test_the_year_over_year_chart_adds_up_to_the_change_per_code(page: NegotiatePage) -> None:
    series = page.chart.series
    assert series is not None and series.codes == ("17000", "17003", "17004", "99213")
    for cf, rvu, gpci, total in zip(series.cf, series.rvu, series.gpci, series.total, strict=True):
        assert round(cf * 100) + round(rvu * 100) + round(gpci * 100) == round(total * 100)
    page.yoy_setting.setCurrentIndex(1)
    facility = page.chart.series
    assert facility is not None and facility.total != series.total
    assert round(facility.total[0] * 100) == 4776 - 5370  # 17000 national facility: 53.70 -> 47.76


def test_a_revenue_target_gives_the_rate_needed(page: NegotiatePage) -> None:
    page.select_payer("Demo: Summit Health (130%)")
    revenue = dollars(cell(page, "Demo: Summit Health (130%)", 4))
    target = page.solve_target(f"{revenue * 1.2:.2f}")
    assert target is not None and target.required_percent is not None
    assert 155 < target.required_percent < 157  # 130% x 1.2 = 156%
    assert "needs rates" in page.target_label.text() and "Checked with the real contract" in page.target_label.text()


def test_a_bad_target_is_explained_on_the_page(page: NegotiatePage) -> None:
    assert page.solve_target("a lot") is None
    assert "not an amount" in page.target_label.text()


def test_a_past_encounters_file_becomes_the_mix(page: NegotiatePage) -> None:
    assert page.open_mix(PAST)
    assert "fitted from past encounters" in page.mix_label.text()
    encounters = sum(float(cell(page, page.table_model.standing(r).payer, 3).replace(",", ""))
                     for r in range(page.table_model.rowCount()))
    assert encounters == pytest.approx(len(PAST.read_text().splitlines()) - 3, abs=0.5)


def test_a_scenario_file_becomes_the_mix(page: NegotiatePage) -> None:
    assert page.open_mix(EXAMPLE)
    assert "0441299" in page.mix_label.text()
    assert cell(page, ACME, 3) == "480.0"


def test_changing_the_volume_scales_every_payers_encounters(page: NegotiatePage) -> None:
    page.open_mix(EXAMPLE)
    page.volume.setValue(4800)
    assert cell(page, ACME, 3) == "960.0"


def test_open_mix_goes_through_the_dialog_service(page: NegotiatePage, dialogs) -> None:  # type: ignore[no-untyped-def]
    dialogs.paths.append(EXAMPLE)
    page.open_button.click()
    assert cell(page, ACME, 3) == "480.0"


def test_the_main_window_discovers_the_page_and_exports_its_chart(make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(pages=("negotiate",))
    page = window.show_page("negotiate")
    assert isinstance(page, NegotiatePage)
    out = tmp_path / "yoy.png"
    assert window.export_chart_png(out) == out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_slider_reprices_per_unit_as_the_cli_does(qtbot, page: NegotiatePage, store, cli_db) -> None:  # type: ignore[no-untyped-def]
    """+5% on Acme (115% of Medicare) is a 120.75% contract, each unit rounded half-up: priced here directly
    with that contract and weighted by the mix, it is what the slider shows and what the CLI prints."""
    page.select_payer(ACME)
    page.slider.setValue(50)
    shown = Decimal(cell(page, ACME, 5).replace("$", "").replace(",", ""))

    acme = next(p for p in store.payers() if p.name == ACME)
    contract = dataclasses.replace(acme, percent=Decimal("120.75"))
    model = page._model  # the mix and prices the page uses (inputs to the what-if, not its computation)
    basis = page._basis
    assert model is not None and basis is not None
    t = model.table
    tables = page.context.tables_for_year(t.year)
    priced = price_table([contract], store.practice(), tables, page.context.catalog.for_year,
                         locality_key=t.locality_key, em_code=t.em_code, day=t.day)
    per_encounter = sum((Fraction(int(a)) * p for a, p in zip(priced.allowed_cents[0].reshape(-1), basis.clinical,
                                                                strict=True)), Fraction(0))
    exact = basis.encounters_of(ACME) * per_encounter
    expected = (Decimal(exact.numerator) / Decimal(exact.denominator) / 100).quantize(Decimal("0.01"),
                                                                                        ROUND_HALF_UP)
    assert shown == expected
    assert dollars(cell(page, "Medicare", 6)) == 0

    run = cli_db("negotiate", "--payer", ACME, "--rate-change", "5", "--format", "json")
    assert run.code == 0, run.err
    assert Decimal(json.loads(run.out)["what_if"]["new_revenue"].replace(",", "")) == expected


def _bar_rects(chart: YoyChart) -> list[QRectF]:
    """Every drawn bar of the year-over-year chart, in scene coordinates (computed from the bars' data)."""
    rects = []
    for bars in chart.bars:
        opts = bars.opts
        for x, height in zip(np.atleast_1d(opts["x"]), np.atleast_1d(opts["height"]), strict=True):
            data = QRectF(float(x) - opts["width"] / 2, min(0.0, float(height)), opts["width"], abs(float(height)))
            rects.append(bars.mapRectToScene(data))
    return rects


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_the_legend_covers_no_bar_and_every_readout_is_whole(
        qtbot, make_window, store, catalog, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    load_demo(store, catalog.for_year(2026))
    window = make_window(pages=("negotiate",))
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("negotiate")
    assert isinstance(page, NegotiatePage)
    page.select_payer(ACME)
    page.slider.setValue(-125)
    page.solve_target("60000")
    for _ in range(3):
        QApplication.processEvents()
    chart = page.chart
    legend = chart.plot_widget.getPlotItem().legend
    assert legend is not None and len(legend.items) == 4
    legend_rect = legend.sceneBoundingRect()
    bars = _bar_rects(chart)
    assert len(bars) == 3 * len(chart.series.codes) and bars[0].height() > 0  # 17000's CF bar is drawn
    assert [r for r in bars if r.intersects(legend_rect)] == []
    view = chart.plot_widget.mapToScene(chart.plot_widget.viewport().rect()).boundingRect()
    assert view.contains(legend_rect)  # and it is shown, not pushed out of the plot

    for label in (page.mix_label, page.what_if_label, page.target_label, page.yoy_label, chart.readout):
        text = label.text()
        assert text and label.isVisibleTo(window), label
        metrics = label.fontMetrics()
        width = label.contentsRect().width()
        lines = metrics.boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text)
        assert label.contentsRect().height() >= lines.height(), text  # every line of it, none cut
        assert label.visibleRegion().boundingRect().height() >= lines.height(), text


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_a_readout_too_long_for_its_line_is_elided_with_the_whole_text_for_tooltip_and_screen_reader(
        qtbot) -> None:  # type: ignore[no-untyped-def]
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.show()  # a hidden widget gets its resize events only when shown
    label.resize(120, 20)
    text = "17000: +0.26 = CF +2.08 + RVU -1.94 + GPCI +0.12; 17003: -0.09 = CF +0.20 + RVU -0.31"
    label.setText(text)
    assert label.is_elided() and label.shown_text().endswith("…")
    assert label.toolTip() == text and label.accessibleDescription() == text and label.text() == text
    label.resize(label.fontMetrics().horizontalAdvance(text) + 10, 20)
    assert not label.is_elided() and label.toolTip() == ""

"""Every chart with several series tells them apart without colour: curves by dash style or symbol, bars by
fill pattern; and the marks are colour-blind-safe hues with 3:1 contrast in both themes (see test_theme)."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from pytestqt.qtbot import QtBot

from estimator.app.charts import style
from estimator.app.charts.bar_chart import BarChart
from estimator.app.charts.fan_chart import FanChart, FanSeries
from estimator.app.charts.lesion_chart import LesionChart
from estimator.app.charts.scorecard_chart import ScorecardChart
from estimator.app.charts.underpayment_chart import UnderpaymentChart
from estimator.app.charts.yoy_chart import YoyChart, YoySeries
from estimator.core.schedule import Setting


def line_look(curve: pg.PlotDataItem) -> tuple[Qt.PenStyle, object]:
    """What tells a curve apart other than its colour: the pen's dash style and its symbol."""
    return pg.mkPen(curve.opts["pen"]).style(), curve.opts.get("symbol")


def bar_look(bars: pg.BarGraphItem) -> Qt.BrushStyle:
    """What tells a bar series apart other than its colour: its fill pattern."""
    brush: QBrush = pg.mkBrush(bars.opts["brush"])
    return brush.style()


def all_different(looks: Sequence[object]) -> bool:
    return all(a != b for a, b in combinations(looks, 2))


def test_the_lesion_curves_differ_in_dash_style(qtbot: QtBot) -> None:
    chart = LesionChart()
    qtbot.addWidget(chart)
    looks = [line_look(c) for c in (chart._curves[Setting.NONFACILITY], chart._curves[Setting.FACILITY],
                                    chart._patient)]
    assert looks == [(Qt.PenStyle.SolidLine, None), (Qt.PenStyle.DashLine, None), (Qt.PenStyle.DotLine, None)]


def test_the_fan_charts_median_and_exact_lines_differ_in_dash_and_symbol(qtbot: QtBot) -> None:
    chart = FanChart()
    qtbot.addWidget(chart)
    chart.set_series(FanSeries(("Jan", "Feb"), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (2.0, 3.0)))
    assert line_look(chart.p50_curve) == (Qt.PenStyle.SolidLine, "o")
    assert line_look(chart.expected_curve) == (Qt.PenStyle.DashLine, None)


def test_the_three_yoy_effects_differ_in_fill_pattern(qtbot: QtBot) -> None:
    chart = YoyChart()
    qtbot.addWidget(chart)
    chart.set_series(YoySeries(("17000", "17003"), (2.0, 0.2), (-1.9, -0.3), (0.1, 0.0), (0.2, -0.1)))
    looks = [bar_look(b) for b in chart.bars]
    assert all_different(looks) and len(looks) == 3
    assert chart.totals.opts["symbol"] == "d"  # the total is a diamond, not a fourth bar


def test_each_payers_underpayments_have_their_own_fill_pattern(qtbot: QtBot) -> None:
    chart = UnderpaymentChart()
    qtbot.addWidget(chart)
    payers = [f"Payer {n}" for n in range(7)]
    chart.set_totals({(p, m): 100 * (k + 1) for k, p in enumerate(payers) for m in ("2026-01", "2026-02")})
    looks = [bar_look(b) for b in chart._bars]
    assert len(looks) == 7 and all_different(looks)


def test_the_scorecards_three_series_differ_in_fill_pattern(qtbot: QtBot) -> None:
    chart = ScorecardChart()
    qtbot.addWidget(chart)
    payer = {"payer": "Acme", "contract": "100.00", "paid": "60.00", "patient_responsibility": "20.00",
             "underpaid": "20.00", "effective_pct_of_medicare": "110"}
    chart.set_series({"payers": [payer, {**payer, "payer": "Summit"}]})
    looks = [bar_look(b) for b in chart._bars]
    assert len(looks) == 3 and all_different(looks)


def test_a_highlighted_bar_differs_from_the_others_in_fill_pattern(qtbot: QtBot) -> None:
    chart = BarChart("Localities", "Allowed ($)")
    qtbot.addWidget(chart)
    chart.set_series(["a", "b", "c", "d"], [4.0, 3.0, 2.0, 1.0], roles=["muted", "highlight", "muted", "nonfacility"])
    styles = [pg.mkBrush(b).style() for b in chart.bars()["brushes"]]
    assert styles[0] == styles[2] == Qt.BrushStyle.SolidPattern
    assert all_different([styles[0], styles[1], styles[3]])


@pytest.mark.parametrize("dark", [False, True])
def test_every_role_has_its_own_pattern_and_hue_in_both_themes(dark: bool) -> None:
    from estimator.app import theme  # noqa: PLC0415 (the palettes are built at call time)

    palette = theme.palette_for("dark" if dark else "light")
    chart = style.colors(palette)
    assert all_different([style.PATTERNS[r] for r in style.ROLES])
    assert all_different([chart.mark(r).name() for r in style.ROLES])
    assert all_different([chart.brush(r).style() for r in style.ROLES])

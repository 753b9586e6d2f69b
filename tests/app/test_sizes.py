"""Sizes: the first window fits the screen, and at 1024x768, 1280x800 and at 2x scaling the totals and the
whole lesion chart (its title, plot, axis and legend) are shown, none of it cut off."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from estimator.app.charts import style
from estimator.app.main_window import PREFERRED_SIZE, first_size
from estimator.app.pages.estimate_page import EstimatePage
from tests.app.conftest import WindowFactory

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
REPO = Path(__file__).resolve().parents[2]


def test_the_first_window_fits_the_available_screen(make_window: WindowFactory) -> None:
    window = make_window()
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    area = screen.availableGeometry()
    width, height = first_size(window)
    assert width <= min(PREFERRED_SIZE[0], area.width()) and height <= min(PREFERRED_SIZE[1], area.height())
    assert (window.width(), window.height()) == (width, height)


def shown_estimate_page(qtbot: QtBot, make_window: WindowFactory, size: tuple[int, int]
                        ) -> tuple[QWidget, EstimatePage]:
    """The main window shown at ``size`` on its Estimate page."""
    window = make_window()
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    return window, page


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_the_totals_are_not_cut_off(qtbot: QtBot, make_window: WindowFactory, size: tuple[int, int]) -> None:
    _, page = shown_estimate_page(qtbot, make_window, size)
    page.state.update(lesions=199, em_code="99215", locality_key="1320201")  # the widest amounts
    for label in (page.totals.allowed, page.totals.payer, page.totals.patient):
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.accessibleName()
        assert label.visibleRegion().boundingRect().width() >= label.fontMetrics().horizontalAdvance(label.text())


def cut_off(window: QWidget, chart: QWidget, plot: pg.PlotWidget) -> list[str]:
    """What of a chart lies outside the window or its own view (empty when the whole chart is shown)."""
    problems = []
    area = window.rect()
    for name, widget in (("chart", chart), ("plot", plot)):
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not area.contains(rect):
            problems.append(f"{name} {rect} outside the window {area}")
    view = QRectF(plot.viewport().rect())
    item = plot.getPlotItem()
    for name, graphics in (("plot item", item), ("title", item.titleLabel), ("x axis", item.getAxis("bottom")),
                           ("legend", item.legend)):
        if graphics is None or not graphics.isVisible():
            continue
        scene = graphics.sceneBoundingRect()
        shown = plot.mapFromScene(scene).boundingRect()
        if not view.adjusted(-1, -1, 1, 1).contains(QRectF(shown)):
            problems.append(f"{name} {shown} outside the plot's view {view}")
    return problems


def estimate_cut_offs(window: QWidget, page: EstimatePage) -> list[str]:
    page.state.update(lesions=199, em_code="99215", locality_key="1320201")  # the widest amounts
    QApplication.processEvents()
    problems = cut_off(window, page.chart, page.chart.plot_widget)
    for label in (page.totals.allowed, page.totals.payer, page.totals.patient):
        if label.visibleRegion().boundingRect().width() < label.fontMetrics().horizontalAdvance(label.text()):
            problems.append(f"{label.accessibleName()} cut")
    plot = page.chart.plot_widget
    note = page.chart._annotation  # the "15+: 17004 replaces ..." note at the step
    shown = plot.mapFromScene(note.sceneBoundingRect()).boundingRect()
    if note.isVisible() and not QRectF(plot.viewport().rect()).adjusted(-1, -1, 1, 1).contains(QRectF(shown)):
        problems.append(f"the step note {shown} is cut by the plot's edge")
    header = page.table.horizontalHeader()
    model = page.table.model()
    for column in range(header.count()):
        text = str(model.headerData(column, Qt.Orientation.Horizontal))
        if header.sectionSize(column) < header.fontMetrics().horizontalAdvance(text) + 8:  # + the margins
            problems.append(f"claim table header {text!r} cut")
    return problems


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_the_whole_lesion_chart_and_its_title_are_shown(qtbot: QtBot, make_window: WindowFactory,
                                                         size: tuple[int, int]) -> None:
    window, page = shown_estimate_page(qtbot, make_window, size)
    assert estimate_cut_offs(window, page) == []
    assert style.title_text(page.chart.plot_widget) == "Expected allowed amount by lesion count"  # wrapped, whole


SCALED_CHECK = """
import json, sys
from PySide6.QtWidgets import QApplication
from estimator.app.context import AppContext
from estimator.app.main_window import MainWindow
from estimator.app.settings import Settings
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import default_catalog
from tests.app.test_sizes import estimate_cut_offs
app = QApplication([])
window = MainWindow(AppContext(default_catalog(), SqliteStore(sys.argv[1])), Settings(), restore=False,
                    page_keys=("estimate",))
window.resize(1024, 768)
window.show()
page = window.show_page("estimate")
print(json.dumps({"ratio": window.devicePixelRatioF(), "problems": estimate_cut_offs(window, page)}))
window.close()
"""


def test_at_twice_the_scale_the_lesion_chart_and_totals_are_whole(tmp_path: Path) -> None:
    """QT_SCALE_FACTOR=2 is read when Qt starts, so the check runs in a fresh process."""
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen",
           "ESTIMATOR_CONFIG_DIR": str(tmp_path / "config")}
    run = subprocess.run([sys.executable, "-c", SCALED_CHECK, str(tmp_path / "p.sqlite")], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"ratio": 2.0, "problems": []}

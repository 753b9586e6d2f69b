"""Keyboard only: Tab walks every control of every page and comes back to where it started (no traps; a
table is one stop), and Esc stops long work (a forecast running in a worker) leaving the page usable."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget
from pytestqt.qtbot import QtBot

from estimator.app.a11y import focusable
from estimator.app.pages.forecast_page import ForecastPage
from tests.app.conftest import WindowFactory

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")  # shown windows, offscreen


def _stop(widget: QWidget | None) -> QWidget | None:
    """The control a focus lands on (a composite's inner editor counts as the composite's proxy target)."""
    while widget is not None and widget.focusProxy() is not None:
        widget = widget.focusProxy()
    return widget


def tab_walk(window: QWidget, start: QWidget, limit: int) -> list[QWidget]:
    """Press Tab from ``start`` until the focus comes back to it (or ``limit`` presses): the stops in order."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    first = _stop(QApplication.focusWidget())
    assert first is not None
    stops = [first]
    for _ in range(limit):
        QApplication.processEvents()
        focused = QApplication.focusWidget() or window
        QTest.keyClick(focused, Qt.Key.Key_Tab)
        now = _stop(QApplication.focusWidget())
        if now is first:
            return stops
        assert now is not None
        stops.append(now)
    names = [f"{type(w).__name__} {w.accessibleName()!r}" for w in stops[:60]]
    raise AssertionError(f"Tab never came back to {type(first).__name__} after {limit} presses: {names}")


def test_tab_reaches_every_control_of_every_page_and_comes_back(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(pages=None)
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    missed: dict[str, list[str]] = {}
    for key in window.pages:
        page = window.show_page(key)
        QApplication.processEvents()
        controls = [w for w in focusable(page) if w.isVisible() and w.isEnabled()]
        assert controls, key
        stops = tab_walk(window, controls[0], limit=4 * len(focusable(window)) + 10)
        reached = {id(w) for w in stops}
        not_reached = [f"{type(w).__name__} {w.accessibleName() or w.objectName()}" for w in controls
                       if id(_stop(w)) not in reached]
        if not_reached:
            missed[key] = not_reached
        # A table or list is one stop: Tab leaves it at once (the arrow keys move inside).
        views = [w for w in stops if isinstance(w, QAbstractItemView)]
        assert len(views) == len({id(v) for v in views}), key
    assert missed == {}


def test_esc_cancels_a_running_forecast_and_the_page_stays_usable(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(pages=("estimate", "forecast"))
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page = window.show_page("forecast")
    assert isinstance(page, ForecastPage)
    page.paths.setValue(200_000)  # many seconds if left to run: still running when Esc comes
    with qtbot.waitSignal(page.forecast_cancelled, timeout=30_000):
        page.run_button.click()
        qtbot.waitUntil(page.cancel_button.isEnabled)
        qtbot.keyClick(QApplication.focusWidget() or page, Qt.Key.Key_Escape)
    assert page.status_label.text() == "Cancelled."
    assert not page.cancel_button.isEnabled() and page.run_button.isEnabled()
    # Usable: a second run completes.
    page.paths.setValue(100)
    with qtbot.waitSignal(page.forecast_finished, timeout=60_000):
        page.run_button.click()
    assert page.run_button.isEnabled()

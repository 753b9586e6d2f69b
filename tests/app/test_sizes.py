"""Sizes: the first window fits the screen, and at 1024x768 the totals are shown whole."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from estimator.app.main_window import PREFERRED_SIZE, first_size
from estimator.app.pages.estimate_page import EstimatePage
from tests.app.conftest import WindowFactory

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_the_first_window_fits_the_available_screen(make_window: WindowFactory) -> None:
    window = make_window()
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    area = screen.availableGeometry()
    width, height = first_size(window)
    assert width <= min(PREFERRED_SIZE[0], area.width()) and height <= min(PREFERRED_SIZE[1], area.height())
    assert (window.width(), window.height()) == (width, height)


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_the_totals_are_not_cut_off(qtbot: QtBot, make_window: WindowFactory, size: tuple[int, int]) -> None:
    window = make_window()
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    page.state.update(lesions=199, em_code="99215", locality_key="1320201")  # the widest amounts
    for label in (page.totals.allowed, page.totals.payer, page.totals.patient):
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.accessibleName()
        assert label.visibleRegion().boundingRect().width() >= label.fontMetrics().horizontalAdvance(label.text())

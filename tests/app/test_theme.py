"""Colours come from the palette: every page rendered in the light and the dark theme keeps its texts at
WCAG AA contrast (4.5:1), chart marks keep 3:1 against the plot area of either theme, and a theme chosen in
the settings applies at once (pages, tones and charts), without a restart."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from estimator.app import settings as opts
from estimator.app import theme
from estimator.app.charts import style
from estimator.app.main import split_arguments
from estimator.app.pages.estimate_page import EstimatePage
from estimator.app.pages.practice_page import PracticePage
from estimator.app.settings import Settings
from estimator.core.schedule import Setting
from tests.app.conftest import WindowFactory

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture(params=["light", "dark"])
def themed(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    before_palette, before_style = qapp.palette(), qapp.style().name()
    theme.apply(qapp, request.param)
    yield request.param
    qapp.setStyle(before_style)
    qapp.setPalette(before_palette)


def _background(label: QLabel) -> QPalette.ColorRole | None:
    """The background a label's text is drawn on: its own when a style sheet gives one, else its window's."""
    widget: QWidget | None = label
    while widget is not None:
        if "background" in widget.styleSheet() or widget.autoFillBackground():
            return widget.palette().color(widget.backgroundRole())
        widget = widget.parentWidget()
    return QApplication.palette().color(QPalette.ColorRole.Window)


def low_contrast_texts(page: QWidget) -> list[str]:
    out = []
    for label in page.findChildren(QLabel):
        if not (label.isVisibleTo(page) and label.isEnabled() and label.text().strip()):
            continue
        label.ensurePolished()
        fg = label.palette().color(QPalette.ColorGroup.Active, label.foregroundRole())
        ratio = theme.contrast(fg, _background(label))
        if ratio < 4.5:
            out.append(f"{label.text()[:40]!r}: {ratio:.2f}")
    return out


def test_every_page_keeps_its_texts_at_aa_contrast(themed: str, qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(pages=None)
    window.resize(1280, 800)
    window.show()
    assert theme.is_dark() == (themed == "dark")
    problems = {}
    for key in window.pages:
        page = window.show_page(key)
        if key == "estimate":  # the states that show the coloured texts
            page.state.update(lesions=300 // 20)  # type: ignore[attr-defined]
            page.form.coinsurance.edit.setText("150")  # type: ignore[attr-defined]
            page.form.coinsurance.revalidate()  # type: ignore[attr-defined]
        found = low_contrast_texts(page)
        if found:
            problems[key] = found
    assert problems == {}


def test_the_banner_and_error_text_are_readable_in_both_themes(themed: str, make_window: WindowFactory) -> None:
    page = make_window().show_page("estimate")
    page.form.coinsurance.edit.setText("150")  # type: ignore[attr-defined]
    page.form.coinsurance.revalidate()  # type: ignore[attr-defined]
    page.state.set_field_problem("Coinsurance", "too high")  # type: ignore[attr-defined]
    banner = page.banner  # type: ignore[attr-defined]
    assert banner.isVisibleTo(page)
    banner.ensurePolished()
    fg, bg = (banner.palette().color(role) for role in (banner.foregroundRole(), banner.backgroundRole()))
    assert theme.contrast(fg, bg) >= 4.5


@pytest.mark.parametrize("choice", ["light", "dark"])
def test_chart_marks_have_three_to_one_contrast_on_the_plot_area(choice: str) -> None:
    palette = theme.palette_for(choice)  # type: ignore[arg-type]
    assert palette is not None
    chart = style.colors(palette)
    assert chart.dark == (choice == "dark")
    assert chart.background == palette.color(QPalette.ColorRole.Base)
    low = {role: round(theme.contrast(color, chart.background), 2) for role, color in chart.marks.items()
           if theme.contrast(color, chart.background) < 3}
    assert low == {}
    assert theme.contrast(chart.text, chart.background) >= 4.5


def _plot_background(widget: QWidget) -> QColor:
    return widget.backgroundBrush().color()  # type: ignore[attr-defined,no-any-return]


def test_a_theme_chosen_in_settings_applies_at_once_to_pages_texts_and_charts(
        qapp: QApplication, qtbot: QtBot, make_window: WindowFactory) -> None:
    before_palette, before_style = qapp.palette(), qapp.style().name()
    try:
        theme.apply(qapp, "light")
        window = make_window(pages=("estimate", "practice"))
        window.show()
        estimate = window.show_page("estimate")
        assert isinstance(estimate, EstimatePage)
        estimate.state.update(locality_key="national", place_of_service="11", lesions=8)
        chart = estimate.chart
        caption = estimate.totals.basis
        caption.ensurePolished()
        light_text = caption.palette().color(caption.foregroundRole())
        light_plot = _plot_background(chart.plot_widget)
        light_pen = chart._curves[Setting.NONFACILITY].opts["pen"].color()
        assert theme.contrast(light_text, estimate.palette().color(QPalette.ColorRole.Window)) >= 4.5
        assert light_plot.lightnessF() > 0.9

        practice = window.show_page("practice")
        assert isinstance(practice, PracticePage)
        index = practice.theme.index_of("dark")
        practice.theme.setCurrentIndex(index)
        practice.theme.activated.emit(index)  # as a click on "Dark" does
        assert Settings().get(opts.THEME) == "dark"

        window.show_page("estimate")
        qtbot.waitUntil(lambda: theme.is_dark(estimate.palette()))  # Qt posts the new palette to each widget
        window_color = estimate.palette().color(QPalette.ColorRole.Window)
        assert window_color.lightnessF() < 0.3
        caption.ensurePolished()
        dark_text = caption.palette().color(caption.foregroundRole())
        assert dark_text != light_text and theme.contrast(dark_text, window_color) >= 4.5
        assert estimate.palette().color(QPalette.ColorRole.WindowText).lightnessF() > 0.7
        dark_plot = _plot_background(chart.plot_widget)
        assert dark_plot.lightnessF() < 0.3 and dark_plot != light_plot
        dark_pen = chart._curves[Setting.NONFACILITY].opts["pen"].color()
        assert dark_pen != light_pen and theme.contrast(dark_pen, dark_plot) >= 3
        axis = chart.plot_widget.getPlotItem().getAxis("left")
        assert axis.textPen().color().lightnessF() > 0.7  # axis labels light on the dark plot

        index = practice.theme.index_of("light")
        practice.theme.setCurrentIndex(index)
        practice.theme.activated.emit(index)
        qtbot.waitUntil(lambda: _plot_background(chart.plot_widget) == light_plot)
        assert chart._curves[Setting.NONFACILITY].opts["pen"].color() == light_pen
    finally:
        qapp.setStyle(before_style)
        qapp.setPalette(before_palette)


def test_unknown_qt_arguments_are_passed_to_qt_and_stray_words_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args, qt = split_arguments(["--theme", "dark", "-style", "Fusion", "-platformtheme", "gtk3", "--page", "payers"])
    assert (args.theme, args.page, qt) == ("dark", "payers", ["-style", "Fusion", "-platformtheme", "gtk3"])
    with pytest.raises(SystemExit):
        split_arguments(["stray"])
    assert "unrecognized arguments: stray" in capsys.readouterr().err


def test_no_widget_hard_codes_a_text_or_background_colour() -> None:
    """Colours live in ``theme`` (palette-aware tones) and ``charts.style`` (palette-aware marks) only."""
    import re  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    import estimator.app as app_package  # noqa: PLC0415

    root = Path(app_package.__file__).parent
    allowed = {root / "theme.py", *root.joinpath("charts").glob("*.py")}
    found = [f"{path.relative_to(root)}: {m.group(0)}" for path in sorted(root.rglob("*.py")) if path not in allowed
             for m in re.finditer(r"#[0-9A-Fa-f]{6}\b", path.read_text(encoding="utf-8"))]
    assert found == []


def test_going_back_to_the_system_theme_restores_the_platform_palette(qapp: QApplication) -> None:
    before_palette, before_style = qapp.palette(), qapp.style().name()
    theme.apply(qapp, "light")  # the platform's palette is kept the first time a fixed theme replaces it
    theme.apply(qapp, "dark")
    dark_window = qapp.palette().color(QPalette.ColorRole.Window)
    assert dark_window == QColor("#202124")
    theme.apply(qapp, "system")
    restored = qapp.palette().color(QPalette.ColorRole.Window)
    assert restored != dark_window  # a copy of the platform's palette was kept, not a view of the live one
    assert qapp.palette().color(QPalette.ColorRole.WindowText) != QColor("#E8EAED")
    qapp.setStyle(before_style)  # as the themed fixture leaves it
    qapp.setPalette(before_palette)

"""Light, dark or the system's theme, and the few tones the app needs beyond Qt's palette roles.

Widgets take their text and background colours from the application palette; where the app needs a
meaning the palette has no role for (an error, a warning, a muted caption, a banner), ``tone`` gives a
colour chosen for the palette in force: dark red on a light window, light red on a dark one, each at
least 4.5:1 against the window (WCAG AA for text; ``contrast`` measures it and the tests check it).

``apply(app, choice)`` installs a theme, before the window is built or at any time after: a new palette
reaches every widget at once, each chart re-styles itself from it (``charts.style.follow_palette``), and
every style sheet given with ``paint(widget, kind)`` is rebuilt in the new theme's tones.  ``css(kind)``
is the style sheet fragment for a kind of text (use ``paint`` for a widget, so it follows a theme change).
"""

from __future__ import annotations

from typing import Final, Literal

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

Choice = Literal["system", "light", "dark"]
CHOICES: Final[tuple[Choice, ...]] = ("system", "light", "dark")
Tone = Literal["error", "warning", "ok", "muted", "accent", "banner_bg", "banner_text"]
CssKind = Literal["error", "warning", "ok", "muted", "accent", "banner", "invalid"]

_LIGHT_TONES: Final = {"error": "#A0001C", "warning": "#7A4A00", "ok": "#1B5E20", "muted": "#4A4A4A",
                       "accent": "#0B5394", "banner_bg": "#FDECEA", "banner_text": "#7A0000"}
_DARK_TONES: Final = {"error": "#FF8A80", "warning": "#FFCC80", "ok": "#A5D6A7", "muted": "#C8C8C8",
                      "accent": "#8AB4F8", "banner_bg": "#4A1F1F", "banner_text": "#FFDAD6"}

_ROLES = QPalette.ColorRole
_DARK: Final = {
    _ROLES.Window: "#202124", _ROLES.WindowText: "#E8EAED", _ROLES.Base: "#17181A", _ROLES.AlternateBase: "#26272A",
    _ROLES.ToolTipBase: "#303134", _ROLES.ToolTipText: "#E8EAED", _ROLES.Text: "#E8EAED", _ROLES.Button: "#2D2E31",
    _ROLES.ButtonText: "#E8EAED", _ROLES.BrightText: "#FF8A80", _ROLES.Link: "#8AB4F8", _ROLES.Highlight: "#8AB4F8",
    _ROLES.HighlightedText: "#202124", _ROLES.PlaceholderText: "#A0A4A8", _ROLES.Light: "#3C4043",
    _ROLES.Midlight: "#34363A", _ROLES.Mid: "#5F6368", _ROLES.Dark: "#111214", _ROLES.Shadow: "#000000",
}
_LIGHT: Final = {
    _ROLES.Window: "#F3F3F3", _ROLES.WindowText: "#111111", _ROLES.Base: "#FFFFFF", _ROLES.AlternateBase: "#F2F5F8",
    _ROLES.ToolTipBase: "#FFFFDC", _ROLES.ToolTipText: "#111111", _ROLES.Text: "#111111", _ROLES.Button: "#E9E9E9",
    _ROLES.ButtonText: "#111111", _ROLES.BrightText: "#A0001C", _ROLES.Link: "#0B5394", _ROLES.Highlight: "#0B5394",
    _ROLES.HighlightedText: "#FFFFFF", _ROLES.PlaceholderText: "#6A6A6A", _ROLES.Light: "#FFFFFF",
    _ROLES.Midlight: "#E3E3E3", _ROLES.Mid: "#A0A0A0", _ROLES.Dark: "#7A7A7A", _ROLES.Shadow: "#404040",
}
_DISABLED_TEXT: Final = {"dark": "#8A8D91", "light": "#7A7A7A"}


def palette_for(choice: Choice) -> QPalette | None:
    """The palette of a fixed theme (``None`` for ``system``: Qt's own)."""
    if choice == "system":
        return None
    # QColor.fromString, not QColor(str): the constructor's overloads make PySide6 build its whole Qt
    # namespace (~15 ms), which the first window does not otherwise need (see estimator.app.main).
    palette = QPalette()
    for role, color in (_DARK if choice == "dark" else _LIGHT).items():
        palette.setColor(role, QColor.fromString(color))
    disabled = QColor.fromString(_DISABLED_TEXT[choice])
    for role in (_ROLES.WindowText, _ROLES.Text, _ROLES.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


#: The platform's own style and palette, kept when a fixed theme first replaces them (to go back to "system").
_SYSTEM: dict[str, object] = {}


def apply(app: QApplication, choice: str) -> None:
    """Install the theme (``system``: the platform's style and palette, e.g. a desktop dark mode).

    Works at start-up and while the window is open: widgets take the new palette at once, and the style
    sheets set with ``paint`` are rebuilt in the new tones.
    """
    if choice not in CHOICES:
        choice = "system"
    if not _SYSTEM:
        _SYSTEM.update(style=app.style().name(), palette=app.palette())  # a copy already (QPalette(it): ~20 ms)
    palette = palette_for(choice)  # type: ignore[arg-type]
    if palette is None:
        style, system = str(_SYSTEM["style"]), _SYSTEM["palette"]
        assert isinstance(system, QPalette)
        if app.style().name().lower() != style.lower():
            app.setStyle(style)
        app.setPalette(system)
    else:
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")  # the one style that follows the palette everywhere
        app.setPalette(palette)
    _repaint_tones()


_PAINTED: Final = "estimator_theme_css"


def paint(widget: QWidget, kind: CssKind | None, extra: str = "") -> None:
    """Give ``widget`` the style sheet of a kind of text (``None``: none), kept in tone when the theme changes.

    Args:
        widget: the label, field or frame.
        kind: the tone (``css``); ``None`` clears the style sheet (the palette's own colours).
        extra: more style sheet declarations kept with it (e.g. ``font-weight: bold;``).
    """
    widget.setProperty(_PAINTED, f"{kind or ''}|{extra}")
    widget.setStyleSheet(" ".join(part for part in ((css(kind) if kind else ""), extra) if part))


def _repaint_tones() -> None:
    for widget in QApplication.allWidgets():
        painted = widget.property(_PAINTED)
        if isinstance(painted, str) and painted:
            kind, _, extra = painted.partition("|")
            paint(widget, kind or None, extra)  # type: ignore[arg-type]


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether text is light on a dark window in ``palette`` (default: the application's)."""
    palette = palette or QGuiApplication.palette()
    return palette.color(_ROLES.Window).lightnessF() < palette.color(_ROLES.WindowText).lightnessF()


def tone(kind: Tone, palette: QPalette | None = None) -> QColor:
    """The colour for a kind of text (or banner background) under ``palette``."""
    return QColor((_DARK_TONES if is_dark(palette) else _LIGHT_TONES)[kind])


def css(kind: CssKind) -> str:
    """A style sheet for a kind of text, in the colours of the palette in force."""
    if kind == "banner":
        return (f"background: {tone('banner_bg').name()}; color: {tone('banner_text').name()}; "
                f"border: 1px solid {tone('error').name()}; border-radius: 4px; padding: 6px;")
    if kind == "invalid":
        return f"QLineEdit {{ border: 2px solid {tone('error').name()}; }}"
    return f"color: {tone(kind).name()};"


def luminance(color: QColor) -> float:
    """WCAG relative luminance."""
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

"""Accessibility and keyboard checks shared by the window and its tests.

``accessible_name`` is what a screen reader announces for a widget: Qt's own accessible interface, which
already takes a label's buddy text, a button's text or an explicit ``setAccessibleName``.
``unnamed_focusable`` lists the widgets a keyboard user can reach that announce nothing;
``mnemonic_clashes`` lists the Alt+letter keys claimed twice among what is shown at once (the menu bar and
the visible page).  ``name_buddies`` gives every buddied widget its label's text as its name explicitly,
so a widget whose label is not Qt's idea of a buddy (a composite field) is still announced.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QGroupBox,
    QLabel,
    QMenuBar,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

_MNEMONIC = re.compile(r"&([^&\s])")


def plain(text: str) -> str:
    """A label's text without its mnemonic ampersand or trailing colon ("&Lesions:" -> "Lesions")."""
    return re.sub(r"&(.)", r"\1", text).strip().rstrip(":").strip()


def accessible_name(widget: QWidget) -> str:
    """What a screen reader announces as the widget's name ('' when nothing)."""
    if widget.accessibleName():
        return widget.accessibleName()
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def focusable(root: QWidget) -> list[QWidget]:
    """Widgets under ``root`` (itself included) that take keyboard focus and are shown."""
    out = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isEnabled() and widget.isVisibleTo(root) \
                and widget.focusProxy() is None:
            out.append(widget)
    return out


def unnamed_focusable(root: QWidget) -> list[str]:
    """Describe every focusable widget under ``root`` that has no accessible name."""
    return [f"{type(w).__name__} {w.objectName() or ''} under {type(w.parentWidget()).__name__}".strip()
            for w in focusable(root) if not accessible_name(w)]


def name_buddies(root: QWidget) -> None:
    """Give each label's buddy the label's text as its accessible name (where it has none yet).

    A composite buddy (a field widget whose focus proxy is its line edit) is replaced by that proxy: a
    label's Alt+letter only moves the focus to a buddy that itself accepts focus.
    """
    for label in root.findChildren(QLabel):
        buddy = label.buddy()
        proxy = buddy.focusProxy() if buddy is not None else None
        if buddy is not None and buddy.focusPolicy() == Qt.FocusPolicy.NoFocus and proxy is not None:
            label.setBuddy(proxy)
        if buddy is not None and not buddy.accessibleName():
            buddy.setAccessibleName(plain(label.text()))
            target = buddy.focusProxy()
            if target is not None and not target.accessibleName():
                target.setAccessibleName(plain(label.text()))


def prepare(root: QWidget) -> None:
    """Make a page keyboard- and screen-reader-ready: buddies named, every table or list one Tab stop, Tab
    out of a text box."""
    name_buddies(root)
    for view in root.findChildren(QAbstractItemView):
        view.setTabKeyNavigation(False)  # Tab leaves the table; the arrow keys move inside it
    # A typed Tab inserted a tab character and kept the focus (a trap): Tab leaves a text box.
    for plain_edit in root.findChildren(QPlainTextEdit):
        plain_edit.setTabChangesFocus(True)
    for rich_edit in root.findChildren(QTextEdit):
        rich_edit.setTabChangesFocus(True)


def tab_traps(root: QWidget) -> list[str]:
    """Item views that would keep Tab inside them (cell by cell) instead of moving on."""
    return [f"{type(v).__name__} {accessible_name(v)}" for v in root.findChildren(QAbstractItemView)
            if v.tabKeyNavigation()]


def _mnemonic_texts(root: QWidget) -> Iterable[tuple[str, str]]:
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is not None:
            yield widget.text(), "label"
        elif isinstance(widget, QAbstractButton | QGroupBox):
            text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
            yield text, type(widget).__name__
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                yield widget.tabText(i), "tab"


def mnemonic_clashes(window: QWidget, page: QWidget) -> dict[str, list[str]]:
    """Alt+letter keys used more than once by the menu bar and ``page`` (letter -> what uses it)."""
    users: dict[str, list[str]] = defaultdict(list)
    for bar in window.findChildren(QMenuBar):
        for action in bar.actions():
            match = _MNEMONIC.search(action.text())
            if match:
                users[match.group(1).lower()].append(f"menu {plain(action.text())}")
    for text, kind in _mnemonic_texts(page):
        match = _MNEMONIC.search(text)
        if match:
            users[match.group(1).lower()].append(f"{kind} {plain(text)}")
    return {key: names for key, names in users.items() if len(names) > 1}

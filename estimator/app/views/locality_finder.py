"""Pick a Medicare payment locality by ZIP code, county, state or name.

A combo box lists the 109 localities (and ``national``); the search field under it completes on the
key, name, state and counties, and a 5-digit ZIP code jumps to its locality (the CMS ZIP5 crosswalk).
The practice's default locality is marked, and one click goes back to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from estimator.app import theme
from estimator.app.views.combos import ValueCombo
from estimator.core.schedule import NATIONAL_KEY, TableSet
from estimator.tables.shipped import ZipEntry

NATIONAL_LABEL = "National (all GPCIs 1.000)"
_KEY_IN_TEXT = re.compile(r"\((\d{7}|national)\)")


def locality_items(tables: TableSet) -> list[tuple[str, str, str]]:
    """(key, combo text, search text) for ``national`` and every locality, by state then name."""
    locs = tables.localities
    rows = sorted(zip(locs.keys.tolist(), locs.states.tolist(), locs.names.tolist(), locs.counties.tolist(),
                      strict=True), key=lambda r: (r[1], r[2]))
    items = [(NATIONAL_KEY, f"{NATIONAL_LABEL} (national)", f"{NATIONAL_LABEL} (national) US")]
    for key, state, name, counties in rows:
        text = f"{state} · {name} ({key})"
        items.append((key, text, f"{text} — {counties}" if counties else text))
    return items


class LocalityFinder(QWidget):
    """A locality chooser with search.

    Signals:
        locality_chosen(str): the user chose a locality (its key).
    """

    locality_chosen = Signal(str)

    def __init__(self, tables: TableSet, zip_codes: Callable[[], dict[str, ZipEntry]],
                 practice_key: str = NATIONAL_KEY, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zip_codes = zip_codes
        self._practice_key = practice_key
        self.combo = ValueCombo(self)
        self.combo.setMaxVisibleItems(20)
        self.combo.setSizeAdjustPolicy(ValueCombo.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(24)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find by ZIP, county, state or name")
        self.search.setAccessibleName("Find locality by ZIP code, county, state or name")
        self.search.setClearButtonEnabled(True)
        self.reset_button = QToolButton(self)
        self.reset_button.setText("Practice")
        self.reset_button.setToolTip("Go back to the practice's default locality")
        self.note = QLabel(self)
        theme.paint(self.note, "muted")
        self.note.setWordWrap(True)
        self.note.hide()
        self._completion = QStringListModel(self)
        completer = QCompleter(self._completion, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        self.search.setCompleter(completer)
        completer.activated.connect(self._completed)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.combo, 1)
        top.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.note)
        self.setFocusProxy(self.combo)
        self.set_tables(tables)
        self.combo.activated.connect(self._combo_activated)
        self.search.returnPressed.connect(self._search_entered)
        self.search.textEdited.connect(self._search_edited)
        self.reset_button.clicked.connect(lambda: self._choose(self._practice_key))

    def set_tables(self, tables: TableSet) -> None:
        current = self.key() if self.combo.count() else self._practice_key
        self.combo.blockSignals(True)
        self.combo.clear_items()
        self._items = locality_items(tables)
        for key, text, _ in self._items:
            self.combo.add(text + ("  ★ practice" if key == self._practice_key else ""), key)
        self.combo.blockSignals(False)
        self._completion.setStringList([search for _, _, search in self._items])
        self.set_key(current)

    def set_practice_key(self, key: str) -> None:
        if key != self._practice_key:
            self._practice_key = key
            current = self.key()
            for i, (item_key, text, _) in enumerate(self._items):
                self.combo.setItemText(i, text + ("  ★ practice" if item_key == key else ""))
            self.set_key(current)

    def key(self) -> str:
        value = self.combo.value()
        return str(value) if value is not None else NATIONAL_KEY

    def set_key(self, key: str) -> bool:
        """Show ``key`` (no signal); False when it is not a locality of these tables."""
        return self.combo.set_value(key)

    def lookup(self, text: str) -> str | None:
        """The locality a search text points to: a ZIP code, a key, or a unique name/county/state match."""
        raw = text.strip()
        if re.fullmatch(r"\d{5}(-\d{4})?", raw):
            entry = self._zip_codes().get(raw[:5])
            return entry.locality_key if entry is not None else None
        match = _KEY_IN_TEXT.search(raw)
        if match:
            return match.group(1)
        if re.fullmatch(r"\d{7}", raw):
            return raw if self.combo.index_of(raw) >= 0 else None
        needle = raw.lower()
        if not needle:
            return None
        hits = [key for key, _, search in self._items if needle in search.lower()]
        return hits[0] if len(hits) == 1 else None

    def _choose(self, key: str, note: str = "") -> None:
        """Show ``key`` and announce it; ``note`` may name the new locality as ``{locality}``."""
        if self.set_key(key):
            note = note.format(locality=self.combo.currentText().split("  ★")[0])  # the box shows the new one now
            self.note.setText(note)
            self.note.setVisible(bool(note))
            self.locality_chosen.emit(key)

    def _combo_activated(self, index: int) -> None:
        self.note.hide()
        self.locality_chosen.emit(self.key())

    def _completed(self, text: str) -> None:
        key = self.lookup(text)
        if key is not None:
            self._choose(key)
            self.search.clear()

    def _search_edited(self, text: str) -> None:
        if re.fullmatch(r"\d{5}", text.strip()):
            key = self.lookup(text)
            if key is None:
                self.note.setText(f"ZIP {text.strip()} is not in the CMS ZIP code file")
                self.note.show()
            else:
                self._choose(key, f"ZIP {text.strip()} → {{locality}}")

    def _search_entered(self) -> None:
        text = self.search.text().strip()
        if re.fullmatch(r"\d{5}", text):
            self._search_edited(text)
            return
        key = self.lookup(text)
        if key is None:
            self.note.setText(f"No single locality matches {text!r}; pick one from the list")
            self.note.show()
            return
        self._choose(key)
        self.search.clear()

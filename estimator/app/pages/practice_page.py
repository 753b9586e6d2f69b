"""Practice settings: the practice profile (stored in the practice database) and the app's preferences.

The profile validates as you type (NPI with its check digit, TIN, locality, POS); Save writes the store
and notifies every page.  The preferences are the ``setting`` options of the settings registry, one
check box each, saved at once.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from estimator.app import settings as opts
from estimator.app import theme
from estimator.app.context import AppContext
from estimator.app.settings import Settings
from estimator.app.validation import check_npi, check_tin
from estimator.app.views.combos import ValueCombo
from estimator.app.views.database_panel import DatabasePanel
from estimator.app.views.fields import ValidatedField
from estimator.app.views.locality_finder import LocalityFinder
from estimator.core.errors import EstimatorError
from estimator.core.payers import Practice
from estimator.store.roles import Action

KEY = "practice"
TITLE = "Practice settings"
ORDER = 90


class PracticePage(QWidget):
    """The practice profile form and the preferences (no signals of its own)."""

    def __init__(self, context: AppContext, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings if settings is not None else Settings()
        tables = context.tables()
        practice = context.store.practice()
        self.name = QLineEdit(self)
        self.npi = ValidatedField(check_npi, placeholder="10 digits", parent=self)
        self.tin = ValidatedField(check_tin, placeholder="e.g. 12-3456789", parent=self)
        self.address = QLineEdit(self)
        self.address.setPlaceholderText("street, city, ST ZIP (the state decides the MAC)")
        self.locality = LocalityFinder(tables, lambda: context.catalog.zip_codes(tables.year), practice.locality_key,
                                       self)
        self.place = ValueCombo(self)
        for place in sorted(tables.places.by_code.values(), key=lambda p: p.code):
            self.place.add(f"{place.code} – {place.name} ({place.setting.label})", place.code)
        self.qp = QCheckBox("Qualifying APM participant (QP conversion factor)", self)
        self.participating = QCheckBox("Medicare participating provider (accepts assignment)", self)
        self.unassigned = QCheckBox("Non-participating: bill Medicare patients &unassigned (up to the limiting "
                                    "charge; Medicare reimburses the patient)", self)
        self.unassigned.setAccessibleName("Unassigned Medicare claims")
        self.save_button = QPushButton("&Save profile", self)
        self.revert_button = QPushButton("Re&vert", self)
        self.status = QLabel(self)

        profile = QGroupBox("Practice profile", self)
        form = QFormLayout(profile)
        for label, field in (("&Name:", self.name), ("N&PI:", self.npi), ("&TIN:", self.tin),
                             ("&Address:", self.address), ("Default &locality:", self.locality),
                             ("Default place of servi&ce:", self.place)):
            text = QLabel(label)
            text.setBuddy(field)
            form.addRow(text, field)
        form.addRow("", self.qp)
        form.addRow("", self.participating)
        form.addRow("", self.unassigned)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        form.addRow(buttons)

        prefs = QGroupBox("Preferences", self)
        pv = QVBoxLayout(prefs)
        self.preferences: dict[str, QCheckBox] = {}
        for option in Settings.user_options():
            if option.type is not bool:
                continue
            box = QCheckBox(option.title, prefs)
            box.setChecked(bool(self.settings.get(option)))
            box.toggled.connect(lambda on, o=option: self._preference(o.key, on))
            pv.addWidget(box)
            self.preferences[option.key] = box
        theme_row = QHBoxLayout()
        self.theme = ValueCombo(prefs)
        for choice in theme.CHOICES:
            self.theme.add({"system": "Same as the system", "light": "Light", "dark": "Dark"}[choice], choice)
        self.theme.set_value(self.settings.get(opts.THEME))
        self.theme.activated.connect(lambda _i: self._theme_chosen())
        theme_label = QLabel("Colour the&me:", prefs)
        theme_label.setBuddy(self.theme)
        theme_row.addWidget(theme_label)
        theme_row.addWidget(self.theme, 1)
        pv.addLayout(theme_row)
        pv.addWidget(QLabel(f"<small>Settings file: {self.settings.file_name}</small>"))

        self.database = DatabasePanel(context, self.settings, self)
        self.not_allowed = context.why_not(Action.CHANGE_PRACTICE)

        layout = QVBoxLayout(self)
        layout.addWidget(profile)
        layout.addWidget(prefs)
        layout.addWidget(self.database, 1)

        self.load(practice)
        for widget in (self.name, self.address):
            widget.textEdited.connect(self._changed)
        for field in (self.npi, self.tin):
            field.validity_changed.connect(self._changed)
            field.edit.textEdited.connect(self._changed)
        self.locality.locality_chosen.connect(self._changed)
        self.place.activated.connect(self._changed)
        self.qp.toggled.connect(self._changed)
        self.participating.toggled.connect(self._changed)
        self.participating.toggled.connect(lambda on: self.unassigned.setEnabled(not on))
        self.unassigned.toggled.connect(self._changed)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(lambda: self.load(self.context.store.practice()))
        context.store_changed.connect(self._store_changed)

    def load(self, practice: Practice) -> None:
        self._loaded = practice
        self.name.setText(practice.name)
        self.npi.set_text(practice.npi)
        self.tin.set_text(practice.tin)
        self.address.setText(practice.address)
        self.locality.set_practice_key(practice.locality_key)
        self.locality.set_key(practice.locality_key)
        if not self.place.set_value(practice.place_of_service, quiet=False):
            self.place.setCurrentIndex(0)
        self.qp.setChecked(practice.qualifying_apm)
        self.participating.setChecked(practice.participating)
        self.unassigned.setChecked(practice.unassigned)
        self.unassigned.setEnabled(not practice.participating)
        self._changed()

    def practice(self) -> Practice | None:
        """The profile the form describes, or ``None`` while a field is invalid."""
        if not (self.npi.valid and self.tin.valid):
            return None
        return dataclasses.replace(
            self._loaded, name=self.name.text().strip(), npi=self.npi.value(), tin=self.tin.value(),
            address=self.address.text().strip(), locality_key=self.locality.key(),
            place_of_service=str(self.place.value()), qualifying_apm=self.qp.isChecked(),
            participating=self.participating.isChecked(),
            accepts_assignment=self.participating.isChecked() or not self.unassigned.isChecked())

    def save(self) -> bool:
        practice = self.practice()
        if practice is None:
            return False
        try:
            self.context.store.save_practice(practice)
        except EstimatorError as exc:
            self.status.setText(str(exc))
            return False
        self._loaded = self.context.store.practice()
        self.context.notify_store_changed()
        self.status.setText("Saved.")
        self._changed()
        return True

    def _changed(self, *_: object) -> None:
        practice = self.practice()
        dirty = practice is None or practice != self._loaded
        self.save_button.setEnabled(practice is not None and dirty and not self.not_allowed)
        self.revert_button.setEnabled(dirty)
        if dirty:
            self.status.setText("Fix the fields marked in red." if practice is None else "Unsaved changes.")
        if self.not_allowed:
            self.save_button.setToolTip(self.not_allowed)
            self.status.setText(f"Read only: {self.not_allowed}.")

    def _store_changed(self) -> None:
        stored = self.context.store.practice()
        if stored != self._loaded and self.practice() == self._loaded:
            self.load(stored)

    def _theme_chosen(self) -> None:
        """Save the choice and apply it now: the palette, the tones of the texts and every chart."""
        choice = str(self.theme.value())
        self.settings.set(opts.THEME, choice)
        self.settings.sync()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, choice)
        self.context.status_posted.emit(f"Colour theme: {self.theme.currentText()}")

    def _preference(self, key: str, on: bool) -> None:
        self.settings.set(key, on)
        self.settings.sync()


def create_page(context: AppContext) -> PracticePage:
    return PracticePage(context)

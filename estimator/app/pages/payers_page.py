"""Payers and the charge master: list, add, edit, remove, import and export, with undo.

The list is the store's payers; the form on the right edits the selected one and validates as you type
(Save stays disabled while anything is wrong).  Removing or replacing data asks first (through the
dialog service) and every change can be undone in the session (Ctrl+Z: the page's ``undo_stack`` joins
the main window's undo group).  Fee schedules and the charge master import from ``code,modifier,amount``
CSV files, validated whole: one bad row and nothing is imported.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QFont, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from estimator.app import settings as opts
from estimator.app.commands import AddPayer, EditPayer, RemovePayer, ReplaceCharges, StoreCommand
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.models.payers import PayerListModel
from estimator.app.settings import Settings
from estimator.app.text import plain_tooltip
from estimator.app.views.payer_form import PayerForm
from estimator.core.errors import EstimatorError, InputError
from estimator.core.payers import Payer
from estimator.store import csv_io
from estimator.store.roles import Action

KEY = "payers"
TITLE = "Payers"
ORDER = 30


class PayersPage(QWidget):
    """The payer list, the contract form and the charge master (no signals of its own)."""

    def __init__(self, context: AppContext, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings if settings is not None else Settings()
        self.undo_stack = QUndoStack(self)
        self._versions: dict[str, int] = {}
        self.base_version: int | None = None
        # What the connected role may not do is disabled, with the reason on screen and in each tooltip.
        self.not_allowed = context.why_not(Action.CHANGE_CONTRACTS)
        self.role_note = QLabel(self)
        self.role_note.setWordWrap(True)
        self.role_note.setVisible(bool(self.not_allowed))
        self.role_note.setText(f"Read only: {self.not_allowed}." if self.not_allowed else "")
        self.model = PayerListModel(context.payers())
        self.list = QListView(self)
        self.list.setAccessibleName("Payers")
        self.list.setModel(self.model)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setAlternatingRowColors(True)
        self.add_button = QPushButton("&Add payer", self)
        self.remove_button = QPushButton("&Remove…", self)
        self.import_button = QPushButton("&Import fee schedule…", self)
        self.export_button = QPushButton("E&xport fee schedule…", self)
        self.undo_button = QPushButton("Undo", self)
        self.redo_button = QPushButton("Redo", self)
        self.undo_button.setEnabled(False)
        self.redo_button.setEnabled(False)

        self.form = PayerForm(context.catalog.years(), context.tables(), self)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # shows user data
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.4)  # relative: follows the system font size
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.save_button = QPushButton("&Save", self)
        self.save_button.setDefault(True)
        self.revert_button = QPushButton("Re&vert", self)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # shows user data
        self.status.setWordWrap(True)

        self.charges_label = QLabel(self)
        self.charges_label.setTextFormat(Qt.TextFormat.PlainText)  # shows user data
        self.charges_import = QPushButton("Import charge master…", self)
        self.charges_export = QPushButton("Export charge master…", self)

        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(QLabel("<b>Payers</b>"))
        lv.addWidget(self.list, 1)
        for row in ((self.add_button, self.remove_button), (self.import_button, self.export_button),
                    (self.undo_button, self.redo_button)):
            line = QHBoxLayout()
            for button in row:
                line.addWidget(button)
            lv.addLayout(line)
        charges = QGroupBox("Charge master (the practice's billed charges)", left)
        cv = QVBoxLayout(charges)
        cv.addWidget(self.charges_label)
        line = QHBoxLayout()
        line.addWidget(self.charges_import)
        line.addWidget(self.charges_export)
        cv.addLayout(line)
        lv.addWidget(charges)

        right = QWidget(self)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.title)
        rv.addWidget(self.role_note)
        scroll = QScrollArea(right)
        scroll.setAccessibleName("Contract of the selected payer")
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        rv.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        rv.addLayout(buttons)

        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(left)
        self.split.addWidget(right)
        self.split.setSizes([420, 860])
        layout = QVBoxLayout(self)
        layout.addWidget(self.split)

        self.list.selectionModel().currentChanged.connect(lambda current, _: self._row_chosen(current.row()))
        self.add_button.clicked.connect(self.new_payer)
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button.clicked.connect(lambda: self.import_fees())
        self.export_button.clicked.connect(lambda: self.export_fees())
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.charges_import.clicked.connect(lambda: self.import_charges())
        self.charges_export.clicked.connect(lambda: self.export_charges())
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda text: self.undo_button.setToolTip(plain_tooltip(f"Undo {text}")))
        self.form.edited.connect(self._update_buttons)
        context.store_changed.connect(self.reload)
        self.reload()
        # Start on the practice's own first contract (built-ins are rarely edited).
        own = [p.name for p in context.payers() if not p.builtin]
        self.select(own[0] if own else (self.model.names()[0] if self.model.rowCount() else ""))

    # --- list -------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the store, keeping the selected payer (or the draft) on screen."""
        current = self.form.base.name if self.form.base is not None else None
        self.model.set_payers(self.context.payers())
        self._versions = self.context.store.payer_versions()
        charges = self.context.store.practice().charges
        self.charges_label.setText(f"{len(charges)} codes with a charge" if charges else
                                   "No charges yet: self-pay estimates use the Medicare amount.")
        if current is not None:
            row = self.model.row_of(current)
            if row >= 0:
                self._select_row(row)
                stored = self.model.payer(row)
                if not self.form.dirty():
                    self._load_form(stored)
                elif self.form.base != stored:
                    # Changed elsewhere while being edited here: keep the edits; saving them will be refused.
                    stamp = self.context.store.payer_stamp(stored.name)
                    self.status.setText(f"{stored.name} was changed by {stamp.changed_by} at {stamp.changed_at}: "
                                        "Revert to see it (your unsaved edits would be lost).")
            elif self.model.rowCount():
                self._select_row(0)
                self._load_form(self.model.payer(0))
        self._update_buttons()

    def select(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row < 0:
            return False
        self._select_row(row)
        self._load_form(self.model.payer(row))
        self._update_buttons()
        return True

    def _select_row(self, row: int) -> None:
        selection = self.list.selectionModel()
        selection.blockSignals(True)
        selection.setCurrentIndex(self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        selection.blockSignals(False)
        self.list.viewport().update()

    def _row_chosen(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        payer = self.model.payer(row)
        if self.form.base == payer:
            return
        if self.form.dirty() and self.form.base is not None and not dialogs().confirm(
                self, "Unsaved changes", f"Discard your changes to {self.form.base.name}?"):
            self._select_row(self.model.row_of(self.form.base.name))
            return
        self._load_form(payer)
        self._update_buttons()

    def _load_form(self, payer: Payer | None) -> None:
        """Show a stored payer (or a blank draft) and remember the version an edit of it starts from."""
        self.form.set_payer(payer)
        self.base_version = None if payer is None else self._versions.get(payer.name)

    def revert(self) -> None:
        """Drop the edits and show the payer as stored now."""
        base = self.form.base
        row = self.model.row_of(base.name) if base is not None else -1
        self._load_form(self.model.payer(row) if row >= 0 else base)
        self._update_buttons()

    def selected(self) -> Payer | None:
        """The stored payer on the form (``None`` for a draft)."""
        return self.form.base

    # --- actions ----------------------------------------------------------------------------------------------

    def new_payer(self) -> None:
        """Start a new contract in the form (stored on Save)."""
        self.list.selectionModel().clearSelection()
        self._load_form(None)
        self.form.name.setFocus()
        self._update_buttons()

    def save(self) -> bool:
        """Store the form's payer (add or update); False when the form is invalid or the store refuses."""
        payer = self.form.payer()
        if payer is None:
            return False
        base = self.form.base
        command: StoreCommand = AddPayer(self.context, payer) if base is None else EditPayer(self.context, base, payer,
                                                                                       self.base_version)
        if not self._run(command):
            return False
        self.select(payer.name)
        self.status.setText(f"Saved {payer.name}.")
        return True

    def remove_selected(self) -> bool:
        payer = self.form.base
        if payer is None:
            self._load_form(self.model.payer(0) if self.model.rowCount() else None)
            return False
        if payer.builtin:
            dialogs().error(self, "Cannot remove", f"{payer.name} is built in and cannot be removed.")
            return False
        if self._confirm("Remove payer", f"Remove {payer.name} and its fee schedule? You can undo this (Ctrl+Z)."):
            ok = self._run(RemovePayer(self.context, payer))
            if ok:
                self.status.setText(f"Removed {payer.name} (Ctrl+Z to undo).")
            return ok
        return False

    def import_fees(self, path: Path | None = None) -> bool:
        """Replace the selected payer's fee schedule from a ``code,modifier,amount`` CSV (all rows or none)."""
        payer = self.form.base
        if payer is None or payer.builtin:
            dialogs().error(self, "Import fee schedule", "Select (or save) a payer of your own first; "
                            "built-in payers have no fee schedule.")
            return False
        path = path or dialogs().open_file(self, f"Fee schedule for {payer.name}")
        if path is None:
            return False
        try:
            fees = csv_io.read_amounts(path, self.context.tables().schedule)
        except EstimatorError as exc:
            dialogs().error(self, "Nothing imported", str(exc))
            self.status.setText(str(exc).splitlines()[0])
            return False
        if payer.fees and not self._confirm("Replace fee schedule",
                                            f"Replace {payer.name}'s {len(payer.fees)} fees with {len(fees)} from "
                                            f"{path.name}? You can undo this (Ctrl+Z)."):
            return False
        ok = self._run(EditPayer(self.context, payer, dataclasses.replace(payer, fees=fees), self.base_version))
        if ok:
            self.status.setText(f"Imported {len(fees)} fees into {payer.name}"
                                + ("" if payer.method.value == "fee_schedule" else
                                   "; they apply when the method is 'Fixed fee schedule'") + ".")
        return ok

    def export_fees(self, path: Path | None = None) -> bool:
        payer = self.form.base
        if payer is None or not payer.fees:
            dialogs().error(self, "Export fee schedule", "The selected payer has no fee schedule to export.")
            return False
        path = path or dialogs().save_file(self, "Export fee schedule", f"{payer.name}.csv")
        if path is None:
            return False
        try:
            csv_io.write_amounts(path, payer.fees)
        except (EstimatorError, OSError) as exc:
            dialogs().error(self, "Export failed", str(exc))
            return False
        self.status.setText(f"Wrote {len(payer.fees)} fees to {path}.")
        return True

    def import_charges(self, path: Path | None = None) -> bool:
        """Replace the charge master from a ``code,modifier,charge`` CSV (all rows or none)."""
        path = path or dialogs().open_file(self, "Charge master (code,modifier,charge)")
        if path is None:
            return False
        try:
            charges = csv_io.read_amounts(path, self.context.tables().schedule, "charge")
        except EstimatorError as exc:
            dialogs().error(self, "Nothing imported", str(exc))
            self.status.setText(str(exc).splitlines()[0])
            return False
        before = self.context.store.practice().charges
        if before and not self._confirm("Replace charge master",
                                        f"Replace the {len(before)} charges with {len(charges)} from {path.name}? "
                                        "You can undo this (Ctrl+Z)."):
            return False
        ok = self._run(ReplaceCharges(self.context, before, charges))
        if ok:
            self.status.setText(f"Imported {len(charges)} charges.")
        return ok

    def export_charges(self, path: Path | None = None) -> bool:
        charges = self.context.store.practice().charges
        if not charges:
            dialogs().error(self, "Export charge master", "The charge master is empty.")
            return False
        path = path or dialogs().save_file(self, "Export charge master", "charge-master.csv")
        if path is None:
            return False
        try:
            csv_io.write_amounts(path, charges, "charge")
        except (EstimatorError, OSError) as exc:
            dialogs().error(self, "Export failed", str(exc))
            return False
        self.status.setText(f"Wrote {len(charges)} charges to {path}.")
        return True

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _confirm(self, title: str, text: str) -> bool:
        if not self.settings.get(opts.CONFIRM_REMOVE):
            return True
        return dialogs().confirm(self, title, text)

    def _run(self, command: StoreCommand) -> bool:
        """Apply a change and put it on the undo stack; a refused change is shown, not raised."""
        try:
            command.do_first()
        except (EstimatorError, InputError) as exc:
            dialogs().error(self, "Not saved", str(exc))
            self.status.setText(str(exc))
            return False
        self.undo_stack.push(command)
        return True

    def _update_buttons(self) -> None:
        base = self.form.base
        self.title.setText(base.name if base is not None else "New payer")
        self.save_button.setEnabled(self.form.valid and self.form.dirty())
        self.revert_button.setEnabled(self.form.dirty())
        self.remove_button.setEnabled(base is not None and not base.builtin)
        self.import_button.setEnabled(base is not None and not base.builtin)
        self.export_button.setEnabled(base is not None and bool(base.fees))
        self.charges_export.setEnabled(bool(self.context.store.practice().charges))
        if self.not_allowed:
            for button in (self.add_button, self.remove_button, self.import_button, self.save_button,
                           self.charges_import, self.undo_button, self.redo_button):
                button.setEnabled(False)
                button.setToolTip(self.not_allowed)

    # --- page protocol ----------------------------------------------------------------------------------------

    def save_state(self, settings: Settings) -> None:
        settings.set(opts.PAYERS_SPLITTER, self.split.saveState())

    def restore_state(self, settings: Settings) -> None:
        self.settings = settings
        state = settings.get(opts.PAYERS_SPLITTER)
        if not state.isEmpty():
            self.split.restoreState(state)


def create_page(context: AppContext) -> PayersPage:
    return PayersPage(context)

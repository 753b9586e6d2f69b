"""Issue a Good Faith Estimate from the app: the same checks, document and log as ``estimator gfe``.

The dialog is pre-filled with the visit on the estimate page (lesions, visit, procedures, diagnoses,
place of service, locality).  As the user types, it re-prices the visit at the practice's self-pay price
and checks every element 45 CFR 149.610 requires; while anything is missing, an inline message names it
and "Save PDF..." and "Print..." stay disabled.  Either action renders the official document, writes
or prints it, and logs it (inputs and PDF) in the practice database.

Signals (on ``GfeDialog``):
    issued(int): a Good Faith Estimate was issued and logged under this id.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from estimator.app import theme
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.text import money
from estimator.app.validation import parse_diagnoses, parse_optional_date, parse_procedures
from estimator.core import codes as cs
from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.errors import EstimatorError, InputError
from estimator.core.gfe import GoodFaithEstimate, Patient, build_gfe, gfe_to_dict, late_finding, missing_elements
from estimator.core.parsing import clean_name
from estimator.core.payers import SELF_PAY, Method
from estimator.core.rules import build_claim
from estimator.core.schedule import NATIONAL_KEY
from estimator.reports import i18n
from estimator.reports.documents import gfe_html, html_to_pdf_bytes, text_document
from estimator.store import gfe_log

log = logging.getLogger(__name__)

#: Where the user supplies each missing element in the app (matched on the element's first words).
GUI_HINTS: Final = (("provider", "the practice profile"), ("patient", "this form"), ("scheduled", "this form"),
                    ("itemized", "this form"), ("description", "this form"), ("diagnosis", "this form"))


def missing_message(missing: list[str]) -> str:
    """One line naming every missing element and where to add it."""
    places = list(dict.fromkeys(where for m in missing for start, where in GUI_HINTS if m.startswith(start)))
    return ("Cannot issue the Good Faith Estimate yet: missing " + ", ".join(missing)
            + (" \u2014 add them in " + " and ".join(places) + "." if places else "."))


class GfeDialog(QDialog):
    """Fill in, check and issue one Good Faith Estimate (see the module docstring for the signal)."""

    issued = Signal(int)

    def __init__(self, context: AppContext, inputs: Any | None = None, parent: QWidget | None = None,
                 today: dt.date | None = None, patient: Patient | None = None) -> None:
        """``inputs``: the estimate page's ``estimator.app.state.Inputs`` (or anything with the same fields)
        to start from; ``patient``: the name and date of birth typed there; ``today`` fixes the date (tests)."""
        super().__init__(parent)
        self.context = context
        self.today = today or dt.date.today()
        self._gfe: GoodFaithEstimate | None = None
        self._error: str | None = None
        self._notes: list[str] = []
        self._issued_id: int | None = None
        self.setWindowTitle("Good Faith Estimate")
        practice = context.store.practice()
        self._pos = getattr(inputs, "place_of_service", None) or practice.place_of_service
        self._locality = getattr(inputs, "locality_key", None) or practice.locality_key or NATIONAL_KEY

        self.patient_name = QLineEdit(self)
        self.patient_name.setPlaceholderText("Full name")
        self.dob = QLineEdit(self)
        self.dob.setPlaceholderText("YYYY-MM-DD")
        if patient is not None:
            self.patient_name.setText(patient.name)
            self.dob.setText(patient.dob.isoformat() if patient.dob else "")
        self.scheduled = QLineEdit(self)
        self.scheduled.setPlaceholderText("YYYY-MM-DD (date of the service)")
        service_day = getattr(inputs, "date_of_service", None)
        if isinstance(service_day, dt.date) and service_day > self.today:
            self.scheduled.setText(service_day.isoformat())
        self.scheduled_on = QLineEdit(self.today.isoformat(), self)
        self.requested = QCheckBox("&Requested by the patient, nothing scheduled yet", self)
        self.lesions = QSpinBox(self)
        self.lesions.setRange(0, 999)
        self.lesions.setValue(int(getattr(inputs, "lesions", 0) or 0))
        self.em = QComboBox(self)
        self.em.addItem("none", None)
        for code in sorted(cs.EM_CODES):
            self.em.addItem(code, code)
        em = getattr(inputs, "em_code", None)
        if em:
            self.em.setCurrentIndex(max(self.em.findData(em), 0))
        self.g2211 = QCheckBox("G2211", self)
        self.g2211.setChecked(bool(getattr(inputs, "g2211", False)))
        procedures: tuple[ServiceLine, ...] = tuple(getattr(inputs, "procedures", ()) or ())
        self.procedures = QLineEdit(", ".join(p.text() for p in procedures), self)
        self.procedures.setPlaceholderText("e.g. 11102, 17110:59")
        self.diagnoses = QLineEdit(", ".join(getattr(inputs, "diagnoses", ()) or (cs.ACTINIC_KERATOSIS,)), self)
        self.payer = QComboBox(self)
        for p in context.payers():
            if p.method is Method.SELF_PAY:
                self.payer.addItem(p.name)
        self.payer.setCurrentIndex(max(self.payer.findText(SELF_PAY), 0))
        self.primary = QLineEdit(self)
        self.primary.setPlaceholderText("optional: describe the primary service in your own words")
        self.separately = QPlainTextEdit(self)
        self.separately.setPlaceholderText("Items or services to be scheduled separately, one per line "
                                           "(empty: none expected)")
        self.separately.setFixedHeight(64)
        self.lang = QComboBox(self)
        for code in i18n.LANGUAGES:
            self.lang.addItem(i18n.LANGUAGE_NAMES[code], code)

        form = QFormLayout()
        form.addRow("&Patient name", self.patient_name)
        form.addRow("Date of &birth", self.dob)
        form.addRow("&Scheduled for", self.scheduled)
        form.addRow("Scheduled &on", self.scheduled_on)
        form.addRow("", self.requested)
        form.addRow("&Lesions destroyed", self.lesions)
        visit = QHBoxLayout()
        visit.addWidget(self.em)
        visit.addWidget(self.g2211)
        form.addRow("Office &visit", visit)
        form.addRow("Other pro&cedures", self.procedures)
        form.addRow("&Diagnoses", self.diagnoses)
        form.addRow("Self-pay pr&ice", self.payer)
        form.addRow("Pri&mary service", self.primary)
        form.addRow("Scheduled separa&tely", self.separately)
        form.addRow("Lan&guage", self.lang)
        for label_text, widget in (("Office visit", self.em), ("Scheduled separately", self.separately)):
            widget.setAccessibleName(label_text)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(self)
        self.save_button = QPushButton("S&ave PDF\u2026", self)
        self.print_button = QPushButton("Pri&nt\u2026", self)
        for button in (self.save_button, self.print_button):
            # Enter in a field must not issue (and log) an estimate: issuing is an explicit click or Alt key.
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self._save_clicked)
        self.print_button.clicked.connect(self._print_clicked)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

        for edit in (self.patient_name, self.dob, self.scheduled, self.scheduled_on, self.procedures,
                     self.diagnoses, self.primary):
            edit.textChanged.connect(self.refresh)
        self.separately.textChanged.connect(self.refresh)
        for combo in (self.em, self.payer, self.lang):
            combo.currentIndexChanged.connect(self.refresh)
        self.lesions.valueChanged.connect(self.refresh)
        self.g2211.toggled.connect(self.refresh)
        self.requested.toggled.connect(self._requested_toggled)
        self.refresh()

    # --- checking -----------------------------------------------------------------------------------------

    @property
    def gfe(self) -> GoodFaithEstimate | None:
        """The complete estimate the form describes, or ``None`` while something is missing or wrong."""
        return self._gfe

    @property
    def problem(self) -> str | None:
        """The inline message shown while the estimate cannot be issued."""
        return self._error

    @property
    def language(self) -> str:
        return str(self.lang.currentData())

    def _requested_toggled(self, on: bool) -> None:
        self.scheduled.setEnabled(not on)
        self.refresh()

    def _build(self) -> GoodFaithEstimate:
        """The estimate from the form.

        Raises:
            EstimatorError: a field cannot be read, or the visit cannot be priced.
        """
        requested = self.requested.isChecked()
        dob = parse_optional_date(self.dob.text(), "date of birth")
        if dob is not None and dob > self.today:
            raise InputError("date of birth is in the future")
        service_date = None if requested else parse_optional_date(self.scheduled.text(), "scheduled date")
        start = parse_optional_date(self.scheduled_on.text(), "scheduled on") or self.today
        procedures = parse_procedures(self.procedures.text())
        diagnoses = parse_diagnoses(self.diagnoses.text())
        em = self.em.currentData()
        practice = self.context.store.practice()
        est = None
        if self.lesions.value() or em or procedures:
            encounter = Encounter(
                date_of_service=service_date or self.today, place_of_service=self._pos,
                locality_key=self._locality, cf_variant=practice.cf_variant, lesions=self.lesions.value(),
                em_code=em, g2211=self.g2211.isChecked() and em is not None, procedures=procedures,
                diagnoses=diagnoses)
            claim = build_claim(encounter, self.context.tables(on=encounter.date_of_service))
            payer = self.context.store.payer(self.payer.currentText() or SELF_PAY)
            est = estimate(claim, payer, practice, Benefits(), self.context.tables_for_year)
            self._notes = [f.message for f in est.findings if f.severity != "info"]
        separately = [line for line in self.separately.toPlainText().splitlines() if line.strip()]
        name = clean_name(self.patient_name.text(), "Patient name")
        return build_gfe(est, practice, Patient(name, dob), start=start,
                         service_date=service_date, issued_on=self.today, separately=separately,
                         primary_text=self.primary.text(), requested=requested)

    def refresh(self) -> None:
        """Re-check the form: update the inline message and enable Save/Print only when complete."""
        self._gfe = None
        self._notes = []
        try:
            gfe = self._build()
        except EstimatorError as exc:
            self._error = str(exc)
        else:
            missing = missing_elements(gfe)
            self._error = missing_message(missing) if missing else None
            if not missing:
                self._gfe = gfe
        ready = self._gfe is not None
        self.save_button.setEnabled(ready)
        self.print_button.setEnabled(ready)
        if self._gfe is not None:
            due = self._gfe.due
            theme.paint(self.status, "ok")
            late = late_finding(self._gfe)
            notes = "".join(f"\nNote: {n}" for n in [*self._notes, *([late.message] if late else [])])
            self.status.setText(f"Total expected charges {money(self._gfe.total_cents)}. {due.explain()}{notes}")
        else:
            theme.paint(self.status, "banner")
            self.status.setText(self._error or "")

    # --- issuing ------------------------------------------------------------------------------------------

    def inputs(self) -> dict[str, Any]:
        """What the form held, logged with the estimate."""
        return {"command": "gui", "options": {
            "patient_name": self.patient_name.text().strip(), "dob": self.dob.text().strip(),
            "scheduled": self.scheduled.text().strip(), "scheduled_on": self.scheduled_on.text().strip(),
            "requested": self.requested.isChecked(), "lesions": self.lesions.value(), "em": self.em.currentData(),
            "g2211": self.g2211.isChecked(), "add": self.procedures.text().strip(),
            "dx": self.diagnoses.text().strip(), "pos": self._pos, "locality": self._locality,
            "payer": self.payer.currentText(), "primary": self.primary.text().strip(),
            "separately": [s for s in self.separately.toPlainText().splitlines() if s.strip()],
            "lang": self.language}}

    def _log(self, gfe: GoodFaithEstimate, pdf: bytes, out: Path | None = None) -> int:
        """Log the estimate (and then, with ``out``, write the patient's copy there): log first, always."""
        if self._issued_id is not None:  # one dialog issues one estimate (a second click or Enter does nothing)
            return self._issued_id
        inputs = {**self.inputs(), "gfe": gfe_to_dict(gfe)}
        if out is None:
            entry_id = gfe_log.save(self.context.store, gfe, lang=self.language, inputs=inputs, pdf=pdf)
        else:
            entry_id = gfe_log.issue(self.context.store, gfe, lang=self.language, inputs=inputs, pdf=pdf, out=out)
        self._issued_id = entry_id
        self.context.status_posted.emit(f"Good Faith Estimate #{entry_id} issued and logged")
        self.issued.emit(entry_id)
        return entry_id

    def issue_to(self, path: Path) -> int:
        """Log the estimate, then write its PDF to ``path``; returns the log id.

        Raises:
            InputError: the estimate is incomplete (the message names what is missing) or the file cannot
                be written.
        """
        gfe = self._gfe
        if gfe is None:
            raise InputError(self._error or "the Good Faith Estimate is not complete")
        return self._log(gfe, html_to_pdf_bytes(gfe_html(gfe, self.language)), path)

    def _save_clicked(self) -> None:
        if self._gfe is None or self._issued_id is not None:
            return
        name = f"good-faith-estimate-{self.today.isoformat()}.pdf"
        path = dialogs().save_file(self, "Save the Good Faith Estimate", name, "PDF files (*.pdf)")
        if path is None:
            return
        try:
            self.issue_to(path)
        except EstimatorError as exc:
            dialogs().error(self, "Good Faith Estimate", str(exc))
            return
        except OSError as exc:
            dialogs().error(self, "Good Faith Estimate", f"{path}: {exc.strerror or exc}")
            return
        self.accept()  # issued and saved: the dialog's work is done

    def _print_clicked(self) -> None:
        gfe = self._gfe
        if gfe is None or self._issued_id is not None:
            return
        source = gfe_html(gfe, self.language)
        pdf = html_to_pdf_bytes(source)  # the log keeps a PDF of what is printed
        try:
            # Logged once the user has chosen to print and before the printer gets a page: a printed
            # estimate is always in the log.
            dialogs().print_document(self, text_document(source, self), lambda: self._log(gfe, pdf))
        except EstimatorError as exc:
            dialogs().error(self, "Good Faith Estimate", f"not printed: it could not be logged ({exc})")

"""The front desk's page: enter the visit and the patient's benefits, see the estimate change as you type.

Left, the inputs (lesion count first; every field validates as you type and a refused entry keeps what
was typed).  Right, the totals in large type, the claim lines (hover or select one to see how its
numbers were computed), the rule findings (errors first, each with its fix) and the payment-by-lesion
-count chart.  All of it follows the shared ``EstimateInputs`` (``estimator.app.state``).

Page protocol used by the main window: ``current_table_view()``, ``current_chart()``,
``printable_document()``, ``save_state(settings)`` / ``restore_state(settings)``; and
``current_estimate()`` for reports (the core ``Estimate`` with the inputs that produced it).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QDate, QItemSelection, Qt
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from estimator.app import settings as opts
from estimator.app import theme
from estimator.app.charts.lesion_chart import LesionChart
from estimator.app.context import AppContext
from estimator.app.dialogs.gfe_dialog import GfeDialog
from estimator.app.dialogs.service import dialogs
from estimator.app.models.claim_lines import COLUMNS, MONEY_COLUMNS, ClaimLinesModel
from estimator.app.models.findings import FindingsModel
from estimator.app.settings import Settings
from estimator.app.state import MAX_LESIONS, EstimateInputs, Inputs, LesionSeries, shared_inputs
from estimator.app.text import money
from estimator.app.validation import (
    parse_day,
    parse_diagnoses,
    parse_optional_money,
    parse_optional_percent,
    parse_procedures,
)
from estimator.app.views.combos import ValueCombo
from estimator.app.views.elided_label import WrappingLabel
from estimator.app.views.fields import LesionSpinBox, ValidatedField
from estimator.app.views.locality_finder import LocalityFinder
from estimator.core import codes as cs
from estimator.core.cost_sharing import Benefits, CopayPer, Estimate
from estimator.core.encounter import ServiceLine
from estimator.core.errors import EstimatorError, InputError, UnknownCodeError
from estimator.core.gfe import Patient
from estimator.core.lesions import lesion_lines
from estimator.core.parsing import parse_money
from estimator.core.payers import MEDICARE, Method
from estimator.reports import i18n
from estimator.reports.documents import html_to_pdf, patient_estimate_html, text_document

KEY = "estimate"
TITLE = "Estimate"
ORDER = 10

EM_LABELS: Final = {
    "99202": "new patient, straightforward", "99203": "new patient, low", "99204": "new patient, moderate",
    "99205": "new patient, high", "99211": "established, minimal", "99212": "established, straightforward",
    "99213": "established, low", "99214": "established, moderate", "99215": "established, high",
}


def service_date_range(years: list[int]) -> tuple[QDate, QDate]:
    """Dates of service the page accepts: from the oldest tables through the year after the newest (or after
    this year), so a January visit can be estimated before CMS publishes its tables (provisionally)."""
    last = max(years[-1], dt.date.today().year) + 1
    return QDate(years[0], 1, 1), QDate(last, 12, 31)


@dataclass(frozen=True, slots=True)
class CurrentEstimate:
    """What the estimate page shows: the core estimate and the inputs that produced it."""

    estimate: Estimate
    inputs: Inputs


def _cents_text(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def _pct_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


class EstimateForm(QWidget):
    """The inputs of one estimate, bound to an ``EstimateInputs`` (no signals of its own)."""

    def __init__(self, context: AppContext, state: EstimateInputs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.state = state
        inputs = state.inputs
        tables = state.tables()

        self.lesions = LesionSpinBox(1, MAX_LESIONS, self)
        self.lesions.setValue(inputs.lesions)
        self.lesions.setToolTip("Premalignant lesions destroyed (↑/↓ to change; 15 or more bill 17004)")
        self.lesions_message = QLabel(self)
        theme.paint(self.lesions_message, "error")
        self.lesions_message.setWordWrap(True)
        self.lesions_message.hide()
        big = QFont(self.lesions.font())
        big.setPointSize(big.pointSize() + 4)
        big.setBold(True)
        self.lesions.setFont(big)
        self.tier = QLabel(self)
        theme.paint(self.tier, "muted")
        self.tier.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.place = ValueCombo(self)
        for place in sorted(tables.places.by_code.values(), key=lambda p: p.code):
            self.place.add(f"{place.code} – {place.name}", place.code)
        self.setting = QLabel(self)
        theme.paint(self.setting, "muted")

        self.locality = LocalityFinder(tables, lambda: context.catalog.zip_codes(state.tables().year),
                                       state.practice().locality_key, self)
        self.payer = ValueCombo(self)
        self.em = ValueCombo(self)
        self.em.add("No visit", None)
        for code in sorted(cs.EM_CODES):
            self.em.add(f"{code} – {EM_LABELS.get(code, 'office visit')}", code)
        self.em.setToolTip("Office E/M visit on the same day; modifier 25 is added automatically when a minor "
                           "procedure is billed too")
        self.g2211 = QCheckBox("G2211 add-on", self)
        self.g2211.setToolTip("Visit complexity add-on (not paid with a modifier-25 visit)")
        self.procedures = ValidatedField(self._parse_procedures, ", ".join(p.text() for p in inputs.procedures),
                                         placeholder="e.g. 11102, 17110:59, 11103x2:RT", parent=self)
        self.diagnoses = ValidatedField(self._parse_diagnoses, ", ".join(inputs.diagnoses),
                                        placeholder="ICD-10-CM, e.g. L57.0", parent=self)
        # One Tab stop that takes what the front desk types: ISO (2026-12-15) or US (12/15/2026).
        self.date = ValidatedField(self._parse_day, inputs.date_of_service.isoformat(),
                                   placeholder="YYYY-MM-DD or MM/DD/YYYY", parent=self)
        years = context.catalog.years()
        self.date.edit.setToolTip(f"Date of service: picks the fee-schedule tables in force ({years[0]}–{years[-1]}; "
                                  "a later date is priced with the newest, marked provisional)")

        b = inputs.benefits
        self.deductible = ValidatedField(lambda t: parse_optional_money(t, "Deductible remaining"),
                                         _cents_text(b.deductible_remaining_cents),
                                         placeholder="blank = plan standard (Medicare: full Part B)", parent=self)
        self.coinsurance = ValidatedField(lambda t: parse_optional_percent(t, "Coinsurance"),
                                          _pct_text(b.coinsurance_pct),
                                          placeholder="% (blank = plan standard, Medicare 20)", parent=self)
        self.copay = ValidatedField(lambda t: parse_money(t or "0", "Copay"),
                                    _cents_text(b.copay_cents) if b.copay_cents else "",
                                    placeholder="$ (blank = none)", parent=self)
        self.copay_per = ValueCombo(self)
        self.copay_per.add("per visit", CopayPer.VISIT.value)
        self.copay_per.add("per procedure", CopayPer.PROCEDURE.value)
        self.oop = ValidatedField(lambda t: parse_optional_money(t, "Out-of-pocket remaining"),
                                  _cents_text(b.oop_remaining_cents), placeholder="$ (blank = no limit)", parent=self)
        self.benefits_message = QLabel(self)
        theme.paint(self.benefits_message, "error")
        self.benefits_message.setWordWrap(True)
        self.benefits_message.hide()

        visit = QGroupBox("Visit", self)
        form = QFormLayout(visit)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        lesion_row = QHBoxLayout()
        lesion_row.addWidget(self.lesions)
        lesion_row.addWidget(self.tier, 1)
        self._add_row(form, "&Lesions:", lesion_row, self.lesions)
        form.addRow("", self.lesions_message)
        self._add_row(form, "Place of &service:", self.place)
        form.addRow("", self.setting)
        self._add_row(form, "Lo&cality:", self.locality)
        self._add_row(form, "&Payer:", self.payer)
        em_row = QHBoxLayout()
        em_row.addWidget(self.em, 1)
        em_row.addWidget(self.g2211)
        self._add_row(form, "E/&M visit:", em_row, self.em)
        self._add_row(form, "&Other procedures:", self.procedures)
        self._add_row(form, "Di&agnosis:", self.diagnoses)
        self._add_row(form, "&Date of service:", self.date)

        patient = QGroupBox("Patient's benefits", self)
        pform = QFormLayout(patient)
        pform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_row(pform, "Deductible &remaining ($):", self.deductible)
        self._add_row(pform, "Co&insurance (%):", self.coinsurance, self.coinsurance)
        copay_row = QHBoxLayout()
        copay_row.addWidget(self.copay, 1)
        copay_row.addWidget(self.copay_per)
        self._add_row(pform, "Copa&y ($):", copay_row, self.copay)
        self._add_row(pform, "Out-of-pocket remai&ning ($):", self.oop)
        pform.addRow(self.benefits_message)

        # The documentation checklist: what the note records (feeds the documentation finding).
        checklist = QGroupBox("Documentation in the note", self)
        grid = QGridLayout(checklist)
        self.documented: dict[str, QCheckBox] = {}
        for i, (key, text) in enumerate(cs.DOCUMENTATION_ELEMENTS.items()):
            label = {"count": "Number of lesions", "photos": "Photos (where used)"}.get(key, key.capitalize())
            box = QCheckBox(label, checklist)
            box.setToolTip(f"The note records the {text}")
            box.toggled.connect(self._documented_toggled)
            grid.addWidget(box, i // 2, i % 2)
            self.documented[key] = box

        # The patient's document: who it is for and in which language.  The name and date of birth are kept
        # in these fields only (never saved with the inputs); a Good Faith Estimate logs them when issued.
        self.patient_name = QLineEdit(self)
        self.patient_name.setPlaceholderText("on the printed estimate; not saved")
        self.patient_dob = ValidatedField(lambda t: parse_day(t, "Date of birth") if t.strip() else None,
                                          placeholder="YYYY-MM-DD or MM/DD/YYYY", parent=self)
        self.language = ValueCombo(self)
        for code in i18n.LANGUAGES:
            self.language.add(i18n.LANGUAGE_NAMES[code], code)
        self.save_pdf_button = QPushButton("Sa&ve as PDF\u2026", self)
        self.print_button = QPushButton("Print\u2026", self)
        self.print_button.setToolTip("Print the patient's estimate (Ctrl+P)")
        self.gfe_button = QPushButton("Issue Good Faith Estimate\u2026", self)
        self.gfe_button.setToolTip("Self-pay or uninsured: the Good Faith Estimate the No Surprises Act requires")
        documents = QGroupBox("Patient's estimate", self)
        dform = QFormLayout(documents)
        dform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_row(dform, "Pa&tient name:", self.patient_name)
        self._add_row(dform, "Date of &birth:", self.patient_dob)
        self._add_row(dform, "Lang&uage:", self.language)
        document_buttons = QHBoxLayout()
        document_buttons.addWidget(self.save_pdf_button)
        document_buttons.addWidget(self.print_button)
        dform.addRow(document_buttons)
        # Shown for self-pay only, in a row of fixed height: a payer change then moves no other field (growing
        # and shrinking the form re-laid out and repainted the whole window, doubling a payer change's time).
        gfe_row = QWidget(documents)
        gfe_layout = QHBoxLayout(gfe_row)
        gfe_layout.setContentsMargins(0, 0, 0, 0)
        gfe_layout.addWidget(self.gfe_button)
        gfe_row.setFixedHeight(self.gfe_button.sizeHint().height())
        dform.addRow(gfe_row)

        layout = self.column = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(visit)
        layout.addWidget(patient)
        layout.addWidget(checklist)
        layout.addWidget(documents)
        layout.addStretch(1)
        QWidget.setTabOrder(self.lesions, self.place)
        # The locality's Practice button is in the chain too: left out, the explicit order below pushed it
        # after the last button, where its own old neighbours looped Tab back to Other procedures (a trap
        # that never reached the claim lines, checks, Explain or the chart).
        for first, second in ((self.place, self.locality.combo), (self.locality.combo, self.locality.search),
                              (self.locality.search, self.locality.reset_button),
                              (self.locality.reset_button, self.payer), (self.payer, self.em), (self.em, self.g2211),
                              (self.g2211, self.procedures.edit), (self.procedures.edit, self.diagnoses.edit),
                              (self.diagnoses.edit, self.date.edit), (self.date.edit, self.deductible.edit),
                              (self.deductible.edit, self.coinsurance.edit), (self.coinsurance.edit, self.copay.edit),
                              (self.copay.edit, self.copay_per), (self.copay_per, self.oop.edit),
                              *zip([self.oop.edit, *self.documented.values()],
                                   [*self.documented.values(), self.patient_name], strict=True),
                              (self.patient_name, self.patient_dob.edit),
                              (self.patient_dob.edit, self.language), (self.language, self.save_pdf_button),
                              (self.save_pdf_button, self.print_button), (self.print_button, self.gfe_button)):
            QWidget.setTabOrder(first, second)

        for combo in (self.place, self.payer, self.em, self.copay_per, self.locality.combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        self.refresh_payers()
        self.show_inputs(inputs)
        self.lesions.valueChanged.connect(self._lesions_changed)
        self.lesions.refused.connect(self._lesions_refused)
        self.place.activated.connect(lambda _: state.update(place_of_service=self.place.value()))
        self.locality.locality_chosen.connect(lambda key: state.update(locality_key=key))
        self.payer.activated.connect(lambda _: state.update(payer=self.payer.value()))
        self.em.activated.connect(lambda _: state.update(em_code=self.em.value()))
        self.g2211.toggled.connect(lambda on: state.update(g2211=on))
        self.procedures.value_changed.connect(lambda value: state.update(procedures=value))
        self.diagnoses.value_changed.connect(lambda value: state.update(diagnoses=value))
        self.date.value_changed.connect(lambda day: state.update(date_of_service=day))
        for field in (self.deductible, self.coinsurance, self.copay, self.oop):
            field.value_changed.connect(self._benefits_edited)
            field.validity_changed.connect(self._benefits_validity)
        self.copay_per.activated.connect(self._benefits_edited)
        # A field holding an invalid value makes the estimate stale (the state greys it and refuses printing).
        self.field_labels: dict[str, ValidatedField] = {
            "Other procedures": self.procedures, "Diagnosis": self.diagnoses, "Date of service": self.date,
            "Deductible remaining": self.deductible, "Coinsurance": self.coinsurance, "Copay": self.copay,
            "Out-of-pocket remaining": self.oop}
        for label, field in self.field_labels.items():
            field.validity_changed.connect(
                lambda _valid, label=label, field=field: state.set_field_problem(label, field.error() or None))
            if not field.valid:
                state.set_field_problem(label, field.error())
        state.inputs_changed.connect(self.show_inputs)
        context.store_changed.connect(self._store_changed)

    @staticmethod
    def _add_row(form: QFormLayout, label: str, field: Any, buddy: QWidget | None = None) -> None:
        text = QLabel(label)
        text.setBuddy(buddy if buddy is not None else field)
        form.addRow(text, field)

    # --- parsing that needs the tables ---------------------------------------------------------------------

    def _parse_procedures(self, text: str) -> tuple[ServiceLine, ...]:
        lines = parse_procedures(text)
        schedule = self.state.tables().schedule
        for line in lines:
            if not schedule.has(line.code):
                raise UnknownCodeError(line.code, "", schedule.release)
        return lines

    def patient(self) -> Patient:
        """Who the printed estimate is for (name and date of birth as typed; a bad date is left out)."""
        dob = self.patient_dob.value() if self.patient_dob.valid else None
        return Patient(self.patient_name.text().strip(), dob)

    def _parse_day(self, text: str) -> dt.date:
        day = parse_day(text, "Date of service")
        years = self.context.catalog.years()
        first, last = (d.year() for d in service_date_range(years))
        if not first <= day.year <= last:
            raise InputError(f"Date of service: no fee-schedule tables for {day.year} (they cover {years[0]}–"
                             f"{years[-1]}; dates through {last} are priced provisionally with the newest)")
        return day

    def _parse_diagnoses(self, text: str) -> tuple[str, ...]:
        values = parse_diagnoses(text)
        if not values:
            raise InputError("Diagnosis: enter at least one ICD-10-CM code (L57.0 for actinic keratosis)")
        return values

    # --- from the user --------------------------------------------------------------------------------------

    def _lesions_changed(self, value: int) -> None:
        self.lesions_message.hide()
        self.state.set_field_problem("Lesions", None)
        self.state.set_lesions(value)

    def _lesions_refused(self, message: str) -> None:
        # "300" typed into a 1-200 box stays "30": that is not what the user meant, so nothing is priced
        # from it until the count is changed again.
        self.lesions_message.setText(message)
        self.lesions_message.show()
        self.state.set_field_problem("Lesions", message)

    def _documented_toggled(self, _on: bool) -> None:
        ticked = frozenset(key for key, box in self.documented.items() if box.isChecked())
        self.state.update(documented=ticked or None)  # nothing ticked: not assessed yet

    def _benefits_validity(self, _valid: bool) -> None:
        bad = [f.error() for f in (self.deductible, self.coinsurance, self.copay, self.oop) if not f.valid]
        if bad:
            self.benefits_message.setText("The estimate is not updated until this is corrected.")
        self.benefits_message.setVisible(bool(bad))

    def _benefits_edited(self, *_: object) -> None:
        try:
            benefits = Benefits(
                deductible_remaining_cents=self.deductible.value(), coinsurance_pct=self.coinsurance.value(),
                copay_cents=self.copay.value() or 0, copay_per=CopayPer(self.copay_per.value()),
                oop_remaining_cents=self.oop.value(), secondary_pct=self.state.inputs.benefits.secondary_pct,
            )
        except EstimatorError as exc:
            self.benefits_message.setText(str(exc))
            self.benefits_message.show()
            self.state.set_field_problem("Patient's benefits", str(exc))
            return
        self.state.set_field_problem("Patient's benefits", None)
        self.state.update(benefits=benefits)

    # --- to the user ----------------------------------------------------------------------------------------

    def refresh_payers(self) -> None:
        names = self.context.store.payer_names()
        current = self.state.inputs.payer
        self.payer.blockSignals(True)
        self.payer.clear_items()
        for name in names:
            self.payer.add(name, name)
        if not self.payer.set_value(current):
            self.payer.set_value(MEDICARE)
        self.payer.blockSignals(False)

    def _store_changed(self) -> None:
        self.refresh_payers()
        self.locality.set_practice_key(self.state.practice().locality_key)
        self.date.revalidate()  # an imported release may add a year

    def show_inputs(self, inputs: Inputs) -> None:
        """Make the widgets show ``inputs`` (a programmatic change); text being typed is left alone."""
        if self.lesions.value() != inputs.lesions:
            self.lesions.blockSignals(True)
            self.lesions.setValue(inputs.lesions)
            self.lesions.blockSignals(False)
        self.tier.setText("→ " + " + ".join(f"{code} ×{units}" for code, units in lesion_lines(inputs.lesions)))
        combos = ((self.place, inputs.place_of_service), (self.payer, inputs.payer), (self.em, inputs.em_code))
        for combo, value in combos:
            combo.set_value(value)
        try:
            place = self.state.tables().places.get(inputs.place_of_service)
            self.setting.setText(f"{place.setting.label} rate")
        except EstimatorError:
            self.setting.setText("")
        self.locality.set_key(inputs.locality_key)
        if self.g2211.isChecked() != inputs.g2211:
            self.g2211.blockSignals(True)
            self.g2211.setChecked(inputs.g2211)
            self.g2211.blockSignals(False)
        self.g2211.setEnabled(inputs.em_code is not None)
        try:
            self_pay = self.state.payer(inputs.payer).method is Method.SELF_PAY
        except EstimatorError:
            self_pay = False
        self.gfe_button.setVisible(self_pay)
        self._sync(self.date, inputs.date_of_service, inputs.date_of_service.isoformat())
        for key, box in self.documented.items():
            if box.isChecked() != (key in (inputs.documented or ())):
                box.blockSignals(True)
                box.setChecked(key in (inputs.documented or ()))
                box.blockSignals(False)
        b = inputs.benefits
        self._sync(self.procedures, inputs.procedures, ", ".join(p.text() for p in inputs.procedures))
        self._sync(self.diagnoses, inputs.diagnoses, ", ".join(inputs.diagnoses))
        self._sync(self.deductible, b.deductible_remaining_cents, _cents_text(b.deductible_remaining_cents))
        self._sync(self.coinsurance, b.coinsurance_pct, _pct_text(b.coinsurance_pct))
        self._sync(self.copay, b.copay_cents, _cents_text(b.copay_cents) if b.copay_cents else "")
        self._sync(self.oop, b.oop_remaining_cents, _cents_text(b.oop_remaining_cents))
        self.copay_per.set_value(b.copay_per.value)

    @staticmethod
    def _sync(field: ValidatedField, value: Any, text: str) -> None:
        # A field the user is correcting keeps its text; a valid one follows a programmatic change.
        if field.valid and field.value() != value:
            field.set_text(text)


class TotalsPanel(QFrame):
    """Allowed, payer pays and patient owes in large type, with the basis on one line below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.allowed = self._amount()
        self.payer = self._amount()
        self.patient = self._amount("accent")
        self.basis = QLabel(self)
        theme.paint(self.basis, "muted")
        self.basis.setWordWrap(True)
        self.basis.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.stale = QLabel(self)  # "Not updated: fix Coinsurance" while the figures are the last good ones
        self.stale.setWordWrap(True)
        self.stale.setObjectName("stale_note")
        self.stale.hide()
        self.captions = {"allowed": "Allowed", "payer": "Payer pays", "patient": "Patient owes"}
        row = QHBoxLayout()
        for title, label in (("Allowed", self.allowed), ("Payer pays", self.payer), ("Patient owes", self.patient)):
            box = QVBoxLayout()
            caption = QLabel(title)
            theme.paint(caption, "muted", "font-weight: bold;")
            box.addWidget(caption)
            box.addWidget(label)
            row.addLayout(box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        layout.addWidget(self.stale)
        layout.addLayout(row)
        layout.addWidget(self.basis)

    def _amount(self, tone: theme.CssKind | None = None) -> QLabel:
        label = QLabel("—", self)
        font = QFont(label.font())
        font.setPointSizeF(label.font().pointSizeF() * 2)  # twice the system size, whatever it is
        font.setBold(True)
        label.setFont(font)
        theme.paint(label, tone)  # the palette's text colour unless a tone is given
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # New amounts must not re-lay out the page (and resize the chart) on every keystroke.
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        return label

    def show_estimate(self, est: Estimate) -> None:
        self.allowed.setText(money(est.allowed_cents))
        self.payer.setText(money(est.payer_pays_cents, "unknown"))
        self.patient.setText(money(est.patient_owes_cents, "unknown"))
        self.patient.setToolTip("" if est.patient_known else "Patient share unknown: enter benefits")
        claim = est.claim
        parts = [f"{est.payer.name}: {est.payer.describe()}",
                 f"Medicare fee schedule {money(claim.total_cents)}",
                 f"{claim.release}, {claim.place.code} {claim.place.name} ({claim.setting.label})"]
        if est.sequestration_cents:
            parts.append(f"sequestration {money(est.sequestration_cents)}")
        if est.secondary_cents:
            parts.append(f"secondary pays {money(est.secondary_cents)}")
        if est.charge_cents is not None:
            parts.append(f"billed {money(est.charge_cents)}")
        if not est.patient_known:
            parts.insert(0, "patient share unknown: enter benefits")
        self.basis.setText(" · ".join(parts))
        self._name_amounts()

    def set_stale(self, reason: str | None) -> None:
        """Grey the figures and say why they are not the estimate of what is on screen (``None``: current)."""
        for label in (self.allowed, self.payer, self.patient):
            label.setEnabled(reason is None)
        self.stale.setText(f"Not updated: {reason}" if reason else "")
        self.stale.setVisible(reason is not None)
        self._name_amounts()

    def _name_amounts(self) -> None:
        # A screen reader reads each total with its caption ("Patient owes $51.98"), and says when it is stale.
        stale = "" if not self.stale.text() else f" ({self.stale.text()})"
        for key, label in (("allowed", self.allowed), ("payer", self.payer), ("patient", self.patient)):
            label.setAccessibleName(f"{self.captions[key]} {label.text()}{stale}")

    def texts(self) -> dict[str, str]:
        return {"allowed": self.allowed.text(), "payer": self.payer.text(), "patient": self.patient.text()}


class EstimatePage(QWidget):
    """The estimate page (see the module docstring); no signals of its own."""

    def __init__(self, context: AppContext, state: EstimateInputs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.state = state
        self._series: LesionSeries | None = None
        self._explained_row = 0  # until the user points at a line, explain the first one

        self.form = EstimateForm(context, state, self)
        scroll = QScrollArea(self)
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop of its own; it follows the focused field
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + 16)
        scroll.setMaximumWidth(max(460, self.form.minimumSizeHint().width() + 16))
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Steady: Medicare's five assumptions and self-pay's three take the same room, so a payer change moves
        # no field below them and the form is not resized and repainted whole (~2 ms of a payer change).
        # Not selectable: a selectable label keeps its text in a QTextDocument, rebuilt and laid out again on
        # every change (~0.8 ms); Print and the PDF carry the assumptions.
        self.assumptions = WrappingLabel("", self, steady=True)
        theme.paint(self.assumptions, "muted")
        self.assumptions.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.form.column.insertWidget(2, self._titled("Assumptions", self.assumptions))

        self.banner = QLabel(self)
        theme.paint(self.banner, "banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.totals = TotalsPanel(self)

        self.model = ClaimLinesModel()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setMouseTracking(True)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        # Columns as wide as their header or a wide amount (equal stretched columns cut "Patient owes" at
        # 1024x768), set once: sizing them to their contents read every cell again on each keystroke. The code
        # column takes what is left.
        header = self.table.horizontalHeader()
        metrics = header.fontMetrics()
        for column, title in enumerate(COLUMNS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            widest = (title, "$99,999.99") if column in MONEY_COLUMNS else (title, "25, 59, XS")
            header.resizeSection(column, max(map(metrics.horizontalAdvance, widest)) + 2 * metrics.averageCharWidth())
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(110)

        self.findings_model = FindingsModel()
        self.findings = QListView(self)
        self.findings.setModel(self.findings_model)
        self.findings.setWordWrap(True)
        self.findings.setSpacing(2)
        self.findings.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.findings.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.explain = QPlainTextEdit(self)
        self.explain.setReadOnly(True)
        self.explain.setPlaceholderText("Hover over or select a claim line to see how its numbers were computed.")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF())  # follows the system font size
        self.explain.setFont(mono)
        self.explain.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.chart = LesionChart(self)
        self.chart.setMinimumHeight(240)

        findings_box = self._titled("Rule checks", self.findings)
        explain_box = self._titled("Explain this number", self.explain)
        side = QSplitter(Qt.Orientation.Vertical, self)
        side.addWidget(findings_box)
        side.addWidget(explain_box)
        side.setSizes([150, 260])
        self.bottom = QSplitter(Qt.Orientation.Horizontal, self)
        self.bottom.addWidget(self.chart)
        self.bottom.addWidget(side)
        self.bottom.setSizes([560, 320])
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(self._titled("Claim lines", self.table))
        self.split.addWidget(self.bottom)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 5)
        self.side = side

        right = QVBoxLayout()
        right.addWidget(self.banner)
        right.addWidget(self.totals)
        right.addWidget(self.split, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

        self.form.save_pdf_button.clicked.connect(lambda: self.save_pdf())
        self.form.print_button.clicked.connect(self._print_clicked)
        self.form.gfe_button.clicked.connect(lambda: self.issue_gfe())
        self.table.entered.connect(lambda index: self.show_explanation(index.row()))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        state.estimate_changed.connect(self.show_estimate)
        state.stale_changed.connect(self.show_stale)
        if state.estimate is not None:
            self.show_estimate(state.estimate)
        self.show_stale(state.stale_reason)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        label = QLabel(f"<b>{html.escape(title)}</b>")
        if not widget.accessibleName():
            widget.setAccessibleName(title)
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return box

    # --- updates ----------------------------------------------------------------------------------------------

    def show_estimate(self, est: Estimate) -> None:
        """Table, totals, findings and chart for a new estimate (synchronous: a few milliseconds)."""
        self.model.set_estimate(est)
        self.totals.show_estimate(est)
        self.findings_model.set_findings(est.findings)
        series = self.state.lesion_series()
        if series is not self._series:
            self._series = series
            self.chart.set_series(series, current=self.state.inputs.lesions)
        else:
            self.chart.set_current(self.state.inputs.lesions)
        self.assumptions.setText("\n".join(f"• {a}" for a in est.assumptions))
        if self.model.rowCount():
            self.show_explanation(min(self._explained_row, self.model.rowCount() - 1))
        else:
            self.explain.clear()

    def show_stale(self, reason: str | None) -> None:
        """Grey the figures while a field is invalid or the inputs cannot be priced (``None``: up to date)."""
        self.totals.set_stale(reason)
        self.table.setEnabled(reason is None)
        if reason is None:
            self.banner.hide()
            return
        self.banner.setText(f"Not updated: {reason}. The figures below are for the last inputs that could be "
                            "priced; printing and exporting wait until this is fixed.")
        self.banner.show()

    def blocked_reason(self) -> str | None:
        """Why the estimate may not be printed or exported now (the figures are stale), or ``None``."""
        reason = self.state.stale_reason
        return None if reason is None else f"The estimate is not updated: {reason}"

    def show_explanation(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self._explained_row = row
        text = "\n".join(self.model.explain(row))
        if text != self.explain.toPlainText():  # re-setting the same text re-lays out and repaints the pane
            self.explain.setPlainText(text)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = [index.row() for index in selected.indexes()]
        if rows:
            self.show_explanation(rows[0])

    # --- page protocol ----------------------------------------------------------------------------------------

    def current_estimate(self) -> CurrentEstimate | None:
        """The estimate on screen and the inputs that produced it (``None`` before any could be priced)."""
        est = self.state.estimate
        if est is None:
            return None
        return CurrentEstimate(est, self.state.priced_inputs or self.state.inputs)

    def current_table_view(self) -> QTableView:
        return self.table

    def current_chart(self) -> LesionChart:
        return self.chart

    def printable_document(self) -> QTextDocument:
        """The patient's cost estimate (Ctrl+P): the same document as ``estimator estimate --pdf``."""
        current = self.current_estimate()
        if current is None:
            document = QTextDocument(self)
            document.setHtml("<h2>No estimate</h2><p>The visit could not be priced; see the messages.</p>")
            return document
        return text_document(self._estimate_html(current), self)

    def _estimate_html(self, current: CurrentEstimate) -> str:
        return patient_estimate_html(current.estimate, self.state.practice(), self.form.patient(),
                                     str(self.form.language.value()))

    def save_pdf(self, path: Path | None = None) -> Path | None:
        """Save the patient's estimate as PDF (asks where when ``path`` is None); refused while stale."""
        current = self.current_estimate()
        reason = self.blocked_reason() or (None if current is not None else "no estimate could be priced")
        if reason or current is None:
            dialogs().error(self, "Save as PDF refused", reason or "")
            return None
        if path is None:
            path = dialogs().save_file(self, "Save the patient's estimate as PDF",
                                       f"estimate-{current.inputs.date_of_service.isoformat()}.pdf",
                                       "PDF files (*.pdf)")
            if path is None:
                return None
        try:
            html_to_pdf(self._estimate_html(current), path)
        except (EstimatorError, OSError) as exc:
            dialogs().error(self, "Save as PDF", f"{path}: {exc}")
            return None
        self.context.status_posted.emit(f"Saved the estimate to {path}")
        return path

    def _print_clicked(self) -> None:
        window = self.window()
        if hasattr(window, "print_page"):
            window.print_page()

    def issue_gfe(self) -> QDialog:
        """Open the Good Faith Estimate dialog on this visit and patient (self-pay or uninsured)."""
        dialog = GfeDialog(self.context, self.state.inputs, self, patient=self.form.patient())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def select_line(self, code: str) -> bool:
        """Select the claim line of ``code`` (shows its explanation)."""
        for row in range(self.model.rowCount()):
            if self.model.line(row).allowed.line.code == code:
                self.table.selectRow(row)
                return True
        return False

    def save_state(self, settings: Settings) -> None:
        settings.set(opts.ESTIMATE_SPLITTER, self.split.saveState())
        settings.set(opts.ESTIMATE_HEADER, self.table.horizontalHeader().saveState())

    def restore_state(self, settings: Settings) -> None:
        state = settings.get(opts.ESTIMATE_SPLITTER)
        if not state.isEmpty():
            self.split.restoreState(state)
        header = settings.get(opts.ESTIMATE_HEADER)
        if not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)


def create_page(context: AppContext) -> EstimatePage:
    return EstimatePage(context, shared_inputs(context))


__all__ = ["KEY", "ORDER", "TITLE", "CurrentEstimate", "EstimatePage", "create_page"]

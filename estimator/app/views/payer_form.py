"""Every field of a payer contract, validated as you type.

The form builds a core ``Payer`` from its fields (the constructor validates the contract as a whole)
and reports, field by field, what is wrong; ``payer()`` is ``None`` while anything is.  Built-in
payers (Medicare, Self-pay) keep their name and method.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from estimator.app import theme
from estimator.app.validation import (
    Report,
    format_overrides,
    parse_codes,
    parse_frequency,
    parse_optional_date,
    parse_overrides,
)
from estimator.app.views.combos import ValueCombo
from estimator.app.views.fields import ValidatedField
from estimator.core.errors import EstimatorError, InputError
from estimator.core.parsing import clean_name, parse_conversion_factor, parse_percent
from estimator.core.payers import PRACTICE_LOCALITY, Method, Payer
from estimator.core.schedule import NATIONAL_KEY, CFVariant, TableSet

METHOD_LABELS: Final = {
    Method.MEDICARE: "Medicare fee schedule",
    Method.PERCENT_OF_MEDICARE: "% of Medicare",
    Method.FEE_SCHEDULE: "Fixed fee schedule",
    Method.OWN_CF: "Own conversion factor × CMS RVUs",
    Method.SELF_PAY: "Self-pay (charge master)",
}


def _dec_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _name(text: str) -> str:
    if not text.strip():
        raise InputError("Name: a payer needs a name")
    return clean_name(text, "Name")


def _optional_decimal(text: str) -> Decimal | None:
    return None if not text.strip() else parse_conversion_factor(text, "Conversion factor")


class PayerForm(QWidget):
    """A payer contract's fields.

    Signals:
        edited(): the user changed a field.
        validity_changed(bool): the form became valid or invalid.
    """

    edited = Signal()
    validity_changed = Signal(bool)

    def __init__(self, years: Sequence[int], tables: TableSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base: Payer | None = None
        self._valid = True
        self._loading = False
        self.name = ValidatedField(_name, parent=self)
        self.method = ValueCombo(self)
        for method, label in METHOD_LABELS.items():
            self.method.add(label, method.value)
        self.percent = ValidatedField(lambda t: None if not t.strip() else parse_percent(t, "Percent", 1000),
                                      placeholder="e.g. 115", parent=self)
        self.year = ValueCombo(self)
        self.year.add("The date of service's year", None)
        for year in years:
            self.year.add(str(year), year)
        self.locality = ValueCombo(self)
        self.locality.add("The visit's locality (not pinned)", PRACTICE_LOCALITY)
        self.locality.add("National (all GPCIs 1.000)", NATIONAL_KEY)
        locs = tables.localities
        for key, state, name in sorted(zip(locs.keys.tolist(), locs.states.tolist(), locs.names.tolist(),
                                           strict=True), key=lambda r: (r[1], r[2])):
            self.locality.add(f"{state} · {name} ({key})", key)
        self.locality.setSizeAdjustPolicy(ValueCombo.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.locality.setMinimumContentsLength(20)
        self.cf_variant = ValueCombo(self)
        self.cf_variant.add("The practice's", None)
        self.cf_variant.add("Non-qualifying APM (nonqp)", CFVariant.NONQP.value)
        self.cf_variant.add("Qualifying APM participant (qp)", CFVariant.QP.value)
        self.conversion_factor = ValidatedField(_optional_decimal, placeholder="e.g. 38.00", parent=self)
        self.em25 = ValidatedField(lambda t: parse_percent(t or "0", "E/M-25 cut"), placeholder="0", parent=self)
        self.mppr = QCheckBox("Apply the multiple-procedure reduction", self)
        self.mppr_rate = ValidatedField(lambda t: parse_percent(t or "50", "Rate for ranks 2–5"), placeholder="50",
                                        parent=self)
        self.lesser_of_charge = QCheckBox("Pay the lesser of billed charge and contract rate", self)
        self.discount = ValidatedField(lambda t: parse_percent(t or "0", "Self-pay discount"), placeholder="0",
                                       parent=self)
        self.effective_from = ValidatedField(lambda t: parse_optional_date(t, "Effective from"),
                                             placeholder="YYYY-MM-DD (blank = always)", parent=self)
        self.effective_to = ValidatedField(lambda t: parse_optional_date(t, "Effective to"),
                                           placeholder="YYYY-MM-DD (blank = open)", parent=self)
        self.frequency = ValidatedField(parse_frequency, placeholder="N/DAYS, e.g. 1/365 (blank = none)", parent=self)
        self.prior_auth = ValidatedField(parse_codes, placeholder="codes, e.g. 96574, 17004", parent=self)
        self.overrides = ValidatedField(parse_overrides, placeholder="CODE[-MOD]=AMOUNT, e.g. 17000=75.00",
                                        parent=self)
        self.fees = QLabel(self)
        self.fees.setTextFormat(Qt.TextFormat.PlainText)  # shows user data
        self.notes = QPlainTextEdit(self)
        self.notes.setMaximumHeight(60)
        self.mppr_rate.edit.setAccessibleName("Multiple-procedure rate for ranks 2 to 5 (%)")
        self.effective_to.edit.setAccessibleName("Effective to")
        self.problems = QLabel(self)
        self.problems.setTextFormat(Qt.TextFormat.PlainText)  # shows user data
        theme.paint(self.problems, "error", "font-weight: bold;")
        self.problems.setWordWrap(True)
        self.problems.hide()

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._row(form, "&Name:", self.name)
        self._row(form, "&Method:", self.method)
        self._row(form, "&Percent of Medicare:", self.percent)
        self._row(form, "Pinned &year:", self.year)
        self._row(form, "Pinned &locality:", self.locality)
        self._row(form, "CF variant:", self.cf_variant)
        self._row(form, "Own &conversion factor:", self.conversion_factor)
        self._row(form, "E/M-&25 cut (%):", self.em25)
        mppr_row = QHBoxLayout()
        mppr_row.addWidget(self.mppr)
        mppr_row.addWidget(QLabel("ranks 2–5 paid (%):"))
        mppr_row.addWidget(self.mppr_rate)
        self._row(form, "MPPR:", mppr_row, self.mppr)
        self._row(form, "", self.lesser_of_charge)
        self._row(form, "Self-pay &discount (%):", self.discount)
        dates = QHBoxLayout()
        dates.addWidget(self.effective_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.effective_to)
        self._row(form, "Effec&tive:", dates, self.effective_from)
        self._row(form, "Fre&quency limit:", self.frequency)
        self._row(form, "Prior a&uth codes:", self.prior_auth)
        self._row(form, "Code &overrides:", self.overrides)
        self._row(form, "Fee schedule:", self.fees)
        self._row(form, "Notes:", self.notes)
        form.addRow(self.problems)

        for field in self._fields():
            field.value_changed.connect(self._changed)
            field.validity_changed.connect(self._changed)
        for combo in (self.method, self.year, self.locality, self.cf_variant):
            combo.activated.connect(self._changed)
        for box in (self.mppr, self.lesser_of_charge):
            box.toggled.connect(self._changed)
        self.notes.textChanged.connect(self._changed)
        self.set_payer(None)

    @staticmethod
    def _row(form: QFormLayout, label: str, field: Any, buddy: QWidget | None = None) -> None:
        text = QLabel(label)
        if label:
            text.setBuddy(buddy if buddy is not None else field)
        form.addRow(text, field)

    def _fields(self) -> list[ValidatedField]:
        return [self.name, self.percent, self.conversion_factor, self.em25, self.mppr_rate, self.discount,
                self.effective_from, self.effective_to, self.frequency, self.prior_auth, self.overrides]

    # --- loading ------------------------------------------------------------------------------------------

    @property
    def base(self) -> Payer | None:
        """The payer being edited (``None`` for a new one)."""
        return self._base

    def set_payer(self, payer: Payer | None) -> None:
        """Show ``payer`` (``None``: an empty new contract at 100% of Medicare)."""
        self._base = payer
        p = payer or Payer("New payer", Method.PERCENT_OF_MEDICARE, percent=Decimal(100))
        self._loading = True
        self.name.set_text(p.name if payer is not None else "")
        self._select(self.method, p.method.value)
        self.percent.set_text(_dec_text(p.percent))
        self._select(self.year, p.year)
        self._select(self.locality, p.locality)
        self._select(self.cf_variant, p.cf_variant.value if p.cf_variant else None)
        self.conversion_factor.set_text(_dec_text(p.conversion_factor))
        self.em25.set_text(_dec_text(p.em25_reduction))
        self.mppr.setChecked(p.mppr)
        self.mppr_rate.set_text(_dec_text(p.mppr_secondary_pct))
        self.lesser_of_charge.setChecked(p.lesser_of_charge)
        self.discount.set_text(_dec_text(p.self_pay_discount))
        self.effective_from.set_text(p.effective_from.isoformat() if p.effective_from else "")
        self.effective_to.set_text(p.effective_to.isoformat() if p.effective_to else "")
        self.frequency.set_text(f"{p.frequency_count}/{p.frequency_days}" if p.frequency_count else "")
        self.prior_auth.set_text(", ".join(sorted(p.prior_auth_codes)))
        self.overrides.set_text(format_overrides(dict(p.overrides)))
        self.fees.setText(f"{len(p.fees)} codes (import a CSV to replace)" if p.fees else "none")
        self.notes.setPlainText(p.notes)
        builtin = payer is not None and payer.builtin
        self.name.edit.setReadOnly(builtin)
        self.method.setEnabled(not builtin)
        self.name.setToolTip("Built-in payers cannot be renamed" if builtin else "")
        self._loading = False
        self._changed()

    @staticmethod
    def _select(combo: ValueCombo, value: Any) -> None:
        if not combo.set_value(value, quiet=False):
            combo.setCurrentIndex(0)

    # --- validating -------------------------------------------------------------------------------------

    def report(self) -> tuple[Report, Payer | None]:
        """What is wrong (field by field), and the payer the fields describe when nothing is."""
        report = Report()
        for field in self._fields():
            if not field.valid:
                report.add(field.objectName() or "field", field.error())
        if not report.ok:
            return report, None
        method = Method(self.method.value())
        frequency = self.frequency.value()
        base = self._base
        try:
            payer = Payer(
                name=self.name.value(), method=method, percent=self.percent.value(), year=self.year.value(),
                locality=str(self.locality.value()),
                cf_variant=CFVariant(self.cf_variant.value()) if self.cf_variant.value() else None,
                conversion_factor=self.conversion_factor.value(), fees=dict(base.fees) if base else {},
                overrides=self.overrides.value(), em25_reduction=self.em25.value(), mppr=self.mppr.isChecked(),
                mppr_secondary_pct=self.mppr_rate.value(), lesser_of_charge=self.lesser_of_charge.isChecked(),
                self_pay_discount=self.discount.value(), effective_from=self.effective_from.value(),
                effective_to=self.effective_to.value(),
                frequency_count=frequency[0] if frequency else None,
                frequency_days=frequency[1] if frequency else None,
                prior_auth_codes=self.prior_auth.value(), builtin=base.builtin if base else False,
                notes=self.notes.toPlainText(),
            )
        except EstimatorError as exc:
            report.add("contract", str(exc).split(": ", 1)[-1])
            return report, None
        return report, payer

    def payer(self) -> Payer | None:
        return self.report()[1]

    @property
    def valid(self) -> bool:
        return self._valid

    def dirty(self) -> bool:
        """The fields describe something other than the payer loaded."""
        payer = self.payer()
        if self._base is None:
            return True
        return payer is None or payer != self._base

    def _changed(self, *_: object) -> None:
        if self._loading:
            return
        method = Method(self.method.value())
        medicare_based = method in (Method.PERCENT_OF_MEDICARE, Method.OWN_CF)
        self.percent.setEnabled(method is Method.PERCENT_OF_MEDICARE)
        for widget in (self.year, self.locality, self.cf_variant):
            widget.setEnabled(medicare_based)
        self.conversion_factor.setEnabled(method is Method.OWN_CF)
        self.discount.setEnabled(method is Method.SELF_PAY)
        self.mppr_rate.setEnabled(self.mppr.isChecked())
        report = self.report()[0]
        contract = [p.message for p in report.problems if p.field == "contract"]
        self.problems.setText("\n".join(contract))
        self.problems.setVisible(bool(contract))
        if report.ok != self._valid:
            self._valid = report.ok
            self.validity_changed.emit(report.ok)
        self.edited.emit()

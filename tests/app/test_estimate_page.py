"""The estimate page driven through its real widgets, with the real core, tables and store."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from estimator.app import theme
from estimator.app.context import AppContext
from estimator.app.pages.estimate_page import EstimatePage
from estimator.app.text import money
from estimator.app.views.elided_label import WrappingLabel
from estimator.core.cost_sharing import Benefits
from estimator.core.payers import Method, Practice
from estimator.store.sqlite_store import SqliteStore
from tests.app.conftest import ScriptedDialogs, WindowFactory
from tests.reports.pdf_text import pdf_text

MANHATTAN = "1320201"


def estimate_page(make_window: WindowFactory) -> EstimatePage:
    window = make_window()
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    return page


def table_rows(page: EstimatePage) -> list[tuple[str, str, str]]:
    model = page.model
    return [(model.index(r, 0).data(), model.index(r, 1).data(), model.index(r, 3).data())
            for r in range(model.rowCount())]


def type_lesions(qtbot: QtBot, page: EstimatePage, text: str) -> None:
    spin = page.form.lesions
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_typing_a_lesion_count_updates_the_table_totals_and_chart(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    page.state.update(locality_key="national", place_of_service="11")
    type_lesions(qtbot, page, "8")
    assert table_rows(page) == [("17000", "1", "$66.47"), ("17003", "7", "$44.45")]
    assert page.totals.texts()["allowed"] == "$110.92"
    assert page.chart.marker() == pytest.approx((8.0, 110.92))
    series = page.chart.series()
    assert series["nonfacility"][7] == pytest.approx(110.92)


def test_typing_a_count_in_manhattan_prices_with_its_gpcis(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    page.form.locality.search.setText(MANHATTAN)
    qtbot.keyClick(page.form.locality.search, Qt.Key.Key_Return)
    assert page.state.inputs.locality_key == MANHATTAN
    type_lesions(qtbot, page, "8")
    assert page.totals.texts()["allowed"] == "$126.83"
    assert page.chart.marker() == pytest.approx((8.0, 126.83))


def test_going_from_14_to_15_lesions_bills_17004_alone(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    page.state.update(locality_key="national", place_of_service="11")
    type_lesions(qtbot, page, "14")
    assert [r[:2] for r in table_rows(page)] == [("17000", "1"), ("17003", "13")]
    assert page.totals.texts()["allowed"] == "$149.02"
    qtbot.keyClick(page.form.lesions, Qt.Key.Key_Up)
    assert page.state.inputs.lesions == 15
    assert table_rows(page) == [("17004", "1", "$162.33")]
    assert page.form.tier.text() == "→ 17004 ×1"
    assert page.chart.marker() == pytest.approx((15.0, 162.33))


def test_the_chart_shows_the_14_to_15_step_in_both_settings(make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    page.state.update(locality_key="national", place_of_service="11", lesions=3)
    series = page.chart.series()
    np.testing.assert_array_equal(series["counts"], np.arange(1, 41))
    assert (series["nonfacility"][13], series["nonfacility"][14]) == pytest.approx((149.02, 162.33))
    assert (series["facility"][13], series["facility"][14]) == pytest.approx((69.47, 82.83))
    assert page.chart.step_note.text().startswith(
        "15 or more lesions bill 17004 once: $162.33 whatever the count (14 lesions bill 17000 + 17003 x13: $149.02)")
    assert np.all(series["nonfacility"][14:] == series["nonfacility"][14])
    x, y = page.chart.curve_data("nonfacility")
    assert len(x) == 41 and x[0] == 0.5 and y[0] == pytest.approx(66.47)
    assert series["tier_break"] == 15
    assert "17004 replaces 17000 + 17003" in " ".join(page.chart.annotation_text().split())


def test_a_lesion_count_change_moves_the_marker_without_recomputing_the_series(make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    before = page.state.lesion_series()
    page.form.lesions.setValue(12)
    assert page.state.lesion_series() is before
    marker = page.chart.marker()
    assert marker is not None and marker[0] == 12
    page.state.update(place_of_service="22")
    assert page.state.lesion_series() is not before
    assert page.chart.series()["setting"].value == "facility"


def test_a_keystroke_past_the_cli_limit_is_refused_with_a_message_and_the_count_kept(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    type_lesions(qtbot, page, "2500")
    qtbot.keyClick(page.form.lesions, Qt.Key.Key_End)
    qtbot.keyClicks(page.form.lesions, "0")
    assert page.form.lesions.value() == 2500
    assert page.state.inputs.lesions == 2500
    assert "refused" in page.form.lesions_message.text()
    assert not page.form.lesions_message.isHidden()


def test_an_implausible_lesion_count_is_accepted_with_the_same_warning_as_the_cli(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    type_lesions(qtbot, page, "300")
    assert page.state.inputs.lesions == 300
    assert page.state.estimate is not None
    assert "lesion-count-implausible" in {f.code for f in page.state.estimate.findings}


def test_a_bad_deductible_is_refused_in_place_and_the_last_estimate_stays(qtbot: QtBot,
                                                                          make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    field = page.form.deductible
    qtbot.keyClicks(field.edit, "50")
    assert page.state.inputs.benefits.deductible_remaining_cents == 5000
    good = page.totals.texts()
    good_estimate = page.state.estimate
    field.edit.clear()
    qtbot.keyClicks(field.edit, "-5")
    assert field.edit.text() == "-5"
    assert not field.valid and "cannot be negative" in field.message.text()
    assert not field.message.isHidden()
    assert page.state.inputs.benefits.deductible_remaining_cents == 5000
    assert page.state.estimate is good_estimate
    assert page.totals.texts() == good
    field.edit.clear()
    qtbot.keyClicks(field.edit, "abc")
    assert field.edit.text() == "abc" and "not an amount" in field.error()
    assert page.totals.texts() == good
    field.edit.clear()
    qtbot.keyClicks(field.edit, "0")
    assert field.valid and field.message.isHidden()
    assert page.state.inputs.benefits.deductible_remaining_cents == 0


def test_an_unknown_extra_procedure_is_refused_beside_the_field(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    before = page.state.estimate
    qtbot.keyClicks(page.form.procedures.edit, "1710")
    assert not page.form.procedures.valid
    qtbot.keyClicks(page.form.procedures.edit, "2")
    assert "unknown code '17102'" in page.form.procedures.error()
    assert page.state.estimate is before
    page.form.procedures.edit.clear()
    qtbot.keyClicks(page.form.procedures.edit, "11102")
    assert page.form.procedures.valid
    assert [r[0] for r in table_rows(page)] == ["17000", "17003", "11102"]


def test_choosing_a_visit_adds_modifier_25_automatically(make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    em = page.form.em
    em.set_value("99213")
    em.activated.emit(em.currentIndex())
    model = page.model
    assert model.index(0, 0).data() == "99213"
    assert model.index(0, 2).data() == "25"


def test_errors_come_first_in_the_findings_each_with_its_fix(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    qtbot.keyClicks(page.form.procedures.edit, "17004")
    findings = page.findings_model.findings()
    assert findings[0].severity == "error"
    first = page.findings_model.index(0).data()
    assert first.startswith("ERROR: ") and "Fix: " in first
    assert page.findings_model.index(0).data(Qt.ItemDataRole.ForegroundRole).color() == theme.tone("error")


def test_selecting_or_hovering_a_line_shows_how_its_numbers_were_computed(make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    page.state.update(locality_key="national", lesions=8)
    assert page.select_line("17003")
    text = page.explain.toPlainText()
    assert text.startswith("17003 x7") and "CF 33.4009" in text and "units: 7" in text
    page.table.entered.emit(page.model.index(0, 3))
    assert page.explain.toPlainText().startswith("17000 x1")
    assert "rounded once, half-up, to 66.47" in page.model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.qt_log_ignore("This plugin does not support")  # the completer popup, offscreen
def test_the_locality_finder_finds_a_zip_code(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    qtbot.keyClicks(page.form.locality.search, "10001")
    assert page.state.inputs.locality_key == MANHATTAN
    # The note names the locality the box moved to (Manhattan), not the one it showed before.
    assert page.form.locality.note.text() == "ZIP 10001 → NY · MANHATTAN (1320201)"
    assert page.form.locality.lookup("Manhattan") == MANHATTAN
    assert page.form.locality.lookup("99999") is None


def test_the_locality_defaults_to_the_practice_and_can_go_back_to_it(store: SqliteStore,
                                                                      make_window: WindowFactory) -> None:
    store.save_practice(Practice(name="Gulf Coast Dermatology", locality_key="0441299"))
    page = estimate_page(make_window)
    assert page.state.inputs.locality_key == "0441299"
    page.state.update(locality_key=MANHATTAN)
    page.form.locality.reset_button.click()
    assert page.state.inputs.locality_key == "0441299"


def test_the_chart_hover_readout_shows_both_settings(make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    page.state.update(locality_key="national", place_of_service="11")
    assert page.chart.hover_at(14.2) == 14
    assert page.chart.readout.text() == ("14 lesions: non-facility $149.02 · facility $69.47 · patient $149.02 "
                                         "(non-facility)")
    assert page.chart.hover_at(55) == 0
    assert "(current count)" in page.chart.readout.text()


def test_print_hands_an_html_summary_to_the_dialog_service(make_window: WindowFactory,
                                                           dialogs: ScriptedDialogs) -> None:
    window = make_window()
    window.show_page("estimate")
    window.estimate_inputs.update(locality_key="national", lesions=8)
    assert window.print_page()
    assert "110.92" in dialogs.printed[0] and "17003" in dialogs.printed[0]
    current = window.page("estimate").current_estimate()  # type: ignore[attr-defined]
    assert current.estimate.allowed_cents == 11092 and current.inputs.lesions == 8


def test_print_gives_the_patients_cost_estimate(qtbot: QtBot, make_window: WindowFactory) -> None:
    """Ctrl+P on the estimate page prints the same patient estimate as 'estimator estimate --pdf'."""
    page = estimate_page(make_window)
    page.state.update(locality_key="national", place_of_service="11")
    type_lesions(qtbot, page, "8")
    text = " ".join(page.printable_document().toPlainText().split())
    assert "Your cost estimate" in text and "110.92" in text and "17003" in text
    assert "not a guarantee" in text


def test_an_out_of_range_coinsurance_leaves_the_totals_stale_and_printing_refused(
        qtbot: QtBot, make_window: WindowFactory, dialogs: ScriptedDialogs) -> None:
    window = make_window()
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    page.state.update(locality_key="national", place_of_service="11", lesions=8)
    page.form.coinsurance.edit.clear()
    qtbot.keyClicks(page.form.coinsurance.edit, "150")  # "1" and "15" are valid on the way to "150"
    assert page.state.stale_reason == "fix Coinsurance"
    assert page.totals.stale.text() == "Not updated: fix Coinsurance"
    assert not page.totals.patient.isEnabled()  # greyed
    assert "Not updated: fix Coinsurance" in page.totals.patient.accessibleName()
    assert not window.print_page()
    assert dialogs.printed == [] and "fix Coinsurance" in dialogs.errors[-1]
    assert window.export_table_csv() is None
    qtbot.keyClick(page.form.coinsurance.edit, Qt.Key.Key_Backspace)  # "15": valid again
    assert page.state.stale_reason is None and page.totals.patient.isEnabled()
    assert page.state.inputs.benefits.coinsurance_pct == 15
    assert window.print_page() and len(dialogs.printed) == 1


def test_a_refused_lesion_keystroke_is_never_priced_as_the_truncated_count(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    spin = page.form.lesions
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "10001")  # the box holds 1-10,000 (the CLI's range): "1000" stays, the last "1" is refused
    assert spin.value() == 1000
    assert page.state.stale_reason == "fix Lesions"
    assert page.blocked_reason() == "The estimate is not updated: fix Lesions"
    qtbot.keyClick(spin, Qt.Key.Key_Down)  # the user changed the count: what is shown is what is priced
    assert page.state.stale_reason is None and page.state.inputs.lesions == 999


def test_a_commercial_estimate_without_benefits_says_the_patient_share_is_unknown(
        demo_context: AppContext, make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    commercial = next(p.name for p in demo_context.store.payers() if p.method is Method.PERCENT_OF_MEDICARE)
    page.state.update(payer=commercial, lesions=8)
    est = page.state.estimate
    assert est is not None and est.patient_owes_cents is None
    assert page.totals.texts()["patient"] == "unknown" and page.totals.texts()["payer"] == "unknown"
    assert "patient share unknown: enter benefits" in page.totals.basis.text()
    assert any(f.code == "benefits-unknown" for f in est.findings)
    assert page.totals.patient.accessibleName() == "Patient owes unknown"
    page.state.update(benefits=Benefits(coinsurance_pct=Decimal(20)))
    est = page.state.estimate
    assert est is not None and est.patient_owes_cents == est.patient_cents
    assert page.totals.texts()["patient"] == money(est.patient_cents)


def test_the_patients_estimate_is_saved_as_pdf_with_name_and_language_and_refused_while_stale(
        qtbot: QtBot, make_window: WindowFactory, dialogs: ScriptedDialogs, tmp_path: Path) -> None:
    page = estimate_page(make_window)
    page.form.patient_name.setText("Ana Q. Testpatient")
    page.form.patient_dob.set_text("02/03/1951")
    page.form.language.set_value("es")
    saved = page.save_pdf(tmp_path / "estimate.pdf")
    assert saved is not None
    text = pdf_text(saved)
    assert "Ana Q. Testpatient" in text and "Estimación de su costo" in text and "3 de febrero de 1951" in text
    page.form.coinsurance.edit.setText("150")
    page.form.coinsurance.revalidate()
    assert page.save_pdf(tmp_path / "stale.pdf") is None
    assert not (tmp_path / "stale.pdf").exists() and "fix Coinsurance" in dialogs.errors[-1]
    assert "Ana" not in page.state.inputs.to_json()  # the patient is never saved with the inputs


@pytest.mark.qt_log_ignore("This plugin does not support")  # the dialog, offscreen
def test_self_pay_offers_a_good_faith_estimate_that_is_issued_once_and_closes(
        qtbot: QtBot, make_window: WindowFactory, dialogs: ScriptedDialogs, tmp_path: Path, store: SqliteStore) -> None:
    store.save_practice(Practice(name="Sunrise Dermatology", npi="1234567893", tin="12-3456789",
                                 address="1 Main St, Houston, TX 77001", locality_key="0441218"))
    page = estimate_page(make_window)
    assert not page.form.gfe_button.isVisibleTo(page)
    page.state.update(payer="Self-pay")
    assert page.form.gfe_button.isVisibleTo(page)
    page.form.patient_name.setText("Ana Q. Testpatient")
    page.form.patient_dob.set_text("1951-02-03")
    dialog = page.issue_gfe()
    assert dialog.patient_name.text() == "Ana Q. Testpatient" and dialog.dob.text() == "1951-02-03"
    assert not dialog.save_button.autoDefault() and not dialog.save_button.isDefault()
    dialog.requested.setChecked(True)  # requested by the patient, nothing scheduled yet
    assert dialog.problem is None
    dialogs.paths.extend([tmp_path / "gfe.pdf", tmp_path / "gfe2.pdf"])
    issued: list[int] = []
    dialog.issued.connect(issued.append)
    dialog.save_button.click()
    assert (tmp_path / "gfe.pdf").exists() and dialog.result() == QDialog.DialogCode.Accepted
    dialog.save_button.click()  # a second click (or Enter) on the same dialog issues nothing more
    assert len(issued) == 1 and not (tmp_path / "gfe2.pdf").exists()


def test_the_documentation_checklist_feeds_the_finding(make_window: WindowFactory) -> None:
    page = estimate_page(make_window)
    codes = {f.code for f in page.findings_model.findings()}
    assert "documentation-unchecked" in codes
    for key in ("site", "size", "appearance", "method", "count", "diagnosis"):
        page.form.documented[key].setChecked(True)
    assert page.state.inputs.documented == frozenset({"site", "size", "appearance", "method", "count", "diagnosis"})
    missing = [f.message for f in page.findings_model.findings() if f.code == "documentation-missing"]
    assert missing == ["The note does not record the patient consent."]  # photos are only where used
    page.form.documented["consent"].setChecked(True)
    assert not [f for f in page.findings_model.findings() if f.code.startswith("documentation")]


@pytest.mark.qt_log_ignore("This plugin does not support")  # a shown window, offscreen
def test_switching_payer_changes_the_assumptions_but_moves_no_field_below_them(
        qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("estimate")
    assert isinstance(page, EstimatePage)
    checklist = next(iter(page.form.documented.values())).parentWidget()  # the documentation group, below
    page.state.update(payer="Medicare", em_code="99213", lesions=8)
    qtbot.wait(1)
    medicare, below = page.assumptions.text(), checklist.mapTo(page.form, checklist.rect().topLeft()).y()
    medicare_height = page.assumptions.height()
    page.state.update(payer="Self-pay")
    qtbot.wait(1)
    current = page.state.estimate
    assert current is not None and current.payer.name == "Self-pay" and page.assumptions.text() != medicare
    assert checklist.mapTo(page.form, checklist.rect().topLeft()).y() == below  # the checklist stayed put
    assert page.assumptions.minimumHeight() >= medicare_height  # self-pay's two lines keep Medicare's room
    page.state.update(payer="Medicare")
    qtbot.wait(1)
    assert page.assumptions.text() == medicare
    assert checklist.mapTo(page.form, checklist.rect().topLeft()).y() == below


@pytest.mark.qt_log_ignore("This plugin does not support")  # shown labels, offscreen
def test_a_steady_wrapping_label_keeps_the_room_of_its_longest_text_until_its_width_changes(qtbot: QtBot) -> None:
    label = WrappingLabel("", None, steady=True)
    qtbot.addWidget(label)
    label.resize(200, 10)
    label.show()  # a hidden widget gets its resize events only when shown
    label.setText("A long assumption that wraps over several lines at two hundred pixels wide, and then some.")
    long_height = label.minimumHeight()
    label.setText("Short.")
    assert label.needed_height() < long_height == label.minimumHeight()  # held: nothing below moves
    label.resize(600, label.height())  # a new width starts afresh
    assert label.minimumHeight() == label.needed_height() < long_height
    plain = WrappingLabel("", None)
    qtbot.addWidget(plain)
    plain.resize(200, 10)
    plain.show()
    plain.setText("A long assumption that wraps over several lines at two hundred pixels wide, and then some.")
    plain.setText("Short.")
    assert plain.minimumHeight() == plain.needed_height() < long_height  # without steady: the lines it needs

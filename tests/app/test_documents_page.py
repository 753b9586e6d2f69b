"""The Good Faith Estimate dialog and the GFE log page, on the real core, store and PDF renderer.

Uses the app fixtures of tests/app/conftest.py: ``dialogs`` (scripted file choices, records printing),
``catalog`` and ``store``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from estimator.app.context import AppContext
from estimator.app.dialogs.gfe_dialog import GfeDialog, missing_message
from estimator.app.main_window import discover_pages
from estimator.app.pages import documents_page
from estimator.app.pages.documents_page import DocumentsPage, create_page
from estimator.core.encounter import ServiceLine
from estimator.core.payers import Practice
from estimator.store import gfe_log
from tests.reports.pdf_text import pdf_text

TODAY = dt.date(2026, 11, 30)
PRACTICE = Practice("Sunrise Dermatology", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001", "0441218")


@dataclasses.dataclass(frozen=True)
class VisitInputs:
    """What the estimate page hands over (the fields of ``estimator.app.state.Inputs`` the dialog reads)."""

    date_of_service: dt.date = dt.date(2026, 12, 15)
    lesions: int = 8
    place_of_service: str = "11"
    locality_key: str = "0441218"
    em_code: str | None = None
    g2211: bool = False
    procedures: tuple[ServiceLine, ...] = ()
    diagnoses: tuple[str, ...] = ("L57.0",)


@pytest.fixture
def context(qapp, catalog, store):
    made = AppContext(catalog, store)
    yield made
    made.tasks.wait(10_000)


@pytest.fixture
def ready(store):
    store.save_practice(PRACTICE)


def make_dialog(qtbot, context, inputs=VisitInputs()) -> GfeDialog:
    dialog = GfeDialog(context, inputs, today=TODAY)
    qtbot.addWidget(dialog)
    return dialog


def fill(dialog: GfeDialog, name="Ana Q. Testpatient", dob="1951-02-03") -> None:
    dialog.patient_name.setText(name)
    dialog.dob.setText(dob)


def test_the_page_declares_the_page_contract_and_is_discovered(qapp):
    assert (documents_page.KEY, documents_page.ORDER) == ("documents", 60)
    assert documents_page.TITLE
    specs, errors = discover_pages()
    assert "documents" in [s.key for s in specs]
    assert "estimator.app.pages.documents_page" not in errors


def test_the_dialog_refuses_while_the_practice_has_no_npi_and_names_it(qtbot, context):
    dialog = make_dialog(qtbot, context)
    fill(dialog)
    assert dialog.gfe is None
    assert not dialog.save_button.isEnabled() and not dialog.print_button.isEnabled()
    assert "provider NPI" in dialog.status.text() and "provider TIN" in dialog.status.text()
    assert "practice profile" in dialog.status.text()


def test_the_dialog_names_missing_patient_elements_as_they_are_typed(qtbot, context, ready):
    dialog = make_dialog(qtbot, context)
    assert "patient name" in dialog.status.text() and "patient date of birth" in dialog.status.text()
    fill(dialog, dob="")
    assert "patient name" not in dialog.status.text() and "patient date of birth" in dialog.status.text()
    dialog.dob.setText("1951-02-3x")
    assert "use YYYY-MM-DD" in dialog.status.text() and not dialog.save_button.isEnabled()
    dialog.dob.setText("1951-02-03")
    assert dialog.save_button.isEnabled() and dialog.print_button.isEnabled()
    assert "2026-12-03" in dialog.status.text()  # the due date: 3 business days after 2026-11-30
    assert "Note: 17000 has no charge in the charge master" in dialog.status.text()


def test_saving_writes_the_pdf_and_logs_it(qtbot, context, ready, dialogs, tmp_path):
    dialog = make_dialog(qtbot, context, VisitInputs(em_code="99213"))
    fill(dialog)
    dialog.separately.setPlainText("Pathology, if a biopsy is taken")
    dialog.lang.setCurrentIndex(dialog.lang.findData("es"))
    out = tmp_path / "gfe.pdf"
    dialogs.paths.append(out)
    with qtbot.waitSignal(dialog.issued, timeout=10_000) as issued:
        dialog.save_button.click()
    entry = gfe_log.get(context.store, issued.args[0])
    assert entry.pdf == out.read_bytes()
    assert entry.record.lang == "es" and entry.record.patient_name == "Ana Q. Testpatient"
    assert entry.inputs["options"]["separately"] == ["Pathology, if a biopsy is taken"]
    text = pdf_text(out)
    assert "Estimación de buena fe" in text and "99213" in text and "Pathology, if a biopsy is taken" in text


def test_cancelling_the_save_dialog_issues_nothing(qtbot, context, ready):
    dialog = make_dialog(qtbot, context)
    fill(dialog)
    dialog.save_button.click()  # the scripted service answers "cancelled"
    assert gfe_log.count(context.store) == 0


def test_printing_prints_the_document_and_logs_a_pdf_of_it(qtbot, context, ready, dialogs):
    dialog = make_dialog(qtbot, context)
    fill(dialog)
    with qtbot.waitSignal(dialog.issued, timeout=10_000):
        dialog.print_button.click()
    assert "Ana Q. Testpatient" in dialogs.printed[0] and "1234567893" in dialogs.printed[0]
    assert gfe_log.get(context.store, 1).pdf.startswith(b"%PDF")


def test_a_requested_estimate_needs_no_scheduled_date(qtbot, context, ready):
    dialog = make_dialog(qtbot, context, VisitInputs(date_of_service=TODAY))
    fill(dialog)
    assert "scheduled date" in dialog.status.text()
    dialog.requested.setChecked(True)
    assert dialog.gfe is not None and dialog.gfe.due.due == dt.date(2026, 12, 3)


def test_the_missing_message_says_where_to_add_each_element():
    text = missing_message(["patient date of birth", "provider NPI"])
    assert text.startswith("Cannot issue the Good Faith Estimate yet: missing patient date of birth, provider NPI")
    assert "the practice profile" in text and "this form" in text


def issue(qtbot, context, tmp_path, name, dialogs):
    dialog = make_dialog(qtbot, context)
    fill(dialog, name=name)
    path = tmp_path / f"{name.split()[0]}.pdf"
    dialogs.paths.append(path)
    with qtbot.waitSignal(dialog.issued, timeout=10_000) as issued:
        dialog.save_button.click()
    return issued.args[0], path


def make_page(qtbot, context) -> DocumentsPage:
    page = create_page(context)
    qtbot.addWidget(page)
    return page


def test_the_log_page_lists_searches_and_previews_issued_estimates(qtbot, context, ready, dialogs, tmp_path):
    page = make_page(qtbot, context)
    assert page.model.rowCount() == 0 and not page.empty.isHidden()
    first, _ = issue(qtbot, context, tmp_path, "Ana Q. Testpatient", dialogs)
    second, _ = issue(qtbot, context, tmp_path, "José Núñez", dialogs)
    page.reload()
    assert page.model.rowCount() == 2 and page.empty.isHidden()
    assert page.selected_id() == second  # newest first, selected
    page.search.setText("testpatient")
    assert page.model.rowCount() == 1 and page.selected_id() == first
    assert "Ana Q. Testpatient" in page.preview.toPlainText()
    page.search.setText("nunez")
    assert page.selected_id() == second
    assert page.select_id(first)  # clears a search that hides it
    assert page.search.text() == ""


def test_a_reprint_is_byte_identical_and_printing_prints_the_selected_estimate(qtbot, context, ready, dialogs,
                                                                               tmp_path):
    entry_id, original = issue(qtbot, context, tmp_path, "Ana Q. Testpatient", dialogs)
    page = make_page(qtbot, context)
    copy = tmp_path / "copy.pdf"
    dialogs.paths.append(copy)
    page.save_button.click()
    assert copy.read_bytes() == original.read_bytes()
    page.print_button.click()
    assert "Ana Q. Testpatient" in dialogs.printed[-1]
    assert "1234567893" in page.printable_document().toPlainText()
    assert page.selected_id() == entry_id


def test_a_bill_400_dollars_over_is_flagged_and_399_99_is_not(qtbot, context, ready, dialogs, tmp_path):
    entry_id, _ = issue(qtbot, context, tmp_path, "Ana Q. Testpatient", dialogs)
    total = gfe_log.get(context.store, entry_id).record.total_cents
    page = make_page(qtbot, context)
    page.billed.setText(f"{(total + 40000) / 100:.2f}")
    result = page.compare()
    assert result is not None and result.dispute_eligible
    assert "dispute resolution within 120 days" in page.result.text()
    page.billed.setText(f"{(total + 39999) / 100:.2f}")
    result = page.compare()
    assert result is not None and not result.dispute_eligible
    assert "under the $400 dispute threshold" in page.result.text()
    page.billed.setText("lots")
    assert page.compare() is None and "not an amount" in page.result.text()


def test_with_nothing_selected_the_actions_are_off(qtbot, context):
    page = make_page(qtbot, context)
    assert not page.save_button.isEnabled() and not page.compare_button.isEnabled()
    assert "No Good Faith Estimate is selected" in page.printable_document().toPlainText()

"""The Audit page: a claims file audited off the GUI thread, with progress, cancel, tables, chart and exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from estimator.app.pages.audit_page import AuditPage, ColumnMappingDialog
from estimator.core.audit import AuditResult
from estimator.store import claims_csv
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog
from tests.app.conftest import ScriptedDialogs, WindowFactory


def write_big_file(path: Path, sample: Path, copies: int) -> None:
    """The sample's rows ``copies`` times over, each copy with its own claim and patient ids."""
    header, *rows = sample.read_text(encoding="utf-8").splitlines()
    out = [header]
    for k in range(copies):
        out += [r.replace("SYN-CLM-", f"SYN-CLM-{k}-").replace("SYN-PT-", f"SYN-PT-{k}-") for r in rows]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture
def sample(repo_root: Path) -> Path:
    return repo_root / "samples" / "claims_sample.csv"


@pytest.fixture
def page(make_window: WindowFactory, store: SqliteStore, catalog: TableCatalog) -> AuditPage:
    load_demo(store, catalog.for_year(2026))
    window = make_window(pages=("audit",))
    shown = window.show_page("audit")
    assert isinstance(shown, AuditPage)
    return shown


def audit(qtbot: QtBot, page: AuditPage, path: Path) -> AuditResult:
    mapping = claims_csv.suggest_mapping(claims_csv.read_header(path))
    task = page.audit_file(path, mapping)
    assert task is not None
    with qtbot.waitSignal(task.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: page.outcome is not None and page.task is None)
    assert page.outcome is not None
    return page.outcome.result


def test_the_page_is_discovered_with_its_key_title_and_order(make_window: WindowFactory) -> None:
    from estimator.app.main_window import discover_pages  # noqa: PLC0415 - only this test needs it

    specs, _ = discover_pages()
    spec = next(s for s in specs if s.key == "audit")
    assert (spec.title, spec.order) == ("Audit", 70)


def test_the_sample_is_audited_into_the_summary_claims_rows_not_audited_and_chart(qtbot: QtBot, page: AuditPage,
                                                                                  sample: Path) -> None:
    result = audit(qtbot, page, sample)
    assert len(result.claims) == 19 and result.underpaid_cents == 2875
    assert page.claim_model.rowCount() == 19
    assert "Claims audit summary" in page.summary.toPlainText()
    assert "SYN-PT-" not in page.summary.toPlainText()
    assert page.problem_model.rowCount() == 6
    assert [page.problem_model.data(page.problem_model.index(r, 0)) for r in range(3)] == ["37", "38", "39"]
    series = page.chart.series()
    assert series["months"] == ["2026-03", "2026-04"] and series["payers"] == ["Medicare"]
    assert series["values"]["Medicare"] == [5.0, 23.75]
    assert page.export_csv_button.isEnabled() and page.progress.isHidden()


def test_selecting_a_claim_shows_each_findings_message_fix_and_source(qtbot: QtBot, page: AuditPage,
                                                                      sample: Path) -> None:
    audit(qtbot, page, sample)
    model = page.claim_model
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r, 0)) == "SYN-CLM-1013")
    assert model.data(model.index(row, 1)) == "SYN-PT-0010"  # on screen, the patient id is shown
    page.claims.selectRow(row)
    text = page.details.toPlainText()
    assert "underpaid by 5.00" in text and "Fix: Appeal" in text and "Source: payer contract" in text
    assert "63.99" in text and "58.99" in text


def test_only_claims_with_findings_and_sorting_by_findings(qtbot: QtBot, page: AuditPage, sample: Path) -> None:
    audit(qtbot, page, sample)
    page.only_flagged.setChecked(True)
    model = page.claim_model
    assert model.rowCount() == 10
    model.sort(8, Qt.SortOrder.DescendingOrder)
    assert int(model.data(model.index(0, 8))) >= int(model.data(model.index(model.rowCount() - 1, 8)))
    page.only_flagged.setChecked(False)
    assert model.rowCount() == 19


def test_a_large_audit_reports_progress_and_can_be_cancelled(qtbot: QtBot, page: AuditPage, tmp_path: Path,
                                                             sample: Path) -> None:
    path = tmp_path / "big.csv"
    write_big_file(path, sample, 1_000)
    seen: list[float] = []
    mapping = claims_csv.suggest_mapping(claims_csv.read_header(path))
    task = page.audit_file(path, mapping)
    assert task is not None and not page.progress.isHidden() and not page.cancel_button.isHidden()
    task.progressed.connect(lambda fraction, message: seen.append(fraction))
    with qtbot.waitSignal(task.cancelled, timeout=30_000):
        qtbot.waitUntil(lambda: len(seen) > 0, timeout=30_000)
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.task is None)
    assert page.outcome is None and page.progress.isHidden()
    assert page.progress_label.text() == "Audit cancelled"


def test_the_mapping_dialog_is_prefilled_and_refuses_a_missing_required_column(qtbot: QtBot, sample: Path) -> None:
    header = claims_csv.read_header(sample)
    dialog = ColumnMappingDialog(header, claims_csv.suggest_mapping(header), remembered=False)
    qtbot.addWidget(dialog)
    assert dialog.mapping() == claims_csv.suggest_mapping(header)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    dialog.combos["code"].setCurrentIndex(0)
    assert not ok.isEnabled() and "CPT/HCPCS code" in dialog.problem.text()
    dialog.combos["code"].setCurrentText("CPT")
    dialog.combos["claim_id"].setCurrentText("CPT")
    assert not ok.isEnabled() and "used twice" in dialog.problem.text()


def test_opening_a_file_remembers_the_confirmed_mapping_for_its_layout(
        qtbot: QtBot, page: AuditPage, sample: Path, dialogs: ScriptedDialogs, store: SqliteStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    dialogs.paths.append(sample)
    monkeypatch.setattr(ColumnMappingDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    page.open_file()
    assert page.task is not None
    with qtbot.waitSignal(page.task.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: page.outcome is not None)
    header = claims_csv.read_header(sample)
    assert claims_csv.remembered_mapping(store, header) == claims_csv.suggest_mapping(header)


def test_the_exports_write_findings_with_patient_ids_and_a_summary_pdf_without(
        qtbot: QtBot, page: AuditPage, sample: Path, dialogs: ScriptedDialogs, tmp_path: Path) -> None:
    audit(qtbot, page, sample)
    findings, summary = tmp_path / "findings.csv", tmp_path / "summary.pdf"
    dialogs.paths += [findings, summary]
    page.export_findings()
    page.export_summary()
    rows = list(csv.DictReader(io.StringIO(findings.read_text(encoding="utf-8"))))
    assert len(rows) == 10 and {r["patient_id"] for r in rows} >= {"SYN-PT-0010", "SYN-PT-0014"}
    assert summary.read_bytes().startswith(b"%PDF")
    assert b"SYN-PT-" not in summary.read_bytes()


def test_a_file_that_cannot_be_read_shows_its_error_on_the_page(qtbot: QtBot, page: AuditPage,
                                                                tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("When,Who\n2026-03-02,x\n", encoding="utf-8")
    task = page.audit_file(bad, claims_csv.suggest_mapping(["When", "Who"]))
    assert task is not None
    with qtbot.waitSignal(task.failed, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: page.task is None)
    assert "no column for" in page.message.text()


def test_the_claim_and_problem_models_pass_the_qt_model_tester(qtbot: QtBot, qtmodeltester: object,
                                                               page: AuditPage, sample: Path) -> None:
    audit(qtbot, page, sample)
    qtmodeltester.check(page.claim_model)  # type: ignore[attr-defined]
    qtmodeltester.check(page.problem_model)  # type: ignore[attr-defined]


def test_a_theme_switch_redraws_the_claim_details_in_the_new_error_colour(
        qapp, qtbot: QtBot, page: AuditPage, sample: Path) -> None:  # type: ignore[no-untyped-def]
    """The underpaid line's colour is written into the details' HTML: a live theme switch redraws it."""
    from estimator.app import theme  # noqa: PLC0415

    before_palette, before_style = qapp.palette(), qapp.style().name()
    try:
        theme.apply(qapp, "light")
        audit(qtbot, page, sample)
        model = page.claim_model
        page.claims.selectRow(next(r for r in range(model.rowCount())
                                   if model.data(model.index(r, 0)) == "SYN-CLM-1013"))
        light = theme.tone("error").name()
        assert light in page.details.toHtml().lower()
        theme.apply(qapp, "dark")
        dark = theme.tone("error").name()
        assert dark != light
        qtbot.waitUntil(lambda: dark in page.details.toHtml().lower())
        assert "underpaid by 5.00" in page.details.toPlainText()
    finally:
        qapp.setStyle(before_style)
        qapp.setPalette(before_palette)

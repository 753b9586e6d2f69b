"""Every Qt model of the app passes pytest-qt's model tester, built over real core results."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytestqt.modeltest import ModelTester

from estimator.app.models.claim_lines import ClaimLinesModel
from estimator.app.models.compare import PayerCompareModel, YearCompareModel
from estimator.app.models.fee_table import FeeTableModel
from estimator.app.models.findings import FindingsModel
from estimator.app.models.payers import PayerListModel
from estimator.core.compare import compare_payers, compare_years
from estimator.core.cost_sharing import Benefits, Estimate, estimate
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.payers import MEDICARE_PAYER, SELF_PAY_PAYER, Method, Payer, Practice
from estimator.core.rules import build_claim
from estimator.core.schedule import TableSet
from estimator.tables.shipped import TableCatalog

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def visit_estimate(catalog: TableCatalog) -> Estimate:
    encounter = Encounter(DAY, lesions=8, em_code="99213", procedures=(ServiceLine("11102"),), diagnoses=("L57.0",))
    claim = build_claim(encounter, catalog.for_date(DAY))
    return estimate(claim, MEDICARE_PAYER, Practice(), Benefits(), catalog.for_year)


def test_the_claim_lines_model_is_a_valid_qt_model(qtmodeltester: ModelTester, visit_estimate: Estimate) -> None:
    model = ClaimLinesModel(visit_estimate)
    qtmodeltester.check(model)
    model.set_estimate(None)
    qtmodeltester.check(model)


def test_a_new_payer_for_the_same_lines_refreshes_only_the_amount_columns(
        catalog: TableCatalog, visit_estimate: Estimate) -> None:
    model = ClaimLinesModel(visit_estimate)
    refreshed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles=(): refreshed.append((a.row(), a.column(), b.row(), b.column())))
    model.set_estimate(visit_estimate)  # the same figures: nothing to repaint
    assert refreshed == []
    self_pay = estimate(visit_estimate.claim, SELF_PAY_PAYER, Practice(), Benefits(), catalog.for_year)
    model.set_estimate(self_pay)
    last = model.rowCount() - 1
    assert refreshed == [(0, 3, last, 6)]  # Allowed .. Patient owes; Code, Units and Modifiers stay
    assert [model.index(r, 3).data() for r in range(model.rowCount())] == [
        f"${line.allowed_cents / 100:,.2f}" for line in self_pay.lines]


def test_the_findings_model_is_a_valid_qt_model(qtmodeltester: ModelTester, visit_estimate: Estimate) -> None:
    model = FindingsModel()
    model.set_findings(visit_estimate.findings)
    qtmodeltester.check(model)


def test_the_fee_table_model_is_a_valid_qt_model(qtmodeltester: ModelTester, tables_2026: TableSet) -> None:
    model = FeeTableModel(tables_2026)
    qtmodeltester.check(model)


def test_the_payer_models_are_valid_qt_models(qtmodeltester: ModelTester, catalog: TableCatalog,
                                              visit_estimate: Estimate) -> None:
    payers = [MEDICARE_PAYER, SELF_PAY_PAYER, Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(115))]
    qtmodeltester.check(PayerListModel(payers))
    compare = PayerCompareModel()
    compare.set_rows(compare_payers(visit_estimate.claim, payers, Practice(), Benefits(), catalog.for_year))
    qtmodeltester.check(compare)
    years = YearCompareModel()
    years.set_rows(compare_years(visit_estimate.claim.encounter, [catalog.for_year(y) for y in catalog.years()]))
    qtmodeltester.check(years)

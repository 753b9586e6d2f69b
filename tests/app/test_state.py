"""The shared estimate state: inputs as a value, re-pricing, the lesion series and remembered inputs."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot

from estimator.app.context import AppContext
from estimator.app.state import EstimateInputs, Inputs, shared_inputs
from estimator.core.cost_sharing import Benefits, CopayPer
from estimator.core.encounter import ServiceLine
from estimator.core.payers import Method, Payer
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def context(catalog: TableCatalog, store: SqliteStore) -> AppContext:
    return AppContext(catalog, store)


def test_inputs_survive_a_round_trip_through_json() -> None:
    inputs = Inputs(DAY, lesions=9, place_of_service="22", locality_key="1320201", payer="Acme", em_code="99213",
                    g2211=True, procedures=(ServiceLine.parse("11103x2:RT@D48.5"),), diagnoses=("L57.0", "L82.1"),
                    benefits=Benefits(12345, Decimal("20"), 2500, CopayPer.PROCEDURE, 100000, Decimal(10)))
    assert Inputs.from_json(inputs.to_json(), DAY) == inputs


@pytest.mark.parametrize("text", ["", "{", '{"lesions": "x"}', '{"lesions": 3}'])
def test_unreadable_saved_inputs_are_ignored(text: str) -> None:
    assert Inputs.from_json(text, DAY) is None


def test_a_change_reprices_at_once_and_emits_the_estimate(qtbot: QtBot, context: AppContext) -> None:
    state = EstimateInputs(context, Inputs(DAY))
    with qtbot.waitSignal(state.estimate_changed) as blocker:
        state.set_lesions(15)
    assert [line.allowed.line.code for line in blocker.args[0].lines] == ["17004"]
    assert state.estimate is blocker.args[0] and state.error is None


def test_inputs_that_cannot_be_priced_keep_the_last_good_estimate(qtbot: QtBot, context: AppContext) -> None:
    state = EstimateInputs(context, Inputs(DAY, lesions=8))
    good = state.estimate
    with qtbot.waitSignal(state.estimate_failed) as blocker:
        state.update(date_of_service=dt.date(2020, 1, 5))  # before the oldest tables (later dates are provisional)
    assert "no fee-schedule tables for 2020" in blocker.args[0]
    assert state.estimate is good and state.priced_inputs is not None and state.priced_inputs.lesions == 8


def test_the_lesion_series_is_reused_until_something_else_changes(context: AppContext) -> None:
    state = EstimateInputs(context, Inputs(DAY, lesions=3))
    series = state.lesion_series()
    assert series is not None
    state.set_lesions(30)
    assert state.lesion_series() is series
    state.update(em_code="99213")
    assert state.lesion_series() is not series


@pytest.mark.parametrize("change", [
    {"payer": "Acme"}, {"payer": "Own CF"}, {"place_of_service": "22"}, {"locality_key": "1320201"},
    {"em_code": "99214"}, {"benefits": Benefits(coinsurance_pct=Decimal(10))},
])
def test_a_series_built_from_remembered_claims_equals_one_priced_afresh(context: AppContext, store: SqliteStore,
                                                                       change: dict[str, object]) -> None:
    """The series keeps priced claims across changes (a payer change re-prices only the payment)."""
    store.add_payer(Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(115)))
    store.add_payer(Payer("Own CF", Method.OWN_CF, conversion_factor=Decimal("38.00")))
    state = EstimateInputs(context, Inputs(DAY, lesions=3, em_code="99213"))
    assert state.lesion_series() is not None  # remembers this visit's claims
    state.update(**change)
    reused = state.lesion_series()
    assert reused is not None and state._series_claims
    fresh = EstimateInputs(context, state.inputs).lesion_series()  # a new state: nothing remembered
    assert fresh is not None
    for setting in reused.allowed:
        assert reused.allowed[setting].tolist() == fresh.allowed[setting].tolist()
    assert reused.patient.tolist() == fresh.patient.tolist()


def test_a_removed_payer_falls_back_to_medicare(context: AppContext, store: SqliteStore) -> None:
    store.add_payer(Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(110)))
    state = EstimateInputs(context, Inputs(DAY, payer="Acme"))
    store.remove_payer("Acme")
    context.notify_store_changed()
    assert state.inputs.payer == "Medicare" and state.error is None


def test_pages_share_one_state_per_context(context: AppContext) -> None:
    assert shared_inputs(context) is shared_inputs(context)

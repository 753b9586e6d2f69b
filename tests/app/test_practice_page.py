"""Practice settings: the profile validates as you type and saves to the store; preferences save at once."""
# pytest-qt's QtBot and ModelTester are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from pytestqt.qtbot import QtBot

from estimator.app import settings as opts
from estimator.app.pages.practice_page import PracticePage
from estimator.app.settings import Settings
from estimator.store.sqlite_store import SqliteStore
from tests.app.conftest import WindowFactory

VALID_NPI = "1234567893"  # the CMS example NPI: its Luhn check digit is 3


def practice_page(make_window: WindowFactory) -> PracticePage:
    page = make_window().show_page("practice")
    assert isinstance(page, PracticePage)
    return page


def test_a_mistyped_npi_is_refused_and_save_stays_off(qtbot: QtBot, make_window: WindowFactory) -> None:
    page = practice_page(make_window)
    qtbot.keyClicks(page.npi.edit, "1234567890")
    assert not page.npi.valid and "check digit" in page.npi.error()
    assert not page.save_button.isEnabled()
    page.npi.edit.clear()
    qtbot.keyClicks(page.npi.edit, VALID_NPI)
    assert page.npi.valid and page.save_button.isEnabled()


def test_saving_the_profile_writes_the_store_and_reprices_the_estimate(qtbot: QtBot, store: SqliteStore,
                                                                       make_window: WindowFactory) -> None:
    page = practice_page(make_window)
    qtbot.keyClicks(page.name, "Gulf Coast Dermatology")
    qtbot.keyClicks(page.npi.edit, VALID_NPI)
    qtbot.keyClicks(page.tin.edit, "12-3456789")
    page.locality.set_key("0441299")
    page.locality.locality_chosen.emit("0441299")
    page.qp.setChecked(True)
    assert page.save()
    saved = store.practice()
    assert (saved.name, saved.npi, saved.tin, saved.locality_key, saved.qualifying_apm) == (
        "Gulf Coast Dermatology", VALID_NPI, "12-3456789", "0441299", True)
    state = page.window().estimate_inputs  # type: ignore[attr-defined]
    assert state.estimate.claim.encounter.cf_variant.value == "qp"


def test_a_preference_is_saved_as_soon_as_it_is_ticked(make_window: WindowFactory) -> None:
    page = practice_page(make_window)
    box = page.preferences[opts.RESTORE_INPUTS.key]
    assert box.isChecked()
    box.setChecked(False)
    assert Settings().get(opts.RESTORE_INPUTS) is False
    assert set(page.preferences) == {o.key for o in Settings.user_options() if o.type is bool}

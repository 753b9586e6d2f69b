"""The app on a database shared by several workstations: conflicts, refreshes and roles, on a real server too."""
# pytest-qt's QtBot is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

import psycopg
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from estimator.app.pages.payers_page import PayersPage
from estimator.app.pages.practice_page import PracticePage
from estimator.app.settings import DATABASE, Settings
from estimator.core.payers import Method, Payer
from estimator.store import gfe_log
from estimator.store.open import default_target, open_store
from estimator.store.pg_roles import init_roles
from estimator.store.pg_store import PostgresStore
from estimator.store.roles import Role
from tests.app.conftest import ScriptedDialogs, WindowFactory
from tests.pg_server import dsn_for
from tests.store.test_gfe_log import PDF, make_gfe

ACME = Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(115))


@pytest.fixture
def two_desks(db_target: str):
    """Two connections to one database: this workstation's app and another workstation."""
    here, there = open_store(db_target), open_store(db_target)
    here.add_payer(ACME)
    yield here, there
    here.close()
    there.close()


def test_a_stale_save_in_the_app_is_refused_with_who_changed_it(qtbot: QtBot, two_desks, make_window: WindowFactory,
                                                              dialogs: ScriptedDialogs) -> None:
    here, there = two_desks
    window = make_window(use_store=here)
    page = window.show_page("payers")
    assert isinstance(page, PayersPage) and page.select("Acme PPO")
    page.form.percent.edit.clear()
    qtbot.keyClicks(page.form.percent.edit, "130")  # editing here ...
    there.update_payer("Acme PPO", dataclasses.replace(ACME, percent=Decimal(125)))  # ... saved there

    assert window.context.poll()  # the app notices the other workstation's change ...
    assert "was changed by" in page.status.text() and page.form.percent.edit.text() == "130"  # ... keeps the edit
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert dialogs.errors and "was changed by" in dialogs.errors[-1] and "reload it" in dialogs.errors[-1]
    assert here.payer("Acme PPO").percent == Decimal(125)  # never a silent overwrite

    qtbot.mouseClick(page.revert_button, Qt.MouseButton.LeftButton)  # reload, change again, save
    assert page.form.percent.edit.text() == "125"
    page.form.percent.edit.clear()
    qtbot.keyClicks(page.form.percent.edit, "130")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert there.payer("Acme PPO").percent == Decimal(130)


def test_payers_and_gfes_from_another_workstation_appear_without_a_restart(two_desks,
                                                                         make_window: WindowFactory) -> None:
    here, there = two_desks
    window = make_window(use_store=here, pages=("payers", "practice"))
    page = window.show_page("payers")
    assert isinstance(page, PayersPage)
    assert not window.context.poll()  # nothing changed yet
    there.add_payer(Payer("Gulf Coast HMO", Method.PERCENT_OF_MEDICARE, percent=Decimal(101)))
    gfe_log.save(there, make_gfe(), lang="en", inputs={}, pdf=PDF)
    assert window.context.poll()
    assert "Gulf Coast HMO" in page.model.names()
    practice = window.show_page("practice")
    assert isinstance(practice, PracticePage)
    shown = [practice.database.audit.item(r, 2).text() for r in range(practice.database.audit.rowCount())]
    assert shown[:2] == ["GFE issued", "payer added"]  # the audit trail, newest first


def test_a_front_desk_sees_contracts_read_only_and_why(pg_server: str, pg_database: str,
                                                       make_window: WindowFactory) -> None:
    login = f"desk_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{login}" LOGIN')
    owner = open_store(pg_database)
    assert isinstance(owner, PostgresStore)
    init_roles(owner, {login: Role.FRONT_DESK})
    owner.close()
    desk = open_store(dsn_for(pg_server, psycopg.conninfo.conninfo_to_dict(pg_database)["dbname"], login))
    try:
        window = make_window(use_store=desk, pages=("payers", "practice", "audit"))
        page = window.show_page("payers")
        assert isinstance(page, PayersPage)
        for button in (page.add_button, page.save_button, page.import_button, page.charges_import):
            assert not button.isEnabled() and "front desk, who may not change payer contracts" in button.toolTip()
        assert page.role_note.isVisibleTo(page) and "ask someone with the manager role" in page.role_note.text()
        practice = window.show_page("practice")
        assert isinstance(practice, PracticePage)
        practice.name.setText("Changed")
        practice._changed()
        assert not practice.save_button.isEnabled() and "Read only" in practice.status.text()
        assert "front desk" in practice.database.connection.text()
        audit = window.show_page("audit")
        assert not audit.open_button.isEnabled()  # type: ignore[attr-defined]
        assert "who may not audit claims" in audit.open_button.toolTip()  # type: ignore[attr-defined]
    finally:
        desk.close()


def test_the_database_setting_is_kept_for_the_next_start_and_a_wrong_url_is_refused(
        make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    practice = window.show_page("practice")
    assert isinstance(practice, PracticePage)
    panel = practice.database
    panel.target.setText("mysql://maria@dbserver/practice")
    assert not panel.apply() and "postgresql://" in panel.note.text()
    panel.target.setText("postgresql://maria@dbserver/practice")
    assert panel.apply() and "next start" in panel.note.text()
    assert Settings().get(DATABASE) == "postgresql://maria@dbserver/practice"
    assert default_target("other.sqlite", str(Settings().get(DATABASE))) == "other.sqlite"  # --db first
    assert default_target(None, str(Settings().get(DATABASE))).endswith("practice.sqlite")  # then ESTIMATOR_DB
    monkeypatch.delenv("ESTIMATOR_DB")
    assert default_target(None, str(Settings().get(DATABASE))) == "postgresql://maria@dbserver/practice"

"""The Good Faith Estimate log: save with inputs and PDF, list, search, get the same bytes back, compare bills."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from estimator.core.business_days import gfe_due
from estimator.core.errors import InputError
from estimator.core.gfe import GfeItem, GoodFaithEstimate, Patient, Provider, ProviderEstimate
from estimator.store import gfe_log
from estimator.store.open import open_store
from estimator.store.sqlite_store import SqliteStore

D = dt.date.fromisoformat
PDF = b"%PDF-1.4\n% a stand-in for a rendered document\n%%EOF\n"


@pytest.fixture
def store(db_target: str):
    s = open_store(db_target)
    yield s
    s.close()


def make_gfe(name: str = "Ana Q. Testpatient", dob: str = "1951-02-03", service: str | None = "2026-12-15",
             total: int = 32500, issued: str = "2026-11-30") -> GoodFaithEstimate:
    items = (GfeItem("17000", "first spot", 1, (), ("L57.0",), 15000),
             GfeItem("17003", "each additional spot", 7, (), ("L57.0",), total - 15000))
    return GoodFaithEstimate(
        patient=Patient(name, D(dob)), primary_code="17000", primary_label="first spot", lesions=8,
        service_date=D(service) if service else None, due=gfe_due(D("2026-11-30"), D(service) if service else None),
        providers=(ProviderEstimate(Provider("Sunrise Dermatology", "1234567893", "12-3456789",
                                             "1 Main St, Houston, TX 77001", "TX"), "11 Office", items),),
        separately=(), issued_on=D(issued), requested=service is None)


def test_a_saved_estimate_comes_back_with_its_inputs_and_the_same_pdf_bytes(store):
    gfe = make_gfe()
    entry_id = gfe_log.save(store, gfe, lang="es", inputs={"command": "gfe", "options": {"lesions": "8"}}, pdf=PDF,
                            issued_at=dt.datetime(2026, 11, 30, 15, 4, 5, tzinfo=dt.UTC))
    entry = gfe_log.get(store, entry_id)
    assert entry.pdf == PDF
    assert entry.inputs["options"] == {"lesions": "8"}
    assert entry.gfe == gfe  # the content is stored too, so the app can show and print it again
    record = entry.record
    assert (record.patient_name, record.patient_dob, record.scheduled_date, record.scheduled_on, record.due_date,
            record.lang, record.total_cents) == ("Ana Q. Testpatient", "1951-02-03", "2026-12-15", "2026-11-30",
                                                 "2026-12-03", "es", 32500)
    assert record.issued_at == "2026-11-30T15:04:05+00:00"
    assert record.retain_until == "2032-11-30"


def test_a_requested_estimate_is_logged_without_a_scheduled_date(store):
    entry_id = gfe_log.save(store, make_gfe(service=None), lang="en", inputs={}, pdf=PDF)
    record = gfe_log.get(store, entry_id).record
    assert record.scheduled_date == ""
    assert record.due_date == "2026-12-03"  # 3 business days after the request


def test_the_list_is_newest_first_and_search_matches_names_dates_and_ids(store):
    first = gfe_log.save(store, make_gfe("Ana Q. Testpatient"), lang="en", inputs={}, pdf=PDF,
                         issued_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    second = gfe_log.save(store, make_gfe("José Núñez", "1960-07-04", "2027-01-20"), lang="es", inputs={},
                          pdf=PDF, issued_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert [r.id for r in gfe_log.list_entries(store)] == [second, first]
    assert [r.id for r in gfe_log.search(store, "testpatient")] == [first]
    assert [r.id for r in gfe_log.search(store, "nunez")] == [second]  # accents and case do not matter
    assert [r.id for r in gfe_log.search(store, "1960-07")] == [second]
    assert [r.id for r in gfe_log.search(store, "2027-01")] == [second]
    assert [r.id for r in gfe_log.search(store, f"#{first}")] == [first]
    assert gfe_log.search(store, "nobody") == []
    assert len(gfe_log.list_entries(store, limit=1)) == 1
    assert gfe_log.count(store) == 2


def test_a_bill_exactly_400_dollars_over_is_flagged_and_399_99_is_not(store):
    entry_id = gfe_log.save(store, make_gfe(total=32500), lang="en", inputs={}, pdf=PDF)
    at_400 = gfe_log.compare_bill(store, entry_id, 72500)
    assert (at_400.excess_cents, at_400.dispute_eligible) == (40000, True)
    below = gfe_log.compare_bill(store, entry_id, 72499)
    assert (below.excess_cents, below.dispute_eligible) == (39999, False)


def test_an_unknown_id_is_a_clear_error(store):
    with pytest.raises(InputError, match="no Good Faith Estimate #7"):
        gfe_log.get(store, 7)
    with pytest.raises(InputError, match="no Good Faith Estimate #7"):
        gfe_log.compare_bill(store, 7, 100)


def test_nothing_is_logged_without_a_pdf(store):
    with pytest.raises(InputError, match="not a PDF"):
        gfe_log.save(store, make_gfe(), lang="en", inputs={}, pdf=b"")
    assert gfe_log.count(store) == 0


def test_inputs_that_are_not_json_are_refused_before_anything_is_written(store):
    with pytest.raises(InputError, match="cannot be stored"):
        gfe_log.save(store, make_gfe(), lang="en", inputs={"x": object()}, pdf=PDF)
    assert gfe_log.count(store) == 0


def test_the_log_is_read_by_another_connection_as_written(store, db_target):
    gfe_log.save(store, make_gfe(), lang="en", inputs={}, pdf=PDF)
    other = open_store(db_target)
    try:
        assert other.query("SELECT pdf FROM gfe_log")[0][0] == PDF
    finally:
        other.close()


def test_a_log_from_schema_v3_gets_its_search_table_on_migration(tmp_path: Path):
    path = tmp_path / "v3.sqlite"
    store = SqliteStore(path)
    entry_id = gfe_log.save(store, make_gfe("José Núñez", "1960-07-04"), lang="es", inputs={}, pdf=PDF)
    store.close()
    raw = sqlite3.connect(path)
    with raw:  # back to schema v3 (before the search table), as an older version of the program left it
        raw.execute("DROP TABLE gfe_search")
        raw.execute("DROP TABLE remit_lines")  # v5 (remittances) came after the search table
        raw.execute("DROP TABLE remit_files")
        raw.execute("PRAGMA user_version = 3")
    raw.close()
    store = SqliteStore(path)
    assert [r.id for r in gfe_log.search(store, "nunez")] == [entry_id]
    assert [r.id for r in gfe_log.list_entries(store, "#" + str(entry_id), limit=5)] == [entry_id]
    assert gfe_log.search(store, "zzz") == []
    store.close()

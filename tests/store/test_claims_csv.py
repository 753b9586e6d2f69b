"""Reading claims exports (estimator.store.claims_csv): mappings, validation by line, remembered layouts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from estimator.core.audit import AuditLine, audit_claims
from estimator.core.errors import InputError
from estimator.core.payers import MEDICARE_PAYER, Method, Payer, Practice
from estimator.core.schedule import TableSet
from estimator.store import claims_csv as cc
from estimator.store.sqlite_store import SqliteStore
from tests.strategies import AUDIT_PAYERS, clean_claims, remitted_lines

TablesFor = Callable[[dt.date], TableSet]
HEADER = ["DOS", "Claim #", "Patient ID", "Payer", "POS", "Locality", "CPT", "Units", "Mod 1", "Mod 2", "Dx",
          "Billed", "Allowed", "Paid", "Prior Auth"]


@pytest.fixture
def tables_for(tables_2025: TableSet, tables_2026: TableSet) -> TablesFor:
    def for_date(day: dt.date) -> TableSet:
        if day.year == 2026:
            return tables_2026
        if day.year == 2025:
            return tables_2025
        raise InputError(f"no fee-schedule tables for {day.year}; available years: 2025, 2026")

    return for_date


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "practice.sqlite")
    yield opened
    opened.close()


def parse(text: str, tables_for: TablesFor, mapping: cc.ColumnMapping | None = None,
          **kwargs: object) -> cc.ParsedClaims:
    header = next(csv.reader([text.split("\n", 1)[0]]))
    return cc.parse_claims(text, mapping or cc.suggest_mapping(header), tables_for_date=tables_for, **kwargs)  # type: ignore[arg-type]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def row(dos: str = "2026-03-02", claim: str = "C1", patient: str = "P1", payer: str = "Medicare", pos: str = "11",
        locality: str = "", code: str = "17000", units: str = "1", mod1: str = "", mod2: str = "", dx: str = "L57.0",
        billed: str = "150.00", allowed: str = "", paid: str = "", auth: str = "") -> list[str]:
    return [dos, claim, patient, payer, pos, locality, code, units, mod1, mod2, dx, billed, allowed, paid, auth]


# --- mapping ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "field", "columns"), [
    (["DOS"], "date_of_service", ("DOS",)),
    (["Date of Service"], "date_of_service", ("Date of Service",)),
    (["Service Date"], "date_of_service", ("Service Date",)),
    (["CPT"], "code", ("CPT",)),
    (["HCPCS"], "code", ("HCPCS",)),
    (["CPT/HCPCS"], "code", ("CPT/HCPCS",)),
    (["Mods"], "modifiers", ("Mods",)),
    (["Mod 1", "Mod 2", "Mod 3"], "modifiers", ("Mod 1", "Mod 2", "Mod 3")),
    (["Dx"], "diagnoses", ("Dx",)),
    (["Dx1", "Dx2"], "diagnoses", ("Dx1", "Dx2")),
    (["Billed"], "billed", ("Billed",)),
    (["Allowed"], "allowed", ("Allowed",)),
    (["Paid"], "paid", ("Paid",)),
    (["Claim #"], "claim_id", ("Claim #",)),
    (["Patient ID"], "patient_id", ("Patient ID",)),
    (["Payer"], "payer", ("Payer",)),
    (["POS"], "place_of_service", ("POS",)),
    (["Locality"], "locality", ("Locality",)),
    (["ZIP"], "zip", ("ZIP",)),
    (["Prior Auth"], "prior_auth", ("Prior Auth",)),
])
def test_the_mapping_is_suggested_from_usual_header_names(header: list[str], field: str,
                                                          columns: tuple[str, ...]) -> None:
    assert cc.suggest_mapping(header).get(field) == columns


def test_the_best_synonym_wins_and_a_column_is_used_once() -> None:
    mapping = cc.suggest_mapping(["Date", "DOS", "Claim", "Patient", "Payer", "CPT"])
    assert mapping.get("date_of_service") == ("DOS",)
    assert mapping.missing() == []
    assert [c for cols in mapping.columns.values() for c in cols].count("DOS") == 1


def test_a_header_without_a_required_field_is_refused_naming_the_files_columns() -> None:
    mapping = cc.suggest_mapping(["When", "Claim", "Patient", "Payer", "CPT"])
    with pytest.raises(InputError, match=r"no column for date of service.*'When'"):
        mapping.indices(["When", "Claim", "Patient", "Payer", "CPT"])


def test_the_layout_key_ignores_case_and_spacing_but_not_order() -> None:
    assert cc.layout_key(["DOS", "Claim  #"]) == cc.layout_key([" dos", "claim #"])
    assert cc.layout_key(["DOS", "Claim #"]) != cc.layout_key(["Claim #", "DOS"])


def test_a_confirmed_mapping_is_remembered_per_layout_with_column_names_only(store: SqliteStore,
                                                                             tables_for: TablesFor) -> None:
    header = ["When", "Ticket", "Person", "Insurer", "Proc"]
    assert cc.remembered_mapping(store, header) is None
    mapping = cc.ColumnMapping({"date_of_service": ("When",), "claim_id": ("Ticket",), "patient_id": ("Person",),
                                "payer": ("Insurer",), "code": ("Proc",)})
    cc.remember_mapping(store, header, mapping)
    cc.remember_mapping(store, header, mapping)  # again: replaced, not duplicated
    assert cc.remembered_mapping(store, [" when", "TICKET", "Person", "Insurer", "Proc"]) == mapping
    assert cc.remembered_mapping(store, ["Ticket", "When", "Person", "Insurer", "Proc"]) is None
    parse("When,Ticket,Person,Insurer,Proc\n2026-03-02,T1,PT-SECRET-9,Medicare,17000\n", tables_for, mapping)
    stored = store.query("SELECT layout_key, mapping_json FROM column_mappings")
    assert len(stored) == 1 and "PT-SECRET-9" not in stored[0]["mapping_json"]
    assert json.loads(stored[0]["mapping_json"])["columns"]["claim_id"] == ["Ticket"]


def test_the_sample_mapping_file_loads_and_fits_the_sample(repo_root: Path) -> None:
    mapping = cc.load_mapping_toml(repo_root / "samples" / "claims_mapping.toml")
    header = cc.read_header(repo_root / "samples" / "claims_sample.csv")
    assert mapping.get("modifiers") == ("Mod 1", "Mod 2")
    assert mapping.defaults == {"place_of_service": "11"}
    assert set(mapping.indices(header)) == set(mapping.columns)
    assert {k: v for k, v in cc.suggest_mapping(header).columns.items()} == dict(mapping.columns)


@pytest.mark.parametrize(("toml", "message"), [
    ("[columns]\nwhen = \"DOS\"\n", "unknown field"),
    ("[columns]\ncode = 5\n", "column name or a list"),
    ("[columns]\ncode = [\"A\", \"B\"]\n", "comes from one column"),
    ("columns = 1\n", r"\[columns\] table"),
    ("[columns\n", "not a valid TOML"),
])
def test_a_bad_mapping_file_is_refused_with_the_reason(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        cc.load_mapping_toml(path)


def test_a_mapping_round_trips_through_toml(tmp_path: Path) -> None:
    mapping = cc.ColumnMapping({"date_of_service": ("DOS",), "claim_id": ("Claim #",), "patient_id": ("Pt",),
                                "payer": ("Payer",), "code": ("CPT",), "modifiers": ("Mod 1", "Mod 2")},
                               {"locality": "0441299"})
    path = tmp_path / "m.toml"
    path.write_text(mapping.to_toml(), encoding="utf-8")
    assert cc.load_mapping_toml(path) == mapping


# --- rows ---------------------------------------------------------------------------------------------------

def test_a_file_of_good_and_bad_rows_keeps_the_good_and_names_each_bad_row_by_line(tables_for: TablesFor) -> None:
    text = csv_text([
        row(claim="C1"),                                   # line 2: good
        row(claim="C2", dos="2026-02-30"),                 # line 3: not a calendar date
        row(claim="C3", code="1700"),                      # line 4: not a code
        row(claim="C4", code="99999"),                     # line 5: not in the fee schedule
        row(claim="C5", units="two"),                      # line 6: units
        row(claim="C6", mod1="Q9"),                        # line 7: unknown modifier
        row(claim="C7", dx="NOTADX"),                      # line 8: diagnosis
        row(claim="C8", billed="12.345"),                  # line 9: amount
        row(claim="C9", patient=""),                       # line 10: no patient
        row(claim="C10", pos="7a"),                        # line 11: place of service
        row(claim="C11", locality="9999999"),              # line 12: locality
        row(claim="C12", dos="2019-05-01"),                # line 13: no tables for 2019
        row(claim="C13", code="17000", mod1="26"),         # line 14: no 17000-26 row
        row(claim="C14", allowed="-3.00"),                 # line 15: negative allowed
        ["2026-03-02", "C15"],                             # line 16: too few columns
        row(claim="C16", units="2.0", mod1="25", mod2="59", dx="L57.0;L82.1", allowed="$1,066.47"),  # good
    ])
    parsed = parse(text, tables_for)
    bad = [(p.line, p.column) for p in parsed.problems]
    assert bad == [(3, "date_of_service"), (4, "code"), (5, "code"), (6, "units"), (7, "modifiers"),
                   (8, "diagnoses"), (9, "billed"), (10, "patient_id"), (11, "place_of_service"), (12, "locality"),
                   (13, "date_of_service"), (14, "modifiers"), (15, "allowed"), (16, "")]
    assert all(p.kind == "bad" for p in parsed.problems)
    assert parsed.rows == 16
    lines = parsed.lines
    assert list(lines.claim_ids) == ["C1", "C16"]
    assert list(lines.line_numbers) == [2, 17]
    assert lines.line(1) == AuditLine("C16", "P1", dt.date(2026, 3, 2), "Medicare", "17000", 2, ("25", "59"),
                                      ("L57.0", "L82.1"), "11", "national", 15000, 106647, None, 0, 17)
    messages = {p.line: p.message for p in parsed.problems}
    assert "not a real calendar date" in messages[3]
    assert "not in the RVU26C fee schedule" in messages[5]
    assert "no fee-schedule tables for 2019" in messages[13]
    assert messages[10] == "the patient id is empty"


def test_a_bad_row_is_audited_as_a_held_out_claim_not_a_crash(tables_for: TablesFor) -> None:
    text = csv_text([row(claim="A", code="17000"), row(claim="A", code="17003", units="x"), row(claim="B")])
    parsed = parse(text, tables_for)
    result = audit_claims(parsed.lines, payers=[MEDICARE_PAYER], practice=Practice(), tables_for_date=tables_for,
                          tables_for_year=lambda y: tables_for(dt.date(y, 6, 1)), problems=parsed.problems)
    assert [c.claim_id for c in result.claims] == ["B"]
    assert [(p.line, p.kind) for p in result.problems] == [(2, "held-out"), (3, "bad")]


def test_dates_amounts_and_units_are_read_in_their_usual_forms(tables_for: TablesFor) -> None:
    text = csv_text([row(dos="03/02/2026", billed="$1,234.50", units="3", code="17003", mod1="", allowed="(5.00)",
                         paid="(5.00)"),
                     row(claim="C2", dos="20260302", billed="", units=""),
                     row(claim="C3", dos="3/2/26 00:00", billed="66.47")])
    parsed = parse(text, tables_for)
    assert [(p.line, p.column) for p in parsed.problems] == [(2, "allowed")]  # negative allowed; paid may be
    lines = parsed.lines
    assert [dt.date.fromordinal(int(d)) for d in lines.dates] == [dt.date(2026, 3, 2)] * 2
    assert list(lines.units) == [1, 1]
    assert list(lines.billed_cents) == [0, 6647] and list(lines.has_billed) == [False, True]


def test_a_zip_code_sets_the_locality_and_the_practice_defaults_fill_the_rest(tables_for: TablesFor) -> None:
    text = csv_text([row(claim="A", locality="77001"), row(claim="B", locality="441299"), row(claim="C", pos=""),
                     row(claim="D", locality="national"), row(claim="E", locality="99999")])
    zips = {"77001": "0441218"}
    parsed = parse(text, tables_for, zip_locality=lambda z, d: zips.get(z), default_locality="1320201",
                   default_place="22")
    assert list(parsed.lines.localities) == ["0441218", "0441299", "1320201", "national"]
    assert list(parsed.lines.places) == ["11", "11", "22", "11"]
    assert [(p.line, p.column, p.message) for p in parsed.problems] == [
        (6, "locality", "ZIP 99999 is not in the CMS ZIP-to-locality file")]


def test_blank_rows_are_skipped_and_a_quoted_cell_spanning_lines_keeps_line_numbers_true(tables_for: TablesFor) -> None:
    text = csv_text([row(claim="A")]) + "\n,,,,,,,,,,,,,,\n" + \
        '2026-03-02,B,P2,Medicare,11,,17000,1,,,"L57.0\nL82.1",1.00,,,\n' + \
        "2026-03-02,C,P3,Medicare,11,,1700,1,,,L57.0,1.00,,,\n"
    parsed = parse(text, tables_for)
    assert list(parsed.lines.claim_ids) == ["A", "B"]
    assert list(parsed.lines.line_numbers) == [2, 5]
    assert [(p.line, p.column) for p in parsed.problems] == [(7, "code")]


def test_a_prior_authorization_column_reads_numbers_as_yes_and_empty_or_no_as_no(tables_for: TablesFor) -> None:
    text = csv_text([row(claim="A", auth="PA-1"), row(claim="B", auth=""), row(claim="C", auth="no"),
                     row(claim="D", auth="Y")])
    assert list(parse(text, tables_for).lines.prior_auth) == [1, 0, 0, 1]
    without = csv_text([row()[:-1]], HEADER[:-1])
    assert list(parse(without, tables_for).lines.prior_auth) == [-1]


def test_a_tab_separated_export_is_read_too(tables_for: TablesFor) -> None:
    text = "\t".join(HEADER) + "\n" + "\t".join(row()) + "\n"
    assert list(parse_tab(text, tables_for).lines.codes) == ["17000"]


def parse_tab(text: str, tables_for: TablesFor) -> cc.ParsedClaims:
    return cc.parse_claims(text, cc.suggest_mapping(HEADER), tables_for_date=tables_for)


def test_a_file_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        cc.read_header(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        cc.read_header(empty)


# --- generated files ----------------------------------------------------------------------------------------

def to_csv(lines: list[AuditLine]) -> str:
    def money(cents: int | None) -> str:
        return "" if cents is None else f"{Decimal(cents) / 100:.2f}"

    return csv_text([[x.date_of_service.strftime("%m/%d/%Y"), x.claim_id, x.patient_id, x.payer,
                      x.place_of_service, "", x.code, str(x.units), *[*x.modifiers, "", ""][:2],
                      ";".join(x.diagnoses), money(x.billed_cents), money(x.allowed_cents), money(x.paid_cents), ""]
                     for x in lines])


@given(claims=clean_claims())
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_generated_file_of_clean_claims_reads_back_exactly_and_audits_without_findings(
        claims: list[Any], tables_for: TablesFor) -> None:
    def tables_for_year(year: int) -> TableSet:
        return tables_for(dt.date(year, 6, 1))

    lines = remitted_lines(claims, tables_for_year)
    parsed = parse(to_csv(lines), tables_for)
    assert parsed.problems == ()
    assert [parsed.lines.line(i) for i in range(len(lines))] == [
        AuditLine(x.claim_id, x.patient_id, x.date_of_service, x.payer, x.code, x.units, x.modifiers, x.diagnoses,
                  "11", "national", x.billed_cents, x.allowed_cents, x.paid_cents, False, k + 2)
        for k, x in enumerate(lines)]
    result = audit_claims(parsed.lines, payers=AUDIT_PAYERS, practice=Practice(), tables_for_date=tables_for,
                          tables_for_year=tables_for_year)
    assert [f.finding.code for f in result.findings if f.finding.severity == "error"] == []
    assert result.findings == () and not result.underpaid.any()
    assert np.array_equal(result.expected_cents, result.lines.allowed_cents)


def test_an_unknown_payer_name_is_kept_for_the_audit_to_report(tables_for: TablesFor) -> None:
    parsed = parse(csv_text([row(payer="Nobody Health")]), tables_for)
    assert parsed.problems == () and parsed.lines.payers == ("Nobody Health",)
    payer = Payer("Somebody", Method.MEDICARE)
    result = audit_claims(parsed.lines, payers=[payer], practice=Practice(), tables_for_date=tables_for,
                          tables_for_year=lambda y: tables_for(dt.date(y, 6, 1)))
    assert [p.kind for p in result.problems] == ["notice"]


def test_a_windows_1252_export_reads_with_its_accented_header(tmp_path: Path, tables_for: TablesFor) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("DOS,Claim #,Patient ID,Payer,Código\n2026-03-02,C1,P1,Medicare,17000\n".encode("cp1252"))
    header = cc.read_header(path)
    assert header[-1] == "Código"
    mapping = cc.ColumnMapping({**cc.suggest_mapping(header).columns, "code": ("Código",)})
    parsed = cc.read_claims(path, mapping, tables_for_date=tables_for)
    assert parsed.problems == () and parsed.lines.codes == ("17000",)


# --- other claim sources: X12 837P and Excel (issue 18) -------------------------------------------------


def test_an_xlsx_export_reads_like_the_same_csv(tmp_path: Path, repo_root: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    sample = repo_root / "samples" / "claims_sample.csv"
    with sample.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    book = tmp_path / "claims.xlsx"
    workbook.save(book)
    assert cc.read_header(book) == rows[0]
    assert list(csv.reader(io.StringIO(cc.read_text(book)))) == rows


def test_a_damaged_workbook_is_refused_in_one_line(tmp_path: Path) -> None:
    book = tmp_path / "claims.xlsx"
    book.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match=r"claims\.xlsx: not a readable Excel workbook"):
        cc.read_header(book)


def test_an_837p_becomes_claim_lines_with_modifiers_pos_and_pointed_diagnoses(repo_root: Path) -> None:
    path = repo_root / "samples" / "claims.837"
    header = cc.read_header(path)
    mapping = cc.suggest_mapping(header)
    assert not mapping.missing()
    text = cc.read_text(path)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8
    first = rows[0]
    assert (first["DOS"], first["Claim #"], first["CPT"], first["Mod 1"], first["Units"], first["POS"],
            first["Dx"], first["Billed"]) == ("2026-05-04", "SYN-CLM-5001", "99213", "25", "1", "11", "L57.0",
                                              "190.38")
    assert [r["Dx"] for r in rows if r["Claim #"] == "SYN-CLM-5003"] == ["D48.5;L57.0", "D48.5;L57.0"]


def test_a_remittance_given_to_the_audit_points_to_remits_import(repo_root: Path) -> None:
    with pytest.raises(InputError, match="remittance \\(835\\), not a claims file"):
        cc.read_header(repo_root / "samples" / "remit.835")

"""``estimator remits`` end to end on the shipped synthetic 835, checked against the file's own segments.

The expected figures are computed here, independently of the estimator's parser and reconciliation: the
835 is split with ``str.split`` on its separators, and each line's contract amount is the Medicare
national non-facility amount of its code (``price_unit``: the shipped RVU26C tables) times the demo
contract's percentage (Medicare 100%, "Demo: Acme PPO (115%)" 115% with an E/M billed with 25 cut by 50%,
"Demo: Summit Health (130%)" 130%), rounded half-up to the cent (DOMAIN section 5; the demo payers in
``estimator/store/demo.py``).  The sample has no claim with two procedures the multiple-procedure rule ranks.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from estimator.core.pricing import price_unit
from estimator.tables.shipped import default_catalog
from tests.cli.conftest import Cli, csv_rows
from tests.reports.pdf_text import pdf_text

PCT = {"Medicare": Decimal(1), "Demo: Acme PPO (115%)": Decimal("1.15"), "Demo: Summit Health (130%)": Decimal("1.3")}
NOT_DENIALS = {"1", "2", "3", "45", "59", "253"}


def _cents(text: str) -> int:
    return int((Decimal(text) * 100).to_integral_value())


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def segment_lines(text: str) -> list[dict[str, Any]]:
    """Every SVC of the 835 with its payer, payment date, adjustments and allowed amount, read naively."""
    element, component, terminator = text[3], text[104], text[105]
    out: list[dict[str, Any]] = []
    payer = paid_on = None
    for raw in text.split(terminator):
        seg = raw.strip().split(element)
        if seg[0] == "BPR":
            paid_on = dt.date.fromisoformat(f"{seg[16][:4]}-{seg[16][4:6]}-{seg[16][6:]}")
        elif seg[0] == "N1" and seg[1] == "PR":
            payer = seg[2]
        elif seg[0] == "SVC":
            proc = seg[1].split(component)
            out.append({"payer": payer, "paid_on": paid_on, "code": proc[1], "mods": proc[2:], "units": int(seg[5]),
                        "charge": _cents(seg[2]), "paid": _cents(seg[3]), "cas": [], "allowed": None, "date": None})
        elif seg[0] == "DTM" and seg[1] == "472":
            out[-1]["date"] = dt.date.fromisoformat(f"{seg[2][:4]}-{seg[2][4:6]}-{seg[2][6:]}")
        elif seg[0] == "CAS":
            for k in range(2, len(seg), 3):
                if seg[k]:
                    out[-1]["cas"].append((seg[1], seg[k], _cents(seg[k + 1])))
        elif seg[0] == "AMT" and seg[1] == "B6":
            out[-1]["allowed"] = _cents(seg[2])
    return out


def expected_figures(text: str) -> dict[str, dict[str, Any]]:
    """Per payer: paid, contract, underpaid, denials by CARC, median days -- from the segments alone."""
    tables = default_catalog().for_date(dt.date(2026, 3, 1))
    by_payer: dict[str, dict[str, Any]] = defaultdict(lambda: {"paid": 0, "contract": 0, "underpaid": 0,
                                                                "denials": Counter(), "days": [],
                                                                "medicare": 0, "received": 0,
                                                                "months": Counter()})
    for line in segment_lines(text):
        fig = by_payer[line["payer"]]
        medicare = (price_unit(tables, line["code"]).cents or 0) * line["units"]
        contract = _half_up(medicare * PCT[line["payer"]])
        if line["payer"].startswith("Demo: Acme") and "25" in line["mods"]:
            contract = _half_up(contract * Decimal("0.5"))
        allowed = line["allowed"] or 0
        fig["paid"] += line["paid"]
        fig["contract"] += contract
        fig["medicare"] += medicare
        fig["received"] += line["paid"] + sum(a for g, _, a in line["cas"] if g == "PR")
        fig["months"][line["date"].strftime("%Y-%m")] += line["paid"]
        if line["allowed"] is None:  # denied: the charge is adjusted away under a denial reason
            fig["denials"].update(f"{g}-{c}" for g, c, _ in line["cas"][:1] if c not in NOT_DENIALS)
        elif contract - allowed > 100:
            fig["underpaid"] += contract - allowed
        if line["paid"] > 0:
            fig["days"].append((line["paid_on"] - line["date"]).days)
        assert line["charge"] == line["paid"] + sum(a for _, _, a in line["cas"])  # the sample balances
    return by_payer


@pytest.fixture
def remit(repo_root: Path, cli: Cli) -> Path:
    assert cli("demo", "load").code == 0
    return repo_root / "samples" / "remit.835"


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def test_the_scorecard_of_the_sample_matches_figures_computed_from_its_segments(cli: Cli, remit: Path) -> None:
    assert cli("remits", "import", str(remit)).code == 0
    run = cli("remits", "scorecard", "--format", "json")
    assert run.code == 0, run.err
    card = run.json()
    expected = expected_figures(remit.read_text())
    assert sorted(p["payer"] for p in card["payers"]) == sorted(expected)
    for row in card["payers"]:
        want = expected[row["payer"]]
        assert row["paid"] == _money(want["paid"]), row["payer"]
        assert row["contract"] == _money(want["contract"]), row["payer"]
        assert row["underpaid"] == _money(want["underpaid"]), row["payer"]
        assert row["denials_by_carc"] == dict(sorted(want["denials"].items())), row["payer"]
        assert row["median_days_to_payment"] == statistics.median(want["days"]), row["payer"]
        pct = (Decimal(want["received"]) * 100 / want["medicare"]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        assert row["effective_pct_of_medicare"] == str(pct), row["payer"]
        assert {m["month"]: m["paid"] for m in row["by_month"]} == {k: _money(v) for k, v in want["months"].items()}
    assert card["total"]["paid"] == _money(sum(f["paid"] for f in expected.values()))
    # The planted cases, by name: two underpayments, one overpayment, 6 denials of which 3 are recoverable.
    assert card["total"]["underpaid_lines"] == 2 and card["total"]["overpaid_lines"] == 1
    assert card["total"]["denials_by_carc"] == {"CO-151": 3, "CO-16": 2, "CO-97": 1}
    recovery = {(r["payer_claim_id"], r["code"], r["status"]) for r in card["recovery"]}
    assert recovery == {("SYNMCR012002", "17004", "underpaid"), ("SYNACME013002", "17004", "underpaid"),
                        ("SYNMCR012004", "11102", "denied"), ("SYNMCR012004", "11103", "denied"),
                        ("SYNSUMMIT014004", "17000", "denied"), ("SYNSUMMIT014004", "17003", "denied")}
    assert "SYN-PT-" not in run.out  # no patient id in the scorecard


def test_reimporting_the_same_file_adds_nothing_and_says_so(cli: Cli, remit: Path) -> None:
    first = cli("remits", "import", str(remit))
    assert first.code == 0 and "18 of 18 service lines added" in first.out
    again = cli("remits", "import", str(remit.parent))  # the folder holds the same file
    assert again.code == 0, again.err
    assert "all 18 service lines were already imported; nothing added" in again.out
    assert cli("remits", "scorecard", "--format", "json").json()["total"]["lines"] == 18


@pytest.mark.parametrize(("edit", "segment"), [
    (lambda t: "\n".join(x for x in t.split("\n") if not x.startswith("SE*")), "segment ST at position 79"),
    (lambda t: t.replace("SE*41*0002", "SE*40*0002"), "segment SE at position 120: bad segment count"),
    (lambda t: "DOS,CPT,Units\n2026-02-02,17000,1\n", "segment ISA at position 1: not an X12 file"),
    (lambda t: t.replace("GE*3*101", "GE*3*102"), "segment GE at position 171: control number"),
])
def test_a_malformed_835_is_refused_in_one_line_naming_the_segment(cli: Cli, remit: Path, tmp_path: Path,
                                                                  edit: Any, segment: str) -> None:
    bad = tmp_path / "bad.835"
    bad.write_text(edit(remit.read_text()))
    run = cli("remits", "import", str(bad))
    assert run.code == 1
    assert run.err.count("\n") == 1 and segment in run.err, run.err
    assert cli("remits", "scorecard").code == 1  # nothing was stored


def test_the_recovery_list_exports_what_to_appeal_and_why(cli: Cli, remit: Path, tmp_path: Path) -> None:
    cli("remits", "import", str(remit))
    out = tmp_path / "recovery.csv"
    run = cli("remits", "recovery", "--format", "csv", "--out", str(out))
    assert run.code == 0, run.err
    rows = csv_rows(out.read_text())
    assert [r["at_stake"] for r in rows] == ["95.53", "86.41", "48.77", "24.35", "12.33", "8.26"]
    co16 = rows[0]
    assert co16["reason_code"] == "CO-16" and "resubmit" in co16["action"]
    frequency = rows[1]
    assert frequency["reason_code"] == "CO-151" and "frequency limit was not exceeded" in frequency["action"]
    assert "SYN-PT-" not in out.read_text()


def test_the_scorecard_pdf_names_each_payer_and_no_patient(cli: Cli, remit: Path, tmp_path: Path) -> None:
    cli("remits", "import", str(remit))
    pdf = tmp_path / "scorecard.pdf"
    run = cli("remits", "scorecard", "--pdf", str(pdf), "--format", "csv", "--out", str(tmp_path / "s.csv"))
    assert run.code == 0, run.err
    text = pdf_text(pdf)
    for payer in ("Medicare", "Acme PPO", "Summit Health", "Recovery list"):
        assert payer in text
    assert "SYN-PT-" not in text
    rows = csv_rows((tmp_path / "s.csv").read_text())
    assert rows[0]["level"] == "total" and json.dumps(rows)


@pytest.mark.parametrize("name", ["remit.835", "claims.837"])
def test_the_samples_pass_pyx12s_validation_against_the_5010_implementation_guides(repo_root: Path,
                                                                                  name: str) -> None:
    """An independent check that the hand-made samples are real X12 (pyx12 is a test tool, not a dependency)."""
    x12n_document = pytest.importorskip("pyx12.x12n_document")
    params = pytest.importorskip("pyx12.params")
    assert x12n_document.x12n_document(params.params(), str(repo_root / "samples" / name), None, None, None)


def test_the_audit_reads_the_sample_837p_through_its_column_mapping(cli: Cli, remit: Path) -> None:
    run = cli("audit", str(remit.parent / "claims.837"), "--format", "json")
    assert run.code == 0, run.err
    result = run.json()
    assert result["summary"]["lines_audited"] == 8 and result["summary"]["claims_audited"] == 4
    rules = {(c["claim_id"], f["code"]) for c in result["claims"] for f in c["findings"]}
    assert ("SYN-CLM-5004", "em-needs-25") in rules  # 99213 billed beside 17000 without modifier 25
    refused = cli("audit", str(remit))
    assert refused.code == 1 and "estimator remits import" in refused.err

"""The payer scorecard and recovery list as CSV, and the scorecard as a PDF (no patient ids in any of them).

The CSV scorecard has one row per payer and code and per payer and month (``level`` says which), plus a
total row per payer; the recovery list has one row per line to appeal or resubmit.  Claim numbers are the
practice's and the payer's, which is what the billing team needs to find the claim, not the patient.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from estimator.core.scorecard import RECOVERY_COLUMNS
from estimator.reports.csv_exports import csv_text

SCORE_COLUMNS: Final = ("level", "payer", "key", "lines", "billed", "paid", "patient_responsibility", "allowed",
                        "contract", "medicare", "effective_pct_of_medicare", "underpaid_lines", "underpaid",
                        "overpaid_lines", "overpaid", "denied_lines", "denial_rate_pct", "denials_by_carc",
                        "unreconciled_lines", "median_days_to_payment")


def _flat(level: str, payer: str, key: str, row: dict[str, Any]) -> dict[str, Any]:
    out = {"level": level, "payer": payer, "key": key, **row}
    out["denials_by_carc"] = " ".join(f"{k}:{v}" for k, v in row["denials_by_carc"].items())
    return out


def scorecard_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The scorecard flattened: per payer (level ``payer``), its codes (``code``) and months (``month``)."""
    rows = [_flat("total", "", "", card["total"])]
    for p in card["payers"]:
        rows.append(_flat("payer", p["payer"], "", p))
        rows += [_flat("code", p["payer"], c["code"], c) for c in p["by_code"]]
        rows += [_flat("month", p["payer"], m["month"], m) for m in p["by_month"]]
    return rows


def scorecard_csv(card: dict[str, Any]) -> str:
    return csv_text(scorecard_rows(card), SCORE_COLUMNS)


def recovery_csv(rows: Sequence[dict[str, Any]]) -> str:
    return csv_text(rows, RECOVERY_COLUMNS)


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f'<th align="{"left" if i == 0 else "right"}">{_e(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td align="{"left" if i == 0 else "right"}">{_e(v)}</td>'
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return (f"<h2>{_e(title)}</h2><table border=\"1\" cellspacing=\"0\" cellpadding=\"3\" width=\"100%\" "
            f"style=\"border-collapse: collapse;\"><tr>{head}</tr>{body}</table>")


_HEADS: Final = ("", "Lines", "Paid", "Patient", "Contract", "% of Medicare", "Underpaid", "Denied", "Denials by CARC",
                 "Median days")


def _cells(key: str, r: dict[str, Any]) -> list[object]:
    pct = r["effective_pct_of_medicare"]
    return [key, r["lines"], r["paid"], r["patient_responsibility"], r["contract"], f"{pct}%" if pct else "-",
            f"{r['underpaid']} ({r['underpaid_lines']})", r["denied_lines"],
            " ".join(f"{k}: {v}" for k, v in r["denials_by_carc"].items()) or "-",
            "-" if r["median_days_to_payment"] is None else f"{r['median_days_to_payment']:g}"]


def scorecard_html(card: dict[str, Any], recovery: Sequence[dict[str, Any]], *,
                   generated: dt.datetime | None = None) -> str:
    """The scorecard (per payer, code and month) and the recovery list as one HTML document."""
    when = (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    parts = ["<html><head><title>Payer scorecard</title></head><body>", "<h1>Payer scorecard</h1>",
             f"<p>Remittances reconciled on {_e(when)} against each payer's contract for the date of service "
             f"(tables {_e(', '.join(card['tables']) or '-')}; tolerance ${_e(card['tolerance'])} per line).</p>",
             _table("By payer", ("Payer", *_HEADS[1:]),
                    [_cells(p["payer"], p) for p in card["payers"]] + [_cells("All payers", card["total"])])]
    for p in card["payers"]:
        parts.append(_table(f"{p['payer']}: by code", ("Code", *_HEADS[1:]), [_cells(c["code"], c)
                                                                             for c in p["by_code"]]))
        parts.append(_table(f"{p['payer']}: by month of service", ("Month", *_HEADS[1:]),
                            [_cells(m["month"], m) for m in p["by_month"]]))
    if recovery:
        parts.append(_table("Recovery list: underpaid and wrongly denied lines",
                            ("Payer", "Payer claim", "Date", "Code", "Status", "Contract", "Allowed", "At stake",
                             "Reason", "Action"),
                            [(r["payer"], r["payer_claim_id"], r["service_date"], r["code"], r["status"],
                              r["contract"], r["allowed"], r["at_stake"], r["reason_code"] or "-", r["action"])
                             for r in recovery]))
    else:
        parts.append("<h2>Recovery list</h2><p>Nothing to appeal: no underpaid or wrongly denied line.</p>")
    parts.append("<p><small>Effective % of Medicare: what was paid plus what the patient owes, per dollar of the "
                 "Medicare fee schedule for the same lines (denied lines included). Reason codes are shown with "
                 "this program's own short descriptions. This document names no patient.</small></p>")
    parts.append("</body></html>")
    return "".join(parts)


def write_scorecard_pdf(card: dict[str, Any], recovery: Sequence[dict[str, Any]], path: Path | str) -> int:
    """Render the scorecard to a PDF at ``path`` (atomically); returns the size in bytes.

    Raises:
        RenderError: Qt could not render the document.
        InputError: the file cannot be written.
    """
    # Qt loads only when a PDF is written, so the command line starts without it.
    from estimator.reports.documents import html_to_pdf  # noqa: PLC0415

    return len(html_to_pdf(scorecard_html(card, recovery), path))

"""The claims audit's exports: every finding as CSV, and a summary as HTML / PDF.

The summary holds counts and totals only -- findings by severity and rule, remittance against contract by
payer, code and month, the bad rows by line number -- and never a patient id (nor a claim's patient).  The
findings CSV is the export a user asks for to work the findings; it carries patient ids unless told not to.

The PDF is laid out by ``estimator.reports.documents`` (``QTextDocument`` on a ``QPdfWriter``, US Letter,
page footer), which creates a headless GUI application on demand when there is no display.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from estimator.core.audit import FINDING_COLUMNS, AuditResult, PaymentTotal, finding_rows, summary
from estimator.core.money import format_money
from estimator.csv_out import dict_csv_text
from estimator.files import write_text_atomically

MAX_PROBLEMS_IN_SUMMARY: Final = 50
#: A cell value quoted in a problem's message ('...'): left out of the summary, since a column mapped by
#: mistake could put a patient id where a code was expected.
QUOTED_VALUE: Final = re.compile(r"'[^']*'")
SEVERITY_TITLE: Final = {"error": "Errors", "warning": "Warnings", "info": "Notes"}


def findings_csv(result: AuditResult, *, patient_ids: bool = True) -> str:
    """One row per finding (``estimator.core.audit.FINDING_COLUMNS``), money as two-decimal strings."""
    return dict_csv_text(finding_rows(result, patient_ids=patient_ids), FINDING_COLUMNS)


def write_findings_csv(result: AuditResult, path: Path | str, *, patient_ids: bool = True) -> int:
    """Write the findings CSV atomically; returns the number of findings written.

    Raises:
        InputError: the file cannot be written.
    """
    write_text_atomically(path, findings_csv(result, patient_ids=patient_ids))
    return len(result.findings)


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], numeric_from: int = 1) -> str:
    """A ruled table whose title is its first row, so a page break never parts a heading from its table."""
    head = "".join(f'<th align="{"right" if i >= numeric_from else "left"}">{_e(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td align="{"right" if i >= numeric_from else "left"}">{_e(v)}</td>'
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    caption = (f'<tr><td colspan="{len(headers)}" style="border: none; font-size: 13pt; font-weight: bold; '
               f'color: #1F3A5F; padding-top: 10px;">{_e(title)}</td></tr>' if title else "")
    head_row = f"<tr>{head}</tr>" if any(headers) else ""
    return (f'<table border="1" cellspacing="0" cellpadding="3" width="100%" style="border-collapse: collapse;">'
            f"{caption}{head_row}{body}</table>")


def _payment_rows(totals: Sequence[PaymentTotal]) -> list[list[Any]]:
    return [[t.key, t.lines, format_money(t.expected_cents), format_money(t.remitted_cents),
             format_money(t.variance_cents), t.underpaid_lines, format_money(t.underpaid_cents)] for t in totals]


PAYMENT_HEADERS: Final = ("{}", "Lines compared", "Expected", "Remitted", "Variance", "Underpaid lines", "Underpaid")


def summary_html(result: AuditResult, *, source: str = "", rows_read: int | None = None,
                 generated: dt.datetime | None = None) -> str:
    """The audit summary as one HTML document: counts and totals, and the rows not audited by line number
    with the values from the file left out of their messages (no patient id can appear)."""
    data = summary(result)
    when = (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    facts = [("File", source or "(not named)"), ("Audited", when),
             ("Fee-schedule tables", ", ".join(data["tables"]) or "none"),
             ("Underpayment tolerance", f"${data['tolerance']} per line")]
    counts = [("Rows read", rows_read if rows_read is not None else "-"),
              ("Claims audited", data["claims_audited"]), ("Lines audited", data["lines_audited"]),
              ("Claims with findings", data["claims_with_findings"]), ("Bad rows (not audited)", data["bad_rows"]),
              ("Lines held out with their claim", data["lines_held_out"]), ("Notices", data["notices"]),
              ("Lines compared with the contract", data["lines_compared"]),
              ("Underpaid lines", data["underpaid_lines"]), ("Underpaid in total", f"${data['underpaid_total']}")]
    parts = [
        "<html><head><title>Claims audit summary</title></head><body>",
        "<h1>Claims audit summary</h1>",
        _table("", ("", ""), facts, numeric_from=2),
        _table("In numbers", ("", "Count"), counts),
        _table("Findings by severity", ("Severity", "Findings"),
               [(SEVERITY_TITLE[s], n) for s, n in data["findings_by_severity"].items()]),
        _table("Findings by rule", ("Rule", "Severity", "Findings"),
               [(rule, v["severity"], v["count"]) for rule, v in data["findings_by_rule"].items()], numeric_from=2)
        if data["findings_by_rule"] else "<p>No findings.</p>",
    ]
    for title, key, totals in (("Remittance against contract by payer", "Payer", result.by_payer),
                               ("... by code", "Code", result.by_code), ("... by month", "Month", result.by_month)):
        parts.append(_table(title, [h.format(key) for h in PAYMENT_HEADERS], _payment_rows(totals)) if totals
                     else f"<h2>{_e(title)}</h2><p>No line had a remitted allowed amount to compare.</p>")
    if result.by_payer_month:
        months = sorted({m for _, m in result.by_payer_month})
        payers = sorted({p for p, _ in result.by_payer_month})
        parts.append(_table("Underpaid by payer and month", ["Payer", *months],
                            [[p, *(format_money(result.by_payer_month.get((p, m), 0)) for m in months)]
                             for p in payers]))
    problems = [p for p in result.problems if p.kind != "notice"]
    if problems:
        shown = problems[:MAX_PROBLEMS_IN_SUMMARY]
        parts.append(_table("Rows not audited", ("Line", "Column", "Why"),
                            [(p.line, p.column, QUOTED_VALUE.sub("'...'", p.message)) for p in shown],
                            numeric_from=9))
        if len(problems) > len(shown):
            parts.append(f"<p>... and {len(problems) - len(shown)} more (see the audit on screen).</p>")
    parts.append("<p><small>Expected allowed amounts come from each payer's contract for the date of service "
                 "(CMS fee-schedule tables of that date); the paid amount is not compared, because it depends "
                 "on the patient's deductible and coinsurance. This summary names no patient.</small></p>")
    parts.append("</body></html>")
    return "".join(parts)


def write_pdf_summary(result: AuditResult, path: Path | str, *, source: str = "",
                      rows_read: int | None = None) -> int:
    """Render the summary to a PDF at ``path`` (atomically); returns the size in bytes.

    Raises:
        RenderError: Qt could not render the document.
        InputError: the file cannot be written.
    """
    # Qt loads only when a PDF is written, so the command line starts without it.
    from estimator.reports.documents import html_to_pdf  # noqa: PLC0415

    return len(html_to_pdf(summary_html(result, source=source, rows_read=rows_read), path))

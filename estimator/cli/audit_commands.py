"""``estimator audit``: check a claims export for rule violations, denial risks and underpayments."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any, Final

from estimator.cli.common import Context, Parser, add_format, provisional_text
from estimator.cli.output import json_text, table_text, write
from estimator.core.audit import DEFAULT_TOLERANCE_CENTS, AuditResult, audit_claims, result_dict, summary
from estimator.core.money import format_money
from estimator.core.parsing import parse_money
from estimator.files import write_text_atomically
from estimator.reports.audit_report import findings_csv, write_pdf_summary
from estimator.store import claims_csv

MAX_TABLE_FINDINGS: Final = 200
MAX_TABLE_PROBLEMS: Final = 100

DESCRIPTION: Final = """\
Audit a CSV export of past claims, one row per claim line: every billing rule of the encounter engine
(17000/17003/17004 tiers, modifier 25, diagnosis fit, global periods, multiple-procedure reduction), the
payers' frequency limits and prior-authorization lists, and -- where the file has the remittance's allowed
amount -- underpayments against each payer's contract for the date of service.

Columns are matched by name (DOS, Claim #, Patient ID, Payer, POS, Locality or ZIP, CPT, Units, Mod 1,
Dx, Billed, Allowed, Paid, Prior Auth ...); see the guess with --print-mapping, or give a mapping file
(samples/claims_mapping.toml). A mapping given with --mapping is remembered for files with the same header.
Bad rows are listed by line number and left out; the rest is audited.

Patient ids appear only in the csv and json output (the findings export you ask for); the table and the
PDF summary never show them."""


def register(commands: Any) -> None:
    p: Parser = commands.add_parser(
        "audit", help="audit past claims (CSV): rule violations, denial risks and underpayments",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE.csv", help="claims export, one row per claim line")
    p.add_argument("--mapping", metavar="FILE.toml",
                   help="column mapping ([columns] field = \"Header\"); remembered for this file layout")
    p.add_argument("--print-mapping", action="store_true",
                   help="print the mapping that would be used (as a --mapping file) and stop")
    p.add_argument("--tolerance", metavar="X", default=format_money(DEFAULT_TOLERANCE_CENTS),
                   help="dollars a line may be short of the contract before it is called underpaid "
                        "(default: %(default)s)")
    add_format(p, ("table", "json", "csv"))
    p.add_argument("--out", metavar="FILE",
                   help="write the output to FILE (whole or not at all) instead of the screen; a FILE ending "
                        "in .pdf gets the PDF summary. The csv (findings) and json outputs include patient ids; "
                        "the table and the PDF summary never do")
    p.add_argument("--no-patient-ids", action="store_true", help="leave patient ids out of csv and json output")
    p.set_defaults(run=run_audit)


def _mapping(args: argparse.Namespace, ctx: Context, header: list[str]) -> claims_csv.ColumnMapping:
    """The --mapping file (remembered for this layout), else the remembered one, else the suggestion."""
    if args.mapping:
        mapping = claims_csv.load_mapping_toml(Path(args.mapping))
        mapping.indices(header)  # refuse a mapping that does not fit before remembering it
        claims_csv.remember_mapping(ctx.store, header, mapping)
        return mapping
    return claims_csv.remembered_mapping(ctx.store, header) or claims_csv.suggest_mapping(header)


def run_audit(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    header = claims_csv.read_header(path)
    mapping = _mapping(args, ctx, header)
    if args.print_mapping:
        write(mapping.to_toml())
        return 0
    tolerance = parse_money(args.tolerance, "--tolerance")
    practice = ctx.store.practice()
    catalog = ctx.catalog

    def zip_locality(zip_code: str, day: dt.date) -> str | None:
        entry = catalog.zip_codes(day.year).get(zip_code)
        return entry.locality_key if entry else None

    parsed = claims_csv.read_claims(path, mapping, tables_for_date=catalog.for_date, zip_locality=zip_locality,
                                    default_place=practice.place_of_service, default_locality=practice.locality_key)
    result = audit_claims(parsed.lines, payers=ctx.store.payers(), practice=practice,
                          tables_for_date=catalog.for_date, tables_for_year=catalog.for_year,
                          tolerance_cents=tolerance, problems=parsed.problems)
    patient_ids = not args.no_patient_ids
    # Claims dated after the newest tables are checked against stand-in rates: say so.
    newest = catalog.newest().year
    provisional = [catalog.in_force(y)[1] for y in sorted({c.date_of_service.year for c in result.claims
                                                            if c.date_of_service.year > newest})]
    if args.out and args.out.lower().endswith(".pdf"):
        size = write_pdf_summary(result, args.out, source=path.name, rows_read=parsed.rows)
        write(f"wrote the audit summary of {path.name} to {args.out} ({size:,} bytes; no patient ids)")
        return 0
    if args.format == "json":
        text = json_text({"file": path.name, "rows_read": parsed.rows, **result_dict(result, patient_ids=patient_ids),
                          "provisional_tables": [f.as_dict() for f in provisional]})
    elif args.format == "csv":
        text = findings_csv(result, patient_ids=patient_ids)
    else:
        text = "\n".join([audit_table(result, source=path.name, rows_read=parsed.rows),
                          *(line for f in provisional for line in provisional_text(f))])
    if args.out:
        write_text_atomically(args.out, text if text.endswith("\n") else text + "\n")
        what = {"csv": f"{len(result.findings)} findings", "json": "the full result"}.get(args.format, "the summary")
        ids = " (with patient ids)" if args.format in ("csv", "json") and patient_ids else ""
        write(f"wrote {what} of {path.name} to {args.out}{ids}")
    else:
        write(text)
    return 0


def _payments(title: str, key: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    columns = [key, "lines", "expected", "remitted", "variance", "underpaid_lines", "underpaid"]
    headers = [key, "lines compared", "expected", "remitted", "variance", "underpaid lines", "underpaid"]
    return ["", title, table_text(rows, columns, headers)]


def audit_table(result: AuditResult, *, source: str, rows_read: int) -> str:
    """The plain-text report: summary, findings (claim, line, rule; no patient ids), totals, bad rows."""
    data = summary(result)
    out = [
        f"Claims audit of {source}",
        f"  rows read {rows_read}; claims audited {data['claims_audited']} ({data['lines_audited']} lines), "
        f"{data['claims_with_findings']} with findings",
        f"  bad rows {data['bad_rows']}; lines held out with their claim {data['lines_held_out']}; "
        f"notices {data['notices']}",
        f"  tables {', '.join(data['tables']) or '-'}; underpayment tolerance {data['tolerance']} per line",
        f"  lines compared with the contract {data['lines_compared']}; underpaid {data['underpaid_lines']} "
        f"lines, {data['underpaid_total']} in total",
        "",
        "Findings by severity",
        table_text([{"severity": s, "findings": n} for s, n in data["findings_by_severity"].items()],
                   ["severity", "findings"]),
    ]
    if data["findings_by_rule"]:
        by_rule = [{"rule": r, "severity": v["severity"], "findings": v["count"]}
                   for r, v in data["findings_by_rule"].items()]
        out += ["", "Findings by rule", table_text(by_rule, ["rule", "severity", "findings"])]
        rows = []
        numbers = result.lines.line_numbers
        for f in result.findings[:MAX_TABLE_FINDINGS]:
            claim = result.claims[f.claim]
            rows.append({"claim": claim.claim_id, "date": claim.date_of_service.isoformat(), "payer": claim.payer,
                         "line": "" if f.line is None else int(numbers[f.line]), "code": f.finding.line_code or "",
                         "severity": f.finding.severity, "rule": f.finding.code, "message": f.finding.message})
        out += ["", "Findings", table_text(rows, ["claim", "date", "payer", "line", "code", "severity", "rule",
                                                  "message"])]
        if len(result.findings) > MAX_TABLE_FINDINGS:
            out.append(f"... and {len(result.findings) - MAX_TABLE_FINDINGS} more: "
                       "'--format csv --out findings.csv' exports them all")
    out += _payments("Remittance against contract by payer", "payer", data["underpayments_by_payer"])
    out += _payments("... by code", "code", data["underpayments_by_code"])
    out += _payments("... by month", "month", data["underpayments_by_month"])
    if result.problems:
        shown = result.problems[:MAX_TABLE_PROBLEMS]
        out += ["", "Rows not audited (bad, held out) and notices", table_text(
            [{"line": p.line, "kind": p.kind, "column": p.column, "problem": p.message} for p in shown],
            ["line", "kind", "column", "problem"])]
        if len(result.problems) > MAX_TABLE_PROBLEMS:
            out.append(f"... and {len(result.problems) - MAX_TABLE_PROBLEMS} more ('--format json' lists them all)")
    return "\n".join(out)

"""``estimator remits``: import X12 835 remittances, reconcile them, the payer scorecard and the recovery list."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Final

from estimator.cli.common import Context, Parser
from estimator.cli.output import json_text, table_text, write
from estimator.core.audit import DEFAULT_TOLERANCE_CENTS
from estimator.core.errors import InputError
from estimator.core.money import format_money
from estimator.core.parsing import parse_money
from estimator.core.scorecard import Reconciliation, reconcile, recovery_rows, scorecard
from estimator.files import write_text_atomically
from estimator.reports.remits_report import recovery_csv, scorecard_csv, write_scorecard_pdf
from estimator.store import remits

DESCRIPTION: Final = """\
Read what payers actually sent. 'import' stores the service lines of X12 835 remittance files (or every
.835/.x12/.edi/.era/.txt file of a folder) in the practice database; a line already imported (same payer,
payer claim number and line) is skipped, so importing a file twice adds nothing. 'scorecard' reconciles every
stored line with its payer's contract for the date of service and the billing rules, and reports per payer,
code and month: paid, contract, underpaid, denials by reason code, effective % of Medicare and days to payment.
'recovery' lists the underpaid and wrongly denied lines with what to appeal and why.

Payers are matched by the 835's payer name (N1*PR), ignoring case, against the payer list ('estimator payers');
the practice's locality and place of service stand for the service's (an 835 carries neither)."""


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("remits", help="X12 835 remittances: import, payer scorecard, recovery list",
                                    description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="remits_command", required=True, metavar="ACTION", parser_class=Parser)
    imp = sub.add_parser("import", help="import 835 files or folders into the practice database")
    imp.add_argument("paths", nargs="+", metavar="FILE|FOLDER", help="835 files, or folders of them")
    imp.set_defaults(run=run_import)

    card = sub.add_parser("scorecard", help="reconcile the stored remittances: per payer, code and month")
    card.add_argument("--format", choices=("text", "json", "csv"), default="text",
                      help="output format (default: text)")
    card.add_argument("--pdf", metavar="FILE.pdf", help="also write the scorecard and recovery list as a PDF")
    card.add_argument("--out", metavar="FILE", help="write the output to FILE instead of the screen")
    _tolerance(card)
    card.set_defaults(run=run_scorecard)

    rec = sub.add_parser("recovery", help="the underpaid and wrongly denied lines: what to appeal and why")
    rec.add_argument("--format", choices=("text", "json", "csv"), default="text", help="output format")
    rec.add_argument("--out", metavar="FILE", help="write the output to FILE instead of the screen")
    _tolerance(rec)
    rec.set_defaults(run=run_recovery)


def _tolerance(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tolerance", metavar="X", default=format_money(DEFAULT_TOLERANCE_CENTS),
                        help="dollars a line may differ from the contract before it is called under- or overpaid "
                             "(default: %(default)s)")


def run_import(args: argparse.Namespace, ctx: Context) -> int:
    reports = remits.import_files(ctx.store, [Path(p) for p in args.paths])
    for report in reports:
        write(report.message())
    if len(reports) > 1:
        added = sum(r.lines_added for r in reports)
        write(f"{added} service lines added from {len(reports)} files" if added
              else f"nothing added: all {sum(r.lines_read for r in reports)} service lines were already imported")
    return 0


def reconciled(ctx: Context, tolerance_text: str) -> Reconciliation:
    """Every stored line reconciled with the current payer list and tables."""
    tolerance = parse_money(tolerance_text, "--tolerance")
    lines = remits.load(ctx.store)
    if not lines:
        raise InputError("no remittances imported yet: run 'estimator remits import FILE.835' first")
    return reconcile(lines, payers=ctx.store.payers(), practice=ctx.store.practice(),
                     tables_for_date=ctx.catalog.for_date, tables_for_year=ctx.catalog.for_year,
                     tolerance_cents=tolerance)


def _emit(text: str, out: str | None, what: str) -> None:
    if out:
        write_text_atomically(out, text if text.endswith("\n") else text + "\n")
        write(f"wrote {what} to {out}")
    else:
        write(text)


def run_scorecard(args: argparse.Namespace, ctx: Context) -> int:
    rec = reconciled(ctx, args.tolerance)
    card = scorecard(rec)
    recovery = recovery_rows(rec)
    if args.format == "json":
        text = json_text({**card, "recovery": recovery})
    elif args.format == "csv":
        text = scorecard_csv(card)
    else:
        text = scorecard_text(card, len(recovery))
    _emit(text, args.out, "the scorecard")
    if args.pdf:
        size = write_scorecard_pdf(card, recovery, args.pdf)
        write(f"wrote the scorecard PDF to {args.pdf} ({size:,} bytes; no patient ids)")
    return 0


def run_recovery(args: argparse.Namespace, ctx: Context) -> int:
    rows = recovery_rows(reconciled(ctx, args.tolerance))
    if args.format == "json":
        text = json_text(rows)
    elif args.format == "csv":
        text = recovery_csv(rows)
    else:
        text = table_text(rows, ["payer", "payer_claim_id", "service_date", "code", "status", "contract", "allowed",
                                 "at_stake", "reason_code", "action"],
                          ["payer", "payer claim", "date", "code", "status", "contract", "allowed", "at stake",
                           "reason", "action"]) if rows else "Nothing to appeal: no underpaid or wrongly denied line."
    _emit(text, args.out, f"the recovery list ({len(rows)} lines)")
    return 0


_COLUMNS: Final = ["lines", "paid", "patient_responsibility", "contract", "effective_pct_of_medicare", "underpaid",
                   "underpaid_lines", "denied_lines", "denials", "median_days_to_payment"]
_HEADERS: Final = ["lines", "paid", "patient", "contract", "% of Medicare", "underpaid", "underpaid lines",
                   "denied", "denials by CARC", "median days"]


def _row(key: str, name: str, r: dict[str, Any]) -> dict[str, Any]:
    return {key: name, **r, "denials": " ".join(f"{k}:{v}" for k, v in r["denials_by_carc"].items()),
            "median_days_to_payment": None if r["median_days_to_payment"] is None
            else f"{r['median_days_to_payment']:g}"}


def scorecard_text(card: dict[str, Any], recovery_lines: int) -> str:
    """The scorecard as plain text tables: by payer, then each payer by code and by month."""
    total = card["total"]
    out = [
        "Payer scorecard",
        f"  service lines {total['lines']}; paid {total['paid']}; contract {total['contract']}; "
        f"underpaid {total['underpaid']} ({total['underpaid_lines']} lines); denied {total['denied_lines']} lines",
        f"  tables {', '.join(card['tables']) or '-'}; tolerance {card['tolerance']} per line; "
        f"{recovery_lines} lines to recover ('estimator remits recovery')",
        "",
        "By payer",
        table_text([_row("payer", p["payer"], p) for p in card["payers"]] + [_row("payer", "All payers", total)],
                   ["payer", *_COLUMNS], ["payer", *_HEADERS]),
    ]
    for p in card["payers"]:
        out += ["", f"{p['payer']}: by code",
                table_text([_row("code", c["code"], c) for c in p["by_code"]], ["code", *_COLUMNS],
                           ["code", *_HEADERS]),
                "", f"{p['payer']}: by month of service",
                table_text([_row("month", m["month"], m) for m in p["by_month"]], ["month", *_COLUMNS],
                           ["month", *_HEADERS])]
    return "\n".join(out)

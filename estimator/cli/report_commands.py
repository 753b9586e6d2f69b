"""``estimator gfe | export | compare``: Good Faith Estimates and their log, CSV exports, comparisons.

``estimator gfe --patient-name NAME --dob YYYY-MM-DD --scheduled YYYY-MM-DD [--scheduled-on DATE]
[encounter options] --out FILE.pdf [--lang en|es]`` issues a Good Faith Estimate: it prices the visit at the
practice's self-pay price, refuses (exit 1, one line) when any required element is missing, writes the PDF
and logs it with its inputs.  ``gfe list | show ID | reprint ID --out FILE | compare ID --billed AMOUNT``
work on the log.  The first positional word picks the action (default: issue), so both forms parse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from estimator.cli.common import (
    Context,
    Parser,
    add_format,
    parse_date,
    parse_year,
    provisional_text,
    resolve_locality,
    tables_block,
)
from estimator.cli.encounter_commands import add_encounter_options, encounter_from
from estimator.cli.output import FORMATS, json_text, render, table_text, write
from estimator.cli.store_commands import add_benefit_options, benefits_from
from estimator.core.compare import compare_localities, compare_payers, compare_years
from estimator.core.cost_sharing import estimate
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.gfe import (
    DISPUTE_THRESHOLD_CENTS,
    DISPUTE_WINDOW_DAYS,
    GoodFaithEstimate,
    Patient,
    build_gfe,
    gfe_to_dict,
    late_finding,
    missing_elements,
)
from estimator.core.money import format_money
from estimator.core.parsing import ascii_digits, clean_name, parse_money
from estimator.core.payers import SELF_PAY, Method
from estimator.core.rules import build_claim
from estimator.core.schedule import CFVariant, Setting, TablesInForce
from estimator.files import check_output_path, read_text, staging_dir, write_bytes_atomically
from estimator.reports import csv_exports, i18n
from estimator.store import gfe_log

GFE_ACTIONS: Final = ("issue", "list", "show", "reprint", "compare")
LIST_COLUMNS: Final = ("id", "issued", "patient", "dob", "scheduled", "due", "lang", "total", "retain_until")

#: What to type to supply each missing element (matched on the start of the element's words).
_HINTS: Final = (
    (("provider name", "--name"), ("provider NPI", "--npi"), ("a valid provider NPI", "--npi"),
     ("provider TIN", "--tin"), ("provider location", "--address"), ("provider state", "--address")),
    (("patient name", "--patient-name"), ("patient date of birth", "--dob"),
     ("scheduled date", "--scheduled"), ("itemized services", "--lesions/--em/--add"),
     ("description of the primary service", "--lesions/--em/--add"), ("diagnosis code", "--dx")),
)


class GfeIncompleteError(InputError):
    """A Good Faith Estimate that lacks required elements; the message names every one and how to add it."""

    def __init__(self, missing: list[str]) -> None:
        practice = list(dict.fromkeys(opt for m in missing for el, opt in _HINTS[0] if m.startswith(el)))
        own = list(dict.fromkeys(opt for m in missing for el, opt in _HINTS[1] if m.startswith(el)))
        fixes = []
        if practice:
            fixes.append("set them with 'estimator practice set " + " ".join(f"{o} ..." for o in practice) + "'")
        if own:
            fixes.append("give " + ", ".join(own))
        super().__init__("cannot issue the Good Faith Estimate: missing " + ", ".join(missing)
                         + (" \u2014 " + "; ".join(fixes) if fixes else ""))
        self.missing = missing


def register(commands: Any) -> None:
    p: Parser = commands.add_parser(
        "gfe", help="issue a Good Faith Estimate (self-pay), or list / show / reprint / compare logged ones",
        description="Without an action: issue a Good Faith Estimate PDF and log it. "
                    "'gfe list', 'gfe show ID', 'gfe reprint ID --out FILE', 'gfe compare ID --billed AMOUNT' "
                    "work on the log (kept 6 years).")
    p.add_argument("action", nargs="?", choices=GFE_ACTIONS, default="issue", help="default: issue")
    p.add_argument("id", nargs="?", help="the logged estimate's number (show, reprint, compare)")
    p.add_argument("--patient-name", help="the patient's full name (visible to other users in the process list "
                                          "and kept in shell history: prefer --patient-file)")
    p.add_argument("--dob", metavar="YYYY-MM-DD", help="the patient's date of birth (prefer --patient-file)")
    p.add_argument("--patient-file", metavar="FILE",
                   help="the patient's details from a JSON or TOML file ({\"name\": ..., \"dob\": \"YYYY-MM-DD\"}), "
                        "or '-' to read them from standard input; keeps them off the command line")
    p.add_argument("--scheduled", metavar="YYYY-MM-DD", help="date the primary service is scheduled for")
    p.add_argument("--scheduled-on", metavar="YYYY-MM-DD", help="date it was scheduled (default: today)")
    p.add_argument("--requested-on", metavar="YYYY-MM-DD",
                   help="requested by the patient on this date, nothing scheduled yet (instead of --scheduled-on)")
    add_encounter_options(p)
    p.add_argument("--payer", default=SELF_PAY, help="a self-pay payer (default: Self-pay, the charge master)")
    p.add_argument("--separately", action="append", default=[], metavar="TEXT",
                   help="an item or service to be scheduled separately (repeatable)")
    p.add_argument("--primary", metavar="TEXT", help="describe the primary service in your own words")
    p.add_argument("--out", metavar="FILE.pdf", help="where to write the PDF (issue, reprint)")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default="en", help="document language (default: en)")
    p.add_argument("--search", metavar="TEXT", help="list: part of a name, a date or an id")
    p.add_argument("--billed", metavar="AMOUNT", help="compare: the total billed, in dollars")
    add_format(p, FORMATS)
    p.set_defaults(run=run_gfe)

    p = commands.add_parser("export", help="CSV exports (a locality's fee schedule)")
    sub = p.add_subparsers(dest="export_command", required=True, parser_class=Parser)
    fs = sub.add_parser("fee-schedule", help="every payable code's par, non-par and limiting charge in a locality")
    fs.add_argument("--locality", required=True, help="7-digit MAC+locality key, or 'national'")
    fs.add_argument("--year", help="payment year (default: the newest tables)")
    fs.add_argument("--setting", choices=("nonfacility", "facility", "both"), default="both")
    fs.add_argument("--cf", choices=[v.value for v in CFVariant], default=CFVariant.NONQP.value)
    fs.add_argument("--no-floor", action="store_true", help="work GPCI without the 1.0 floor")
    fs.add_argument("--out", required=True, metavar="FILE.csv")
    fs.set_defaults(run=run_export_fee_schedule)

    p = commands.add_parser("compare", help="one visit priced by every payer, in every locality, or by year")
    sub = p.add_subparsers(dest="compare_command", required=True, parser_class=Parser)
    payers = sub.add_parser("payers", help="every payer's allowed amount and the patient's share")
    add_encounter_options(payers)
    payers.add_argument("--payers", metavar="NAME,NAME", help="only these payers (default: all)")
    add_benefit_options(payers, payer=False)
    localities = sub.add_parser("localities", help="the Medicare total in each of the 109 localities")
    add_encounter_options(localities)
    localities.add_argument("--top", metavar="N", help="only the N highest")
    years = sub.add_parser("years", help="the same visit priced with each year's tables")
    add_encounter_options(years)
    years.add_argument("--years", metavar="YYYY,YYYY", help="years to compare (default: every year available)")
    for q in (payers, localities, years):
        add_format(q, FORMATS)
        q.add_argument("--out", metavar="FILE.csv", help="write CSV to this file instead of printing")
    payers.set_defaults(run=run_compare_payers)
    localities.set_defaults(run=run_compare_localities)
    years.set_defaults(run=run_compare_years)


# --- gfe ---------------------------------------------------------------------------------------------------

def run_gfe(args: argparse.Namespace, ctx: Context) -> int:
    action = args.action
    if action in ("show", "reprint", "compare") and not args.id:
        raise InputError(f"'gfe {action}' needs the estimate's number, e.g. 'estimator gfe {action} 3' "
                         "(see 'estimator gfe list')")
    if action in ("issue", "list") and args.id:
        raise InputError(f"unexpected {args.id!r}: 'gfe {action}' takes no number")
    return {"issue": run_gfe_issue, "list": run_gfe_list, "show": run_gfe_show, "reprint": run_gfe_reprint,
            "compare": run_gfe_compare}[action](args, ctx)


def _entry_id(text: str) -> int:
    number = text.strip().lstrip("#")
    if not ascii_digits(number):
        raise InputError(f"{text[:30]!r} is not an estimate number; see 'estimator gfe list'")
    return int(number)


def gfe_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The options that produced an estimate, as logged with it."""
    names = ("patient_name", "dob", "patient_file", "scheduled", "scheduled_on", "requested_on", "lesions", "em",
             "g2211", "add", "dx", "date", "locality", "pos", "cf", "no_floor", "prior", "documented", "payer",
             "separately", "primary", "lang")
    return {"command": "gfe", "options": {n: getattr(args, n, None) for n in names}}


PATIENT_KEYS: Final = {"name": "patient_name", "patient_name": "patient_name", "dob": "dob",
                        "date_of_birth": "dob", "patient_dob": "dob"}
MAX_PATIENT_FILE_BYTES: Final = 64 * 1024


def read_patient_file(source: str) -> dict[str, str]:
    """The patient's name and date of birth from a JSON or TOML file, or standard input (``-``).

    Raises:
        InputError: unreadable, neither JSON nor TOML, unknown keys, or values that are not text.
    """
    where = "standard input" if source == "-" else source
    if source == "-":
        text = sys.stdin.read(MAX_PATIENT_FILE_BYTES + 1)
        if len(text) > MAX_PATIENT_FILE_BYTES:
            raise InputError(f"{where}: more than {MAX_PATIENT_FILE_BYTES // 1024} KB; give only the patient's details")
    else:
        text = read_text(source, "the patient file", max_bytes=MAX_PATIENT_FILE_BYTES)
    data: object
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            raise InputError(f"{where}: not JSON or TOML; write e.g. {{\"name\": \"Ana Q. Testpatient\", "
                             "\"dob\": \"1951-02-03\"}") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected an object with \"name\" and \"dob\"")
    unknown = sorted(str(k) for k in data if k not in PATIENT_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; use \"name\" and \"dob\"")
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        if not isinstance(value, str):
            raise InputError(f"{where}: {key} must be text, got {type(value).__name__}")
        out[PATIENT_KEYS[key]] = value
    return out


def prepare_gfe(args: argparse.Namespace, ctx: Context,
                today: dt.date | None = None) -> tuple[GoodFaithEstimate, list[Finding]]:
    """The Good Faith Estimate the options describe, checked for every required element, and the pricing
    findings worth telling the user (e.g. a code with no charge-master price, priced at Medicare's).

    Raises:
        GfeIncompleteError: a required element is missing (all of them named).
        InputError: an option is malformed.
    """
    today = today or dt.date.today()
    if args.requested_on and args.scheduled_on:
        raise InputError("give --scheduled-on (a scheduled service) or --requested-on (a request), not both")
    if getattr(args, "patient_file", None):
        if args.patient_name or args.dob:
            raise InputError("give the patient's details with --patient-file or with --patient-name/--dob, not both")
        details = read_patient_file(args.patient_file)
        args.patient_name, args.dob = details.get("patient_name"), details.get("dob")
    patient = Patient(clean_name(args.patient_name or "", "the patient's name"),
                      parse_date(args.dob) if args.dob else None)
    if patient.dob is not None and patient.dob > today:
        raise InputError(f"--dob {args.dob} is in the future")
    service_date = parse_date(args.scheduled) if args.scheduled else None
    start = parse_date(args.requested_on or args.scheduled_on) if (args.requested_on or args.scheduled_on) \
        else today
    if service_date is not None:
        if args.date and parse_date(args.date) != service_date:
            raise InputError(f"--date {args.date} differs from --scheduled {args.scheduled}; give one of them")
        args.date = service_date.isoformat()
    practice = ctx.practice()
    has_services = bool(args.lesions or args.em or args.add)
    est = None
    if has_services:
        encounter = encounter_from(args, ctx, ctx.practice_defaults())
        claim = build_claim(encounter, ctx.tables(on=encounter.date_of_service))
        payer = ctx.store.payer(args.payer)
        if payer.method is not Method.SELF_PAY:
            raise InputError(f"--payer {payer.name!r} is not a self-pay payer; a Good Faith Estimate uses the "
                             "self-pay price (default: Self-pay)")
        est = estimate(claim, payer, practice, benefits_from(_no_benefits()), lambda year: ctx.tables(year))
    gfe = build_gfe(est, practice, patient, start=start, service_date=service_date, issued_on=today,
                    separately=args.separately, primary_text=args.primary or "", requested=bool(args.requested_on))
    missing = missing_elements(gfe)
    if missing:
        raise GfeIncompleteError(missing)
    findings = [f for f in (est.findings if est else ()) if f.severity != "info"]
    late = late_finding(gfe)
    return gfe, [*findings, late] if late else findings


def gfe_tables(gfe: GoodFaithEstimate, ctx: Context) -> dict[str, object] | None:
    """The GFE's ``"tables"`` object: provisional only when a charge fell back to a stand-in Medicare rate."""
    if gfe.service_date is None:
        return None
    block = ctx.catalog.in_force(gfe.service_date.year, gfe.service_date)[1].as_dict()
    if not gfe.rates_for_year:
        block.update(provisional=False, note="priced from the practice's charge master: no Medicare rate is used")
    return block


def _no_benefits() -> argparse.Namespace:
    """Self-pay: no plan, so the standard (empty) benefits."""
    return argparse.Namespace(deductible_remaining=None, coinsurance=None, copay="0", copay_per="visit",
                              oop_remaining=None, secondary="0")


def run_gfe_issue(args: argparse.Namespace, ctx: Context) -> int:
    # Qt is imported only when a document is rendered, so other commands start without loading it
    # (the same reason estimator.app.main imports Qt inside main()).
    from estimator.reports.documents import gfe_html, html_to_pdf_bytes  # noqa: PLC0415

    if not args.out:
        raise InputError("say where to write the PDF: --out FILE.pdf")
    gfe, findings = prepare_gfe(args, ctx)
    for f in findings:
        sys.stderr.write(f"estimator: {f.severity}: {f.message}" + (f" Fix: {f.fix}" if f.fix else "") + "\n")
    out = check_output_path(args.out)
    pdf = html_to_pdf_bytes(gfe_html(gfe, args.lang))
    entry_id = gfe_log.issue(ctx.store, gfe, lang=args.lang, inputs={**gfe_inputs(args), "gfe": gfe_to_dict(gfe)},
                             pdf=pdf, out=out)
    due = gfe.due
    result = {"id": entry_id, "out": str(out), "total": format_money(gfe.total_cents),
              "due_date": due.due.isoformat() if due.due else None, "timing": due.timing.value,
              "rule": due.explain(), "retain_until": gfe_log.get(ctx.store, entry_id).record.retain_until,
              "lang": args.lang, "findings": [f.as_dict() for f in findings], "tables": gfe_tables(gfe, ctx)}
    if args.format == "json":
        write(json_text(result))
        return 0
    provisional = result["tables"] and result["tables"]["provisional"]
    write(f"Good Faith Estimate #{entry_id} written to {out} (total expected charges {result['total']}).\n"
          + (f"PROVISIONAL: {result['tables']['note']}\n" if provisional else "")
          + f"{due.explain()}\nLogged; keep until {result['retain_until']}.")
    return 0


def _record_row(r: gfe_log.GfeRecord) -> dict[str, Any]:
    return {"id": r.id, "issued": r.issued_at[:10], "patient": r.patient_name, "dob": r.patient_dob,
            "scheduled": r.scheduled_date or "requested", "due": r.due_date or "not required", "lang": r.lang,
            "total": format_money(r.total_cents), "retain_until": r.retain_until}


def run_gfe_list(args: argparse.Namespace, ctx: Context) -> int:
    rows = [_record_row(r) for r in gfe_log.list_entries(ctx.store, args.search)]
    if not rows and args.format == "table":
        write("no Good Faith Estimates logged" + (f" matching {args.search!r}" if args.search else ""))
        return 0
    write(render(rows, LIST_COLUMNS, args.format))
    return 0


def run_gfe_show(args: argparse.Namespace, ctx: Context) -> int:
    entry = gfe_log.get(ctx.store, _entry_id(args.id))
    gfe = entry.gfe
    data = {**_record_row(entry.record), "issued_at": entry.record.issued_at, "scheduled_on": entry.record.scheduled_on,
            "rule": gfe.due.explain(), "pdf_bytes": len(entry.pdf),
            "provider": {"name": gfe.providers[0].provider.name, "npi": gfe.providers[0].provider.npi,
                         "tin": gfe.providers[0].provider.tin, "address": gfe.providers[0].provider.address},
            "items": [{"code": i.code, "modifiers": list(i.modifiers), "units": i.units,
                       "diagnoses": list(i.diagnoses), "expected_charge": format_money(i.charge_cents),
                       "service": i.label} for i in gfe.items],
            "separately": list(gfe.separately), "inputs": entry.inputs.get("options", {})}
    if args.format == "json":
        write(json_text(data))
        return 0
    if args.format == "csv":
        write(render(data["items"], ("code", "modifiers", "units", "diagnoses", "expected_charge", "service"), "csv"))
        return 0
    head = [f"Good Faith Estimate #{data['id']}, issued {data['issued']} ({data['lang']})",
            f"patient        {data['patient']}, born {data['dob']}",
            f"scheduled      {data['scheduled']} (scheduled on {data['scheduled_on']})",
            f"must be given  {data['due']}: {data['rule']}",
            f"provider       {data['provider']['name']}, NPI {data['provider']['npi']}, TIN {data['provider']['tin']}",
            f"total          {data['total']}", f"keep until     {data['retain_until']}", ""]
    rows = [{**i, "modifiers": ",".join(i["modifiers"]), "diagnoses": ",".join(i["diagnoses"])} for i in data["items"]]
    body = table_text(rows, ("code", "modifiers", "units", "diagnoses", "expected_charge", "service"))
    tail = ["", "to be scheduled separately: " + ("; ".join(data["separately"]) or "none")]
    write("\n".join([*head, body, *tail]))
    return 0


def run_gfe_reprint(args: argparse.Namespace, ctx: Context) -> int:
    if not args.out:
        raise InputError("say where to write the copy: --out FILE.pdf")
    entry = gfe_log.get(ctx.store, _entry_id(args.id))
    write_bytes_atomically(Path(args.out), entry.pdf, staging=staging_dir())
    write(f"wrote the logged copy of Good Faith Estimate #{entry.record.id} to {args.out}")
    return 0


def run_gfe_compare(args: argparse.Namespace, ctx: Context) -> int:
    if not args.billed:
        raise InputError("give the billed total: --billed AMOUNT, e.g. --billed 612.50")
    entry_id = _entry_id(args.id)
    result = gfe_log.compare_bill(ctx.store, entry_id, parse_money(args.billed, "--billed"))
    data = {"id": entry_id, "gfe_total": format_money(result.gfe_total_cents),
            "billed": format_money(result.billed_cents), "excess": format_money(result.excess_cents),
            "threshold": format_money(DISPUTE_THRESHOLD_CENTS), "dispute_eligible": result.dispute_eligible}
    if args.format in ("json", "csv"):
        write(json_text(data) if args.format == "json" else render([data], tuple(data), "csv"))
        return 0
    if result.dispute_eligible:
        verdict = (f"FLAG: billed {data['excess']} over the estimate ($400 or more). The patient may start "
                   f"patient-provider dispute resolution within {DISPUTE_WINDOW_DAYS} days of the bill "
                   "(www.cms.gov/nosurprises, 1-800-985-3059).")
    elif result.excess_cents > 0:
        verdict = f"billed {data['excess']} over the estimate: under the $400 dispute threshold."
    else:
        verdict = "the bill is not over the estimate."
    write(f"Good Faith Estimate #{entry_id}: estimate {data['gfe_total']}, billed {data['billed']}: {verdict}")
    return 0


# --- exports and comparisons -------------------------------------------------------------------------------

def run_export_fee_schedule(args: argparse.Namespace, ctx: Context) -> int:
    tables = ctx.tables(parse_year(args.year) if args.year else None)
    key = resolve_locality(args.locality, tables, ctx.catalog)
    settings = list(Setting) if args.setting == "both" else [Setting(args.setting)]
    rows = csv_exports.fee_schedule_rows(tables, key, settings, CFVariant(args.cf), floor=not args.no_floor)
    csv_exports.write_csv(args.out, rows, csv_exports.fee_schedule_columns(settings))
    write("\n".join([f"wrote {len(rows)} codes ({tables.release}, locality {key}) to {args.out}",
                     *provisional_text(tables.tables_in_force)]))
    return 0


def _emit(rows: list[dict[str, Any]], columns: tuple[str, ...], args: argparse.Namespace,
          in_force: Sequence[TablesInForce]) -> int:
    """Print or write the rows; JSON rows carry their ``"tables"`` object, text says when it is provisional
    (``in_force``: one for all rows, or one per row)."""
    per_row = list(in_force) if len(in_force) == len(rows) else [in_force[0]] * len(rows)
    notes = list(dict.fromkeys(line for f in in_force for line in provisional_text(f)))
    if args.out:
        csv_exports.write_csv(args.out, rows, columns)
        write("\n".join([f"wrote {len(rows)} rows to {args.out}", *notes]))
    elif args.format == "json":
        write(json_text([{**r, "tables": tables_block(f)} for r, f in zip(rows, per_row, strict=True)]))
    elif args.format == "csv":
        write(render(rows, columns, "csv"))
    else:
        write("\n".join([*notes, render(rows, columns, args.format)]))
    return 0


def run_compare_payers(args: argparse.Namespace, ctx: Context) -> int:
    encounter = encounter_from(args, ctx, ctx.practice_defaults())
    tables = ctx.tables(on=encounter.date_of_service)
    claim = build_claim(encounter, tables)
    names = [n for n in (args.payers or "").split(",") if n.strip()]
    payers = [ctx.store.payer(n) for n in names] if names else ctx.store.payers()
    rows = compare_payers(claim, payers, ctx.practice(), benefits_from(args), lambda year: ctx.tables(year))
    return _emit(csv_exports.payer_rows(rows), csv_exports.PAYER_COLUMNS, args, [tables.tables_in_force])


def run_compare_localities(args: argparse.Namespace, ctx: Context) -> int:
    encounter = encounter_from(args, ctx, ctx.practice_defaults())
    tables = ctx.tables(on=encounter.date_of_service)
    rows = compare_localities(encounter, tables)
    if args.top is not None:
        if not ascii_digits(args.top.strip(), 4) or int(args.top) < 1:
            raise InputError(f"--top must be a whole number from 1 to 9999, got {args.top[:20]!r}")
        rows = rows[:int(args.top)]
    return _emit(csv_exports.locality_rows(rows), csv_exports.LOCALITY_COLUMNS, args, [tables.tables_in_force])


def run_compare_years(args: argparse.Namespace, ctx: Context) -> int:
    encounter = encounter_from(args, ctx, ctx.practice_defaults())
    years = [parse_year(y) for y in args.years.split(",") if y.strip()] if args.years else ctx.catalog.years()
    tables = [ctx.tables(y) for y in years]
    rows = csv_exports.year_rows(compare_years(encounter, tables))
    for row, t in zip(rows, tables, strict=True):  # a year priced with a stand-in release says so
        if t.tables_in_force.provisional:
            row.update(year=t.tables_in_force.for_year, release=f"{t.release} (provisional)")
    return _emit(rows, csv_exports.YEAR_COLUMNS, args, [t.tables_in_force for t in tables])


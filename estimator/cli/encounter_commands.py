"""``estimator encounter`` and ``estimator global-period``: a whole visit priced and checked."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from estimator.cli.common import Context, Parser, add_format, locality_from, parse_date, provisional_text, tables_block
from estimator.cli.output import json_text, table_text, write
from estimator.core import codes as cs
from estimator.core.encounter import Claim, Encounter, PriorService, ServiceLine
from estimator.core.errors import InputError
from estimator.core.lesions import parse_lesion_count
from estimator.core.money import format_money
from estimator.core.rules import build_claim, global_period
from estimator.core.schedule import CFVariant


def add_encounter_options(p: argparse.ArgumentParser) -> None:
    """The options that describe a visit (shared by encounter, estimate and gfe)."""
    p.add_argument("--lesions", help="premalignant lesions destroyed (-> 17000/17003/17004)")
    p.add_argument("--em", help="office E/M visit, 99202-99205 or 99211-99215 (modifier 25 added when needed)")
    p.add_argument("--g2211", action="store_true", help="add G2211 to the visit")
    p.add_argument("--add", action="append", default=[], metavar="CODE[xUNITS][:MOD,MOD][@DX,DX]",
                   help="another procedure, e.g. 11102, 17110:59, 11103x2:RT (repeatable)")
    p.add_argument("--dx", action="append", default=[], metavar="ICD10", help="diagnosis code, e.g. L57.0 (repeatable)")
    p.add_argument("--date", help="date of service YYYY-MM-DD (default: today); picks the tables in force")
    p.add_argument("--locality", help="7-digit MAC+locality key, or 'national' (default: practice's or national)")
    p.add_argument("--pos", help="place of service (default: the practice's, else 11 office)")
    p.add_argument("--cf", choices=[v.value for v in CFVariant], help="conversion factor: nonqp or qp")
    p.add_argument("--no-floor", action="store_true", help="work GPCI without the 1.0 floor")
    p.add_argument("--prior", action="append", default=[], metavar="CODE@YYYY-MM-DD",
                   help="an earlier procedure, for the global-period check (repeatable)")
    p.add_argument("--documented", metavar="LIST",
                   help=f"documentation recorded, comma-separated from: {','.join(cs.DOCUMENTATION_ELEMENTS)}")


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("encounter", help="price and check a whole visit",
                                    description="A visit priced line by line with the billing rules applied.")
    add_encounter_options(p)
    add_format(p)
    p.add_argument("--explain", action="store_true", help="show how every number was computed")
    p.set_defaults(run=run_encounter)

    p = commands.add_parser("global-period", help="last day of a procedure's global period")
    p.add_argument("--code", required=True)
    p.add_argument("--date", required=True, help="procedure date YYYY-MM-DD")
    p.add_argument("--visit", help="a later visit date to test YYYY-MM-DD")
    add_format(p)
    p.set_defaults(run=run_global_period)


def encounter_from(args: argparse.Namespace, ctx: Context, defaults: dict[str, Any] | None = None) -> Encounter:
    """Build the Encounter the options describe (``defaults`` from the practice profile).

    Raises:
        InputError: any option malformed.
    """
    defaults = defaults or {}
    date = parse_date(args.date) if args.date else dt.date.today()
    tables = ctx.tables(on=date)
    if args.locality is None and defaults.get("locality"):
        args.locality = defaults["locality"]
    locality = locality_from(args, tables, catalog=ctx.catalog)
    pos = args.pos or defaults.get("pos") or "11"
    tables.places.get(pos)
    lesions = parse_lesion_count(args.lesions) if args.lesions is not None else 0
    if not lesions and not args.em and not args.add:
        raise InputError("nothing to price: give --lesions N, --em CODE and/or --add CODE")
    prior = []
    for text in args.prior:
        code, sep, day = text.partition("@")
        if not sep:
            raise InputError(f"--prior {text!r}: use CODE@YYYY-MM-DD, e.g. 17000@2026-02-20")
        prior.append(PriorService(cs.normalize_code(code), parse_date(day)))
    documented = None
    if args.documented is not None:
        documented = frozenset(x.strip().lower() for x in args.documented.split(",") if x.strip())
    em = cs.normalize_code(args.em) if args.em else None
    return Encounter(
        date_of_service=date, place_of_service=pos, locality_key=locality,
        cf_variant=CFVariant(args.cf or defaults.get("cf") or CFVariant.NONQP.value),
        work_floor=not args.no_floor, lesions=lesions, em_code=em, g2211=args.g2211,
        procedures=tuple(ServiceLine.parse(a) for a in args.add),
        diagnoses=tuple(cs.normalize_diagnosis(d) for d in args.dx), prior_services=tuple(prior),
        documented=documented,
    )


def claim_dict(claim: Claim) -> dict[str, Any]:
    """The claim as JSON-ready data (money as two-decimal strings)."""
    return {
        "date_of_service": claim.encounter.date_of_service.isoformat(), "year": claim.year,
        "release": claim.release, "locality": claim.encounter.locality_key,
        "place_of_service": claim.place.code, "setting": claim.setting.value,
        "cf_variant": claim.encounter.cf_variant.value,
        "lines": [{
            "code": ln.code, "units": ln.units, "modifiers": list(ln.modifiers), "diagnoses": list(ln.diagnoses),
            "label": ln.label,
            "unit_amount": format_money(ln.unit_cents) if ln.unit_cents is not None else None,
            "reduction_pct": f"{ln.reduction_pct:.2f}",
            "amount": format_money(ln.cents) if ln.cents is not None else None,
            "mppr_rank": list(ln.mppr_ranks), "by_report": ln.by_report, "reason": ln.reason,
            "unpaid": ln.unpaid, "bilateral_pct": ln.bilateral_pct, "na_setting": ln.na_setting,
            "trace": ln.trace.lines(),
        } for ln in claim.lines],
        "total": format_money(claim.total_cents),
        "findings": [f.as_dict() for f in claim.findings],
        "tables": tables_block(claim.in_force),
    }


def claim_table(claim: Claim, explain: bool) -> str:
    rows = [{"code": ln.code, "mods": ",".join(ln.modifiers), "units": ln.units,
             "each": format_money(ln.unit_cents) if ln.unit_cents is not None else "-",
             "reduction": f"{ln.reduction_pct.normalize():f}%" if ln.reduction_pct else "",
             "amount": format_money(ln.cents) if ln.cents is not None else "not payable",
             "service": ln.label if not ln.unpaid else f"not paid: {ln.unpaid}"} for ln in claim.lines]
    rows.append({"code": "total", "amount": format_money(claim.total_cents)})
    out = [f"{claim.encounter.date_of_service.isoformat()}  {claim.release}  locality {claim.encounter.locality_key}"
           f"  POS {claim.place.code} ({claim.place.name}, {claim.setting.label})",
           *provisional_text(claim.in_force),
           table_text(rows, ("code", "mods", "units", "each", "reduction", "amount", "service"))]
    if explain:
        for ln in claim.lines:
            out.append(f"\n{ln.code}{'-' + '-'.join(ln.modifiers) if ln.modifiers else ''}:")
            out.extend(f"  {t}" for t in ln.trace.lines())
    if claim.findings:
        out.append("\nFindings:")
        for f in claim.findings:
            out.append(f"  [{f.severity}] {f.message}" + (f" Fix: {f.fix}" if f.fix else ""))
            if explain:
                out.append(f"      source: {f.source}")
    return "\n".join(out)


def run_encounter(args: argparse.Namespace, ctx: Context) -> int:
    encounter = encounter_from(args, ctx, ctx.practice_defaults())
    claim = build_claim(encounter, ctx.tables(on=encounter.date_of_service))
    write(json_text(claim_dict(claim)) if args.format == "json" else claim_table(claim, args.explain))
    return 0


def run_global_period(args: argparse.Namespace, ctx: Context) -> int:
    code = cs.normalize_code(args.code)
    day = parse_date(args.date)
    tables = ctx.tables(on=day)
    days = str(tables.schedule.global_days[tables.schedule.row(code)])
    period = global_period(days, day)
    visit = parse_date(args.visit) if args.visit else None
    result: dict[str, Any] = {"code": code, "global_days": days, "procedure_date": day.isoformat(),
                              "first_day": period[0].isoformat() if period else None,
                              "last_day": period[1].isoformat() if period else None}
    if visit is not None:
        result["visit"] = visit.isoformat()
        result["inside"] = bool(period and period[0] <= visit <= period[1])
    if args.format == "json":
        write(json_text(result))
        return 0
    if period is None:
        text = f"{code} has no global period of its own (GLOB DAYS {days})."
    else:
        text = f"{code} (global {days}) done {day.isoformat()}: global period {period[0].isoformat()} " \
               f"through {period[1].isoformat()}."
    if visit is not None:
        text += (f"\nVisit {visit.isoformat()} is INSIDE the global period: a related visit is not paid; "
                 "an unrelated one needs modifier 24 (79 for an unrelated procedure)." if result["inside"]
                 else f"\nVisit {visit.isoformat()} is outside the global period.")
    write(text)
    return 0

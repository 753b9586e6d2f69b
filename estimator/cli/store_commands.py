"""``estimator practice | payers | estimate | demo``: the practice's own data and patient estimates."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from estimator.cli.encounter_commands import add_encounter_options, claim_dict, encounter_from
from estimator.cli.output import json_text, render, table_text, write
from estimator.core import codes as cs
from estimator.core.cost_sharing import Benefits, CopayPer, Estimate, estimate, uses_provisional_rates
from estimator.core.errors import InputError
from estimator.core.gfe import Patient
from estimator.core.ids import validate_npi, validate_tin
from estimator.core.money import format_money
from estimator.core.parsing import clean_name, parse_conversion_factor, parse_money
from estimator.core.parsing import parse_percent as parse_any_percent
from estimator.core.payers import (
    MAX_FREQUENCY_COUNT,
    MAX_FREQUENCY_DAYS,
    MEDICARE,
    PRACTICE_LOCALITY,
    VISIT_LOCALITY,
    Method,
    Payer,
    Practice,
)
from estimator.core.rules import build_claim
from estimator.core.schedule import CFVariant
from estimator.reports import csv_exports
from estimator.store import csv_io
from estimator.store.demo import load_demo

YES_NO = ("yes", "no")


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("practice", help="the practice profile and charge master")
    sub = p.add_subparsers(dest="practice_command", required=True, parser_class=Parser)
    show = sub.add_parser("show", help="show the practice profile")
    add_format(show)
    show.set_defaults(run=run_practice_show)
    st = sub.add_parser("set", help="change the practice profile")
    st.add_argument("--name")
    st.add_argument("--npi", help="10-digit National Provider Identifier")
    st.add_argument("--tin", help="Tax Identification Number, e.g. 12-3456789")
    st.add_argument("--address")
    st.add_argument("--locality", help="default 7-digit locality key (or 'national')")
    st.add_argument("--pos", help="default place of service")
    st.add_argument("--qp", choices=YES_NO, help="qualifying APM participant (QP conversion factor)")
    st.add_argument("--participating", choices=YES_NO, help="Medicare participating provider")
    st.add_argument("--accepts-assignment", choices=YES_NO,
                    help="non-participating only: 'no' bills Medicare patients unassigned (up to the limiting "
                         "charge; Medicare reimburses the patient)")
    st.set_defaults(run=run_practice_set)
    ch = sub.add_parser("charges", help="import or export the charge master (code,modifier,charge)")
    ch.add_argument("action", choices=("import", "export", "show"))
    ch.add_argument("file", nargs="?")
    ch.set_defaults(run=run_charges)

    p = commands.add_parser("payers", help="payer contracts")
    sub = p.add_subparsers(dest="payers_command", required=True, parser_class=Parser)
    ls = sub.add_parser("list", help="all payers")
    add_format(ls)
    ls.set_defaults(run=run_payers_list)
    sh = sub.add_parser("show", help="one payer")
    sh.add_argument("name")
    add_format(sh)
    sh.set_defaults(run=run_payers_show)
    add = sub.add_parser("add", help="add a payer contract")
    add.add_argument("name")
    _contract_options(add)
    add.set_defaults(run=run_payers_add)
    ed = sub.add_parser("edit", help="change a payer contract")
    ed.add_argument("name")
    ed.add_argument("--rename")
    _contract_options(ed)
    ed.set_defaults(run=run_payers_edit)
    rm = sub.add_parser("remove", help="remove a payer")
    rm.add_argument("name")
    rm.set_defaults(run=run_payers_remove)
    im = sub.add_parser("import", help="load a fee schedule CSV (code,modifier,amount); creates the payer if new")
    im.add_argument("name")
    im.add_argument("file")
    im.set_defaults(run=run_payers_import)
    ex = sub.add_parser("export", help="write a payer's fee schedule as CSV")
    ex.add_argument("name")
    ex.add_argument("file")
    ex.set_defaults(run=run_payers_export)

    p = commands.add_parser("estimate", help="what the payer pays and the patient owes for a visit")
    add_encounter_options(p)
    add_benefit_options(p)
    add_format(p)
    p.add_argument("--explain", action="store_true", help="show how every number was computed")
    p.add_argument("--pdf", metavar="FILE", help="also write the patient estimate as a PDF")
    p.add_argument("--lang", choices=("en", "es"), default="en", help="language of the PDF (default: en)")
    p.add_argument("--patient-name", help="the patient's name, printed on the PDF")
    p.add_argument("--dob", metavar="YYYY-MM-DD", help="the patient's date of birth, printed on the PDF")
    p.add_argument("--csv", metavar="FILE", help="also write the estimate as CSV (one row per line, and a total)")
    p.add_argument("--unassigned", action="store_true",
                   help="non-participating practice: this Medicare claim is unassigned (the patient pays up to the "
                        "limiting charge and Medicare reimburses the patient); default: the practice's setting")
    p.set_defaults(run=run_estimate)

    p = commands.add_parser("demo", help="example data to try every feature")
    p.add_argument("action", choices=("load",))
    p.set_defaults(run=run_demo)


def add_benefit_options(p: argparse.ArgumentParser, *, payer: bool = True) -> None:
    """The patient's benefits, as ``estimate`` takes them; ``payer=False`` leaves out ``--payer`` (``compare
    payers`` prices every payer)."""
    if payer:
        p.add_argument("--payer", default=MEDICARE, help="payer name (default: Medicare)")
    p.add_argument("--deductible-remaining", help="patient's deductible left this year, in dollars")
    p.add_argument("--coinsurance", help="coinsurance percent (Medicare: 20)")
    p.add_argument("--copay", default="0", help="copay in dollars")
    p.add_argument("--copay-per", choices=[c.value for c in CopayPer], default="visit")
    p.add_argument("--oop-remaining", help="out-of-pocket maximum left this year, in dollars")
    p.add_argument("--secondary", default="0", help="percent of the patient's share a secondary plan pays")


def _contract_options(p: argparse.ArgumentParser) -> None:
    method = p.add_mutually_exclusive_group()
    method.add_argument("--percent-of-medicare", metavar="PCT", help="pay PCT%% of the Medicare fee")
    method.add_argument("--conversion-factor", metavar="X", help="pay the payer's own CF x the CMS RVUs")
    method.add_argument("--fee-schedule", metavar="FILE.csv", help="a fixed fee per code (code,modifier,amount)")
    p.add_argument("--year", help="Medicare year the percentage is pinned to (default: the date of service's)")
    p.add_argument("--locality", help="locality the percentage is pinned to (key, ZIP or name), or 'visit' "
                   "(default: the visit's own locality)")
    p.add_argument("--cf", choices=[v.value for v in CFVariant], help="Medicare CF variant (default: practice's)")
    p.add_argument("--em25-reduction", metavar="PCT", help="cut on an E/M billed with modifier 25, in %%")
    p.add_argument("--mppr", choices=("on", "off"), help="apply the multiple-procedure reduction")
    p.add_argument("--mppr-rate", metavar="PCT", help="what procedures ranked 2-5 are paid (default 50%%)")
    p.add_argument("--lesser-of-charge", choices=YES_NO, help="pay the lesser of billed charge and contract rate")
    p.add_argument("--override", action="append", default=[], metavar="CODE[-MOD]=AMOUNT",
                   help="a per-code rate (repeatable)")
    p.add_argument("--discount", metavar="PCT", help="self-pay discount off the charge master")
    p.add_argument("--effective-from", metavar="YYYY-MM-DD")
    p.add_argument("--effective-to", metavar="YYYY-MM-DD")
    p.add_argument("--frequency", metavar="N/DAYS", help="covers AK destruction at most N times in DAYS days")
    p.add_argument("--prior-auth", metavar="CODE,CODE", help="codes that need prior authorization")
    p.add_argument("--notes")


def _yes(text: str | None, current: bool) -> bool:
    return current if text is None else text == "yes"


# --- practice -----------------------------------------------------------------------------------------------

def practice_dict(practice: Practice) -> dict[str, Any]:
    return {"name": practice.name, "npi": practice.npi, "tin": practice.tin, "address": practice.address,
            "locality": practice.locality_key, "pos": practice.place_of_service,
            "qp": practice.qualifying_apm, "participating": practice.participating,
            "accepts_assignment": practice.accepts_assignment,
            "charge_master_codes": len(practice.charges)}


def run_practice_show(args: argparse.Namespace, ctx: Context) -> int:
    data = practice_dict(ctx.store.practice())
    write(json_text(data) if args.format == "json" else "\n".join(f"{k:20} {v}" for k, v in data.items()))
    return 0


def run_practice_set(args: argparse.Namespace, ctx: Context) -> int:
    current = ctx.store.practice()
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = args.name.strip()
    if args.npi is not None:
        changes["npi"] = validate_npi(args.npi)
    if args.tin is not None:
        changes["tin"] = validate_tin(args.tin)
    if args.address is not None:
        changes["address"] = args.address.strip()
    tables = ctx.tables()
    if args.locality is not None:
        changes["locality_key"] = resolve_locality(args.locality, tables, ctx.catalog)
    if args.pos is not None:
        changes["place_of_service"] = tables.places.get(args.pos).code
    changes["qualifying_apm"] = _yes(args.qp, current.qualifying_apm)
    changes["participating"] = _yes(args.participating, current.participating)
    changes["accepts_assignment"] = _yes(args.accepts_assignment, current.accepts_assignment)
    if changes["participating"] and not changes["accepts_assignment"]:
        raise InputError("a participating practice always accepts assignment; use --participating no as well")
    ctx.store.save_practice(dataclasses.replace(current, **changes))
    write("practice profile saved")
    return 0


def run_charges(args: argparse.Namespace, ctx: Context) -> int:
    if args.action == "show":
        charges = ctx.store.practice().charges
        rows = [{"code": c, "modifier": m, "charge": format_money(v)} for (c, m), v in sorted(charges.items())]
        write(table_text(rows, ("code", "modifier", "charge")))
        return 0
    if not args.file:
        raise InputError(f"'practice charges {args.action}' needs a FILE")
    if args.action == "import":
        charges = csv_io.read_amounts(Path(args.file), ctx.tables().schedule, "charge")
        ctx.store.replace_charges(charges)
        write(f"imported {len(charges)} charges")
    else:
        csv_io.write_amounts(Path(args.file), ctx.store.practice().charges, "charge")
        write(f"wrote {args.file}")
    return 0


# --- payers -------------------------------------------------------------------------------------------------

def payer_dict(payer: Payer) -> dict[str, Any]:
    return {
        "name": payer.name, "method": payer.method.value, "describe": payer.describe(),
        "percent_of_medicare": None if payer.percent is None else str(payer.percent), "year": payer.year,
        "locality": payer.locality, "cf": payer.cf_variant.value if payer.cf_variant else None,
        "conversion_factor": None if payer.conversion_factor is None else str(payer.conversion_factor),
        "fee_schedule_codes": len(payer.fees),
        "overrides": {f"{c}{'-' + m if m else ''}": format_money(v) for (c, m), v in sorted(payer.overrides.items())},
        "em25_reduction": str(payer.em25_reduction), "mppr": payer.mppr,
        "mppr_rate": str(payer.mppr_secondary_pct), "lesser_of_charge": payer.lesser_of_charge,
        "self_pay_discount": str(payer.self_pay_discount),
        "effective_from": payer.effective_from.isoformat() if payer.effective_from else None,
        "effective_to": payer.effective_to.isoformat() if payer.effective_to else None,
        "frequency_limit": f"{payer.frequency_count}/{payer.frequency_days}" if payer.frequency_count else None,
        "prior_auth_codes": sorted(payer.prior_auth_codes), "builtin": payer.builtin, "notes": payer.notes,
    }


def run_payers_list(args: argparse.Namespace, ctx: Context) -> int:
    rows = [payer_dict(p) for p in ctx.store.payers()]
    write(render(rows, ("name", "describe", "em25_reduction", "mppr", "lesser_of_charge"), args.format,
                 ("payer", "contract", "E/M-25 cut %", "MPPR", "lesser of charge")))
    return 0


def run_payers_show(args: argparse.Namespace, ctx: Context) -> int:
    data = payer_dict(ctx.store.payer(args.name))
    write(json_text(data) if args.format == "json" else "\n".join(f"{k:20} {v}" for k, v in data.items()))
    return 0


def _contract(args: argparse.Namespace, ctx: Context, base: Payer | None) -> Payer:
    """A Payer from the options, on top of ``base`` for an edit."""
    changes: dict[str, Any] = {}
    tables = ctx.tables()
    if args.percent_of_medicare is not None:
        changes.update(method=Method.PERCENT_OF_MEDICARE,
                       percent=parse_percent(args.percent_of_medicare, "--percent-of-medicare", 1000,
                                             fraction_below=10))
    elif args.conversion_factor is not None:
        changes.update(method=Method.OWN_CF,
                       conversion_factor=parse_conversion_factor(args.conversion_factor, "--conversion-factor"))
    elif args.fee_schedule is not None:
        changes.update(method=Method.FEE_SCHEDULE, fees=csv_io.read_amounts(Path(args.fee_schedule), tables.schedule))
    elif base is None:
        raise InputError("say how the payer pays: --percent-of-medicare PCT, --conversion-factor X "
                         "or --fee-schedule FILE")
    if args.year is not None:
        year = parse_year(args.year)
        ctx.catalog.release_for(year)
        changes["year"] = year
    if args.locality is not None:
        key = args.locality.strip()
        if key.lower() in (PRACTICE_LOCALITY, VISIT_LOCALITY):
            changes["locality"] = PRACTICE_LOCALITY  # not pinned: the visit's locality
        else:
            changes["locality"] = resolve_locality(key, tables, ctx.catalog)
    if args.cf is not None:
        changes["cf_variant"] = CFVariant(args.cf)
    if args.em25_reduction is not None:
        changes["em25_reduction"] = parse_percent(args.em25_reduction, "--em25-reduction")
    if args.mppr is not None:
        changes["mppr"] = args.mppr == "on"
    if args.mppr_rate is not None:
        changes["mppr_secondary_pct"] = parse_percent(args.mppr_rate, "--mppr-rate")
    if args.lesser_of_charge is not None:
        changes["lesser_of_charge"] = args.lesser_of_charge == "yes"
    if args.discount is not None:
        changes["self_pay_discount"] = parse_percent(args.discount, "--discount")
    if args.override:
        overrides = dict(base.overrides) if base else {}
        for text in args.override:
            code_text, sep, amount = text.partition("=")
            if not sep:
                raise InputError(f"--override {text!r}: use CODE[-MOD]=AMOUNT, e.g. 17000=75.00")
            code, _, mod = code_text.strip().partition("-")
            code, mod = cs.normalize_code(code), mod.strip().upper()
            tables.schedule.row(code, mod)
            overrides[(code, mod)] = parse_money(amount, f"--override {code}")
        changes["overrides"] = overrides
    for option, attr in (("effective_from", "effective_from"), ("effective_to", "effective_to")):
        value = getattr(args, option)
        if value is not None:
            changes[attr] = parse_date(value) if value else None
    if args.frequency is not None:
        match = re.fullmatch(r"\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*", args.frequency)
        if not match:
            raise InputError(f"--frequency {args.frequency[:40]!r}: use N/DAYS with N up to {MAX_FREQUENCY_COUNT} "
                             f"and DAYS up to {MAX_FREQUENCY_DAYS}, e.g. 1/365")
        changes.update(frequency_count=int(match.group(1)), frequency_days=int(match.group(2)))
    if args.prior_auth is not None:
        changes["prior_auth_codes"] = frozenset(cs.normalize_code(c) for c in args.prior_auth.split(",") if c.strip())
    if args.notes is not None:
        changes["notes"] = args.notes
    if base is None:
        method = changes.pop("method")
        return Payer(name=clean_name(args.name, "the payer's name"), method=method, **changes)
    if "rename" in args and args.rename:
        changes["name"] = clean_name(args.rename, "--rename")
    return dataclasses.replace(base, **changes)


def run_payers_add(args: argparse.Namespace, ctx: Context) -> int:
    payer = _contract(args, ctx, None)
    ctx.store.add_payer(payer)
    write(f"added {payer.name}: {payer.describe()}")
    return 0


def run_payers_edit(args: argparse.Namespace, ctx: Context) -> int:
    stamp = ctx.store.payer_stamp(args.name)  # a save by another workstation meanwhile is refused, not lost
    base = ctx.store.payer(args.name)
    payer = _contract(args, ctx, base)
    ctx.store.update_payer(args.name, payer, version=stamp.version)
    write(f"saved {payer.name}: {payer.describe()}")
    return 0


def run_payers_remove(args: argparse.Namespace, ctx: Context) -> int:
    ctx.store.remove_payer(args.name)
    write(f"removed {args.name}")
    return 0


def run_payers_import(args: argparse.Namespace, ctx: Context) -> int:
    fees = csv_io.read_amounts(Path(args.file), ctx.tables().schedule)
    name = args.name.strip()
    create = None if name.lower() in (p.lower() for p in ctx.store.payer_names()) else \
        Payer(name, Method.FEE_SCHEDULE)
    ctx.store.replace_fees(name, fees, create=create)
    write(f"imported {len(fees)} fees into {name}")
    return 0


def run_payers_export(args: argparse.Namespace, ctx: Context) -> int:
    payer = ctx.store.payer(args.name)
    csv_io.write_amounts(Path(args.file), payer.fees)
    write(f"wrote {len(payer.fees)} fees of {payer.name} to {args.file}")
    return 0


def run_demo(args: argparse.Namespace, ctx: Context) -> int:
    added = load_demo(ctx.store, ctx.tables())
    write("demo data loaded: " + ", ".join(added) if added else "demo data was already loaded")
    return 0


# --- estimates ----------------------------------------------------------------------------------------------

def parse_percent(text: str, what: str, upper: int = 100, fraction_below: int = 1) -> Decimal:
    """A percentage option in %; a bare fraction such as 0.2 is refused as probably meaning 20%.

    ``fraction_below``: values under it (and above 0) without a % sign are taken for fractions (10 for a
    percentage of Medicare: a 1.1% contract is a typo for 110%).

    Raises:
        InputError: out of range, or a fraction written without a % sign ("did you mean 20%?").
    """
    value = parse_any_percent(text, what, upper)
    if 0 < value < fraction_below and not text.strip().endswith("%"):
        meant = (value * 100).normalize()
        raise InputError(f"{what} {text.strip()}: percentages are written in %, did you mean {meant:f}%? "
                         f"(write {meant:f}; for {text.strip()}% itself write {text.strip()}%)")
    return value


def benefits_from(args: argparse.Namespace) -> Benefits:
    """The patient's benefits from the options.

    Raises:
        InputError: a negative amount or a percentage out of range.
    """
    return Benefits(
        deductible_remaining_cents=None if args.deductible_remaining is None
        else parse_money(args.deductible_remaining, "--deductible-remaining"),
        coinsurance_pct=None if args.coinsurance is None else parse_percent(args.coinsurance, "--coinsurance"),
        copay_cents=parse_money(args.copay, "--copay"), copay_per=CopayPer(args.copay_per),
        oop_remaining_cents=None if args.oop_remaining is None else parse_money(args.oop_remaining, "--oop-remaining"),
        secondary_pct=parse_percent(args.secondary, "--secondary"),
    )


def make_estimate(args: argparse.Namespace, ctx: Context) -> Estimate:
    """Everything ``estimate`` and ``gfe`` share: encounter, claim, payer, benefits -> Estimate."""
    benefits = benefits_from(args)
    encounter = encounter_from(args, ctx, ctx.practice_defaults())
    tables = ctx.tables(on=encounter.date_of_service)
    claim = build_claim(encounter, tables)
    payer = ctx.store.payer(args.payer)
    return estimate(claim, payer, ctx.store.practice(), benefits, lambda year: ctx.tables(year),
                    assigned=False if getattr(args, "unassigned", False) else None)


def estimate_dict(est: Estimate) -> dict[str, Any]:
    """The estimate as JSON-ready data; the payer/patient split is ``None`` when the benefits are unknown."""

    def known(cents: int) -> str | None:
        return format_money(cents) if est.patient_known else None

    lines = []
    for ln, claim_line in zip(est.lines, claim_dict(est.claim)["lines"], strict=True):
        lines.append({**claim_line,
                      "medicare_amount": claim_line["amount"], "allowed": format_money(ln.allowed_cents),
                      "payer_pays": known(ln.payer_cents), "secondary_pays": format_money(ln.secondary_cents),
                      "patient_owes": known(ln.patient_cents), "deductible": format_money(ln.deductible_cents),
                      "coinsurance": format_money(ln.coinsurance_cents), "copay": format_money(ln.copay_cents),
                      "sequestration": format_money(ln.sequestration_cents),
                      "medicare_reimburses_patient": format_money(ln.reimbursed_cents),
                      "charge": None if ln.allowed.charge_cents is None else format_money(ln.allowed.charge_cents),
                      "contractual_adjustment": (None if ln.adjustment_cents is None
                                                 else format_money(ln.adjustment_cents)),
                      "allowed_notes": list(ln.allowed.notes)})
    charge = est.charge_cents
    limiting = est.limiting_charge_cents
    return {
        "payer": est.payer.name, "contract": est.payer.describe(),
        "date_of_service": est.claim.encounter.date_of_service.isoformat(), "release": est.claim.release,
        "locality": est.claim.encounter.locality_key, "setting": est.claim.setting.value,
        "lines": lines,
        "medicare_total": format_money(est.claim.total_cents),
        "allowed": format_money(est.allowed_cents), "payer_pays": known(est.payer_cents),
        "secondary_pays": format_money(est.secondary_cents), "patient_owes": known(est.patient_cents),
        "sequestration": format_money(est.sequestration_cents),
        "patient_breakdown": {"deductible": format_money(est.total("deductible_cents")),
                              "coinsurance": format_money(est.total("coinsurance_cents")),
                              "copay": format_money(est.total("copay_cents")),
                              "self_pay": format_money(est.total("self_pay_cents")),
                              "secondary_pays": format_money(est.secondary_cents)},
        "charge": None if charge is None else format_money(charge),
        "contractual_adjustment": None if charge is None else format_money(charge - est.allowed_cents),
        "limiting_charge": None if limiting is None else format_money(limiting),
        "unassigned": est.unassigned,
        "medicare_reimburses_patient": format_money(est.reimbursed_cents),
        "patient_net_cost": format_money(est.net_patient_cents),
        "findings": [f.as_dict() for f in est.findings],
        "assumptions": list(est.assumptions),
        "tables": estimate_tables(est),
    }


def estimate_tables(est: Estimate) -> dict[str, object] | None:
    """The estimate's ``"tables"`` object; a self-pay price from the charge master alone is never provisional
    (it uses no Medicare rate)."""
    block = tables_block(est.claim.in_force)
    if block is not None and not uses_provisional_rates(est.claim, est.payer, [ln.allowed for ln in est.lines]):
        block["provisional"] = False
        if est.payer.method is Method.SELF_PAY:
            block["note"] = "priced from the practice's charge master: no Medicare rate is used"
    return block


def run_estimate(args: argparse.Namespace, ctx: Context) -> int:
    est = make_estimate(args, ctx)
    # --csv / --pdf: the estimate as files too; their notices go to stderr so stdout stays as it was.
    if args.csv:
        csv_exports.write_csv(args.csv, csv_exports.estimate_rows(est), csv_exports.ESTIMATE_COLUMNS)
        sys.stderr.write(f"wrote {args.csv}\n")
    if args.pdf:
        # Qt loads only when a PDF is asked for, so every other command starts without it.
        from estimator.reports.documents import html_to_pdf, patient_estimate_html  # noqa: PLC0415

        patient = Patient((args.patient_name or "").strip(), parse_date(args.dob) if args.dob else None)
        html_to_pdf(patient_estimate_html(est, ctx.practice(), patient, args.lang), args.pdf)
        sys.stderr.write(f"wrote {args.pdf}\n")
    data = estimate_dict(est)
    if args.format == "json":
        write(json_text(data))
        return 0
    unknown = "unknown"
    rows = [{"code": ln["code"], "mods": ",".join(ln["modifiers"]), "units": ln["units"], "allowed": ln["allowed"],
             "payer": ln["payer_pays"] or unknown, "patient": ln["patient_owes"] or unknown,
             "seq": ln["sequestration"]} for ln in data["lines"]]
    rows.append({"code": "total", "allowed": data["allowed"], "payer": data["payer_pays"] or unknown,
                 "patient": data["patient_owes"] or unknown, "seq": data["sequestration"]})
    out = [f"{data['payer']} ({data['contract']}), {data['date_of_service']}, {data['release']}",
           *(provisional_text(est.claim.in_force) if data["tables"] and data["tables"]["provisional"] else []),
           table_text(rows, ("code", "mods", "units", "allowed", "payer", "patient", "seq"),
                      ("code", "mods", "units", "allowed", "payer pays", "patient owes", "sequestration")),
           "\nPatient share unknown: enter benefits (--deductible-remaining, --coinsurance, --copay)"
           if data["patient_owes"] is None else
           f"\nPatient owes {data['patient_owes']}: " + (
               "self-pay, the whole amount" if est.payer.method is Method.SELF_PAY else
               f"deductible {data['patient_breakdown']['deductible']}, "
               f"coinsurance {data['patient_breakdown']['coinsurance']}, copay {data['patient_breakdown']['copay']}")
           + (f", after the secondary plan pays {data['secondary_pays']}" if data["secondary_pays"] != "0.00" else "")]
    if data["limiting_charge"]:
        out.append(f"Non-participating: limiting charge {data['limiting_charge']} "
                   "(the most the patient can be billed).")
    if est.unassigned:
        out.append(f"Unassigned claim: the patient pays the practice {data['patient_owes']}; Medicare then pays the "
                   f"patient {data['medicare_reimburses_patient']}, so the patient's own cost is "
                   f"{data['patient_net_cost']}.")
    if args.explain:
        for ln in data["lines"]:
            out.append(f"\n{ln['code']}: " + "; ".join(ln["allowed_notes"]))
            out.extend(f"  {t}" for t in ln["trace"])
    for f in data["findings"]:
        if f["severity"] != "info" or args.explain:
            out.append(f"[{f['severity']}] {f['message']}" + (f" Fix: {f['fix']}" if f["fix"] else ""))
    out.append("Assumptions: " + " ".join(data["assumptions"]))
    write("\n".join(out))
    return 0


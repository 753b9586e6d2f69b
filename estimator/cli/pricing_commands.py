"""``estimator price | lesions | localities | tables``: the fee schedule from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from estimator import paths
from estimator.cli.common import (
    Context,
    Parser,
    add_format,
    add_pricing_options,
    locality_from,
    parse_date,
    parse_year,
    provisional_text,
    settings_from,
    tables_block,
)
from estimator.cli.output import json_text, render, table_text, write
from estimator.core.errors import InputError
from estimator.core.lesions import TIER_BREAK, parse_lesion_count, price_lesions
from estimator.core.money import format_money, from_scaled
from estimator.core.parsing import ascii_digits
from estimator.core.pricing import locality_gpcis, price_grid, price_note, unpriced_reason
from estimator.core.schedule import CFVariant
from estimator.tables.importing import import_ptp, import_release
from estimator.tables.provisional_cf import clear_provisional_cf, parse_cf, set_provisional_cf
from estimator.tables.shipped import build_tables
from estimator.tables.status import tables_status

PRICE_COLUMNS = ("code", "modifier", "year", "locality", "locality_name", "setting", "work_rvu", "pe_rvu",
                 "mp_rvu", "work_gpci", "pe_gpci", "mp_gpci", "conversion_factor", "amount", "nonpar_amount",
                 "limiting_charge", "status", "na_setting", "reason", "note")


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("price", help="fee-schedule amounts for codes",
                                    description="Medicare fee-schedule amounts (par, non-par, limiting charge).")
    p.add_argument("codes", nargs="+", metavar="CODE", help="HCPCS/CPT code, optionally with a modifier: 88305-26")
    add_pricing_options(p, settings_both=True, locality_all=True)
    add_format(p, ("table", "json", "csv"))
    p.set_defaults(run=run_price)

    p = commands.add_parser("lesions", help="claim lines for a count of premalignant lesions",
                            description="Lesion count -> 17000/17003/17004 lines with amounts.")
    p.add_argument("count", metavar="N", help="number of lesions destroyed (1 or more)")
    add_pricing_options(p, settings_both=False)
    add_format(p)
    p.set_defaults(run=run_lesions)

    p = commands.add_parser("localities", help="find Medicare payment localities",
                            description="List or search the 109 Medicare payment localities.")
    p.add_argument("--search", help="text in the key, name, state or counties")
    p.add_argument("--state", help="two-letter state code")
    p.add_argument("--zip", help="5-digit ZIP code where the service is performed")
    p.add_argument("--year", help="payment year (default: newest)")
    add_format(p, ("table", "json", "csv"))
    p.set_defaults(run=run_localities)

    p = commands.add_parser("tables", help="build, import or list fee-schedule tables")
    sub = p.add_subparsers(dest="tables_command", required=True, parser_class=Parser)
    b = sub.add_parser("build", help="build a year's tables from raw CMS files (developers)")
    b.add_argument("--from", dest="source", required=True, help="folder with the raw CMS files")
    b.add_argument("--year", required=True)
    b.add_argument("--out", required=True, help="table folder to write, e.g. rvu_tables/2026")
    b.add_argument("--release", help="a specific release, e.g. RVU26B (default: the newest found)")
    b.set_defaults(run=run_tables_build)
    i = sub.add_parser("import", help="load a newer quarterly CMS release into your data folder")
    i.add_argument("path", help="the .zip of a CMS RVU release as downloaded (or its unpacked folder)")
    i.set_defaults(run=run_tables_import)
    ls = sub.add_parser("list", help="the releases available and which one is in force")
    add_format(ls)
    ls.set_defaults(run=run_tables_list)
    st = sub.add_parser("status", help="releases in force by quarter, what is provisional, what is due next")
    st.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)  # tests: another day's view
    add_format(st)
    st.set_defaults(run=run_tables_status)
    ptp = sub.add_parser("import-ptp", help="load CMS's NCCI PTP pair edits (your copy) for a year into your data "
                                            "folder", description="Read CMS's practitioner procedure-to-procedure "
                         "edit file(s) (the ccipra-v...-f1..f4 .zip files as downloaded, or the tab-delimited .txt "
                         "inside them), check every row and keep the edits in force in the year; the rules then deny "
                         "a column-2 code billed with its column-1 code (modifier indicator 0 always, 1 unless a "
                         "PTP-associated modifier such as 59 / XS applies). Replaces that year's earlier import.")
    ptp.add_argument("paths", nargs="+", metavar="FILE", help="CMS's PTP .zip or .txt (give all four files at once)")
    ptp.add_argument("--year", required=True, help="the year of the dates of service the edits apply to, e.g. 2026")
    ptp.set_defaults(run=run_tables_import_ptp)
    cf = sub.add_parser("set-cf", help="a provisional conversion factor for a year CMS has not published yet",
                        description="Use this conversion factor (e.g. from the final rule) with the newest RVUs and "
                                    "GPCIs for the year's dates of service until its CMS release is imported.")
    cf.add_argument("--year", required=True, help="the payment year, e.g. 2027")
    group = cf.add_mutually_exclusive_group(required=True)
    group.add_argument("--cf", help="the non-QP conversion factor, up to 4 decimals, e.g. 33.5000")
    group.add_argument("--clear", action="store_true", help="remove the year's provisional conversion factor")
    cf.add_argument("--qp-cf", help="the qualifying APM participants' CF, where the rule gives one "
                                    "(default: QPs keep the newest release's)")
    cf.add_argument("--source", help="where it comes from, e.g. \"CY 2027 PFS final rule\" (required with --cf)")
    cf.set_defaults(run=run_tables_set_cf)
    un = sub.add_parser("unset-cf", help="remove a provisional conversion factor (same as set-cf --clear)")
    un.add_argument("--year", required=True)
    un.set_defaults(run=run_tables_unset_cf)


def _split_code(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([0-9A-Za-z]{5})(?:[-:]([0-9A-Za-z]{2}))?\s*", text)
    if not match:
        raise InputError(f"{text!r} is not a code: use 5 characters, optionally with a modifier (88305-26)")
    return match.group(1).upper(), (match.group(2) or "").upper()


def run_price(args: argparse.Namespace, ctx: Context) -> int:
    tables = ctx.tables(parse_year(args.year) if args.year else None)
    rows = np.array([tables.schedule.row(*_split_code(c)) for c in args.codes], dtype=np.int64)
    settings = settings_from(args, tables, default_both=True)
    if (args.locality or "").strip().lower() == "all":
        keys = tables.localities.keys.tolist()
    else:
        keys = [locality_from(args, tables, catalog=ctx.catalog)]
    cf = CFVariant(args.cf)
    floor = not args.no_floor
    grid = price_grid(tables, rows, keys, settings, cf, floor=floor)
    nonpar, limiting = grid.nonpar_cents, grid.limiting_charge_cents
    records = []
    for r_i, row in enumerate(rows.tolist()):
        for l_i, key in enumerate(keys):
            locality = tables.localities.locality(key)
            g = [from_scaled(v, 1000) for v in locality_gpcis(tables, key, floor)[0].tolist()]
            for s_i, setting in enumerate(settings):
                priced = bool(grid.priced[r_i, s_i])
                sch = tables.schedule
                records.append({
                    "code": str(sch.codes[row]), "modifier": str(sch.modifiers[row]), "year": tables.year,
                    "release": tables.release, "locality": key, "locality_name": locality.name,
                    "setting": setting.value,
                    "work_rvu": str(from_scaled(int(sch.work[row]), 100)),
                    "pe_rvu": str(from_scaled(int(sch.pe_priced(setting)[row]), 100)),
                    "mp_rvu": str(from_scaled(int(sch.mp[row]), 100)),
                    "work_gpci": str(g[0]), "pe_gpci": str(g[1]), "mp_gpci": str(g[2]),
                    "conversion_factor": str(tables.policy.conversion_factor(cf)), "cf_variant": cf.value,
                    "work_gpci_floor": floor,
                    "amount": format_money(int(grid.cents[r_i, l_i, s_i])) if priced else None,
                    "nonpar_amount": format_money(int(nonpar[r_i, l_i, s_i])) if priced else None,
                    "limiting_charge": format_money(int(limiting[r_i, l_i, s_i])) if priced else None,
                    "status": str(sch.status[row]),
                    "na_setting": bool(grid.na[r_i, s_i]),
                    "reason": None if priced else unpriced_reason(sch, row, setting),
                    "tables": tables_block(tables.tables_in_force),
                    "note": price_note(sch, row, setting) if priced else None,
                })
    if args.format == "table":
        for record in records:
            record["why"] = record["reason"] or record["note"]
        columns = ("code", "modifier", "locality", "setting", "amount", "nonpar_amount", "limiting_charge", "why")
        heads = ("code", "mod", "locality", "setting", "par", "non-par", "limiting", "note")
        write("\n".join([f"{tables.year} fee schedule ({tables.release}), CF {tables.policy.conversion_factor(cf)} "
                         f"({cf.value}){'' if floor else ', work GPCI without floor'}",
                         *provisional_text(tables.tables_in_force), table_text(records, columns, heads)]))
    else:
        write(render(records, PRICE_COLUMNS, args.format))
    return 0


def run_lesions(args: argparse.Namespace, ctx: Context) -> int:
    count = parse_lesion_count(args.count)
    tables = ctx.tables(parse_year(args.year) if args.year else None)
    key = locality_from(args, tables, catalog=ctx.catalog)
    setting = settings_from(args, tables, default_both=False)[0]
    lines = price_lesions(tables, count, locality_key=key, setting=setting, cf_variant=CFVariant(args.cf),
                          floor=not args.no_floor)
    total = sum(line.cents for line in lines)
    step = price_lesions(tables, TIER_BREAK, locality_key=key, setting=setting, cf_variant=CFVariant(args.cf),
                         floor=not args.no_floor)
    step_note = (f"{TIER_BREAK} or more lesions bill 17004 once: ${format_money(sum(ln.cents for ln in step))} "
                 "whatever the count")
    result = {
        "lesions": count, "year": tables.year, "release": tables.release, "locality": key,
        "locality_name": tables.localities.locality(key).name, "setting": setting.value, "cf_variant": args.cf,
        "lines": [{"code": ln.code, "units": ln.units, "unit_amount": format_money(ln.unit_cents),
                   "amount": format_money(ln.cents), "label": tables.label(ln.code)} for ln in lines],
        "total": format_money(total), "step_note": step_note,
        "tables": tables_block(tables.tables_in_force),
    }
    if args.format == "json":
        write(json_text(result))
    else:
        rows = [*result["lines"], {"code": "total", "amount": result["total"]}]
        write(f"{count} lesion(s), {result['locality_name']}, {setting.label}, {tables.year} ({tables.release})\n"
              + "".join(f"{line}\n" for line in provisional_text(tables.tables_in_force))
              + table_text(rows, ("code", "units", "unit_amount", "amount", "label"),
                           ("code", "units", "each", "amount", "service"))
              + f"\n{step_note}.")
    return 0


def run_localities(args: argparse.Namespace, ctx: Context) -> int:
    tables = ctx.tables(parse_year(args.year) if args.year else None)
    loc = tables.localities
    indices = list(range(len(loc)))
    notes: list[str] = []
    if args.zip is not None:
        z = args.zip.strip()
        if not (ascii_digits(z, 5) and len(z) == 5):
            raise InputError(f"ZIP code must be 5 digits, got {args.zip[:20]!r}")
        entry = ctx.catalog.zip_codes(tables.year).get(z)
        if entry is None:
            raise InputError(f"ZIP code {z} is not in the CMS ZIP code file; check it, or choose the locality by name")
        indices = [loc.index(entry.locality_key)]
        rural = {"": "urban", "R": "rural", "B": "super rural"}[entry.rural]
        notes.append(f"ZIP {z} ({entry.state}, {rural}) is priced in locality {entry.locality_key}.")
        if entry.plus_four:
            notes.append(f"Note: CMS flags that some ZIP+4 codes of {z} are priced in another locality; "
                         "check the full 9-digit ZIP of the place of service.")
    if args.state:
        state = args.state.strip().upper()
        if state not in set(loc.states.tolist()):
            raise InputError(f"no locality in state {args.state!r}: use a two-letter code such as TX")
        indices = [i for i in indices if loc.states[i] == state]
    if args.search:
        needle = args.search.strip().upper()
        indices = [i for i in indices if any(needle in str(a[i]).upper()
                                             for a in (loc.keys, loc.names, loc.states, loc.counties))]
    rows: list[dict[str, Any]] = []
    for i in indices:
        one = loc.locality(str(loc.keys[i]))
        rows.append({"key": one.key, "mac": one.mac, "locality": one.number, "state": one.state, "name": one.name,
                     "counties": one.counties, "work_gpci": str(one.work_gpci),
                     "work_gpci_unfloored": str(one.work_gpci_unfloored), "pe_gpci": str(one.pe_gpci),
                     "mp_gpci": str(one.mp_gpci)})
    if args.zip is not None and rows:
        entry = ctx.catalog.zip_codes(tables.year)[args.zip.strip()]
        rows[0].update({"zip": entry.zip, "rural": entry.rural, "plus_four": entry.plus_four})
    if args.format == "table":
        write("\n".join([*notes, table_text(rows, ("key", "state", "name", "work_gpci", "pe_gpci", "mp_gpci"))]))
    else:
        columns = ("key", "mac", "locality", "state", "name", "counties", "work_gpci", "work_gpci_unfloored",
                   "pe_gpci", "mp_gpci")
        write(render(rows, columns, args.format))
    return 0


def run_tables_build(args: argparse.Namespace, ctx: Context) -> int:
    manifest = build_tables(Path(args.source), parse_year(args.year), Path(args.out), release=args.release)
    write(f"wrote {args.out}: {manifest['release']} effective {manifest['effective']}, "
          + ", ".join(f"{n} {t['rows']} rows" for n, t in manifest["tables"].items()))
    return 0


def run_tables_import(args: argparse.Namespace, ctx: Context) -> int:
    manifest = import_release(Path(args.path), paths.user_tables_root(), ctx.catalog)
    # Only now, with the release swapped in whole, is it "imported".
    write(f"imported {manifest['release']} ({manifest['year']}), effective {manifest['effective']}, CF "
          f"{manifest['constants']['cf_nonqp']['value']}; it is used for dates of service from then on"
          + "".join(f"\nnote: {n}" for n in manifest["notes"]))
    return 0


def run_tables_import_ptp(args: argparse.Namespace, ctx: Context) -> int:
    year = parse_year(args.year)
    manifest = import_ptp([Path(p) for p in args.paths], year, paths.user_tables_root(), dt.date.today())
    by = manifest["by_indicator"]
    # Only now, with the year's folder swapped in whole, is it "imported".
    write(f"imported {manifest['edits']:,} NCCI PTP edits in force in {year} (modifier indicator 0: {by['0']:,}, "
          f"1: {by['1']:,}, 9: {by['9']:,}) from {sum(s['rows'] for s in manifest['sources']):,} rows of "
          f"{len(manifest['sources'])} file(s); {year} claims are now checked against them"
          + "".join(f"\nnote: {n}" for n in manifest["notes"]))
    return 0


def run_tables_status(args: argparse.Namespace, ctx: Context) -> int:
    status = tables_status(ctx.catalog, parse_date(args.today) if args.today else dt.date.today())
    if args.format == "json":
        write(json_text(status.as_dict()))
        return 0
    rows = [{"quarter": q.quarter, "release": q.release, "origin": q.origin,
             "provisional": "PROVISIONAL" if q.provisional else "", "cf": q.conversion_factor, "note": q.note}
            for q in status.quarters]
    lines = ["Fee-schedule tables by quarter of the date of service:",
             table_text(rows, ("quarter", "release", "origin", "provisional", "cf", "note"),
                        ("quarter", "release", "origin", "", "conversion factor", "note")),
             f"Due next: {status.due_next}"]
    if status.reminder:
        lines.append(f"Reminder: {status.reminder}")
    lines += ["NCCI PTP pair edits (imported by you; not shipped):", *(f"  {line}" for line in status.ptp)]
    write("\n".join(lines))
    return 0


def _provisional_year(ctx: Context, text: str) -> int:
    year = parse_year(text)
    newest = ctx.catalog.newest()
    if year <= newest.year:
        raise InputError(f"{year} already has CMS tables ({ctx.catalog.release_for(year).release}); a provisional "
                         f"conversion factor is only for a year after {newest.year}")
    return year


def run_tables_set_cf(args: argparse.Namespace, ctx: Context) -> int:
    if args.clear:
        return run_tables_unset_cf(args, ctx)
    year = _provisional_year(ctx, args.year)
    newest = ctx.catalog.newest()
    cf = parse_cf(args.cf, Decimal(newest.conversion_factor))
    qp = parse_cf(args.qp_cf, Decimal(newest.conversion_factor)) if args.qp_cf else None
    entry = set_provisional_cf(paths.user_tables_root(), year, cf, args.source or "", dt.date.today(), qp)
    write(f"{year} dates of service now use the provisional conversion factor {entry.describe()} with the "
          f"{newest.year} RVUs and GPCIs ({newest.release}), marked provisional, until {year}'s CMS release is "
          f"imported; remove it with 'estimator tables unset-cf --year {year}'")
    return 0


def run_tables_unset_cf(args: argparse.Namespace, ctx: Context) -> int:
    year = parse_year(args.year)
    removed = clear_provisional_cf(paths.user_tables_root(), year)
    if removed is None:
        write(f"no provisional conversion factor was set for {year}; nothing changed")
    else:
        newest = ctx.catalog.newest()
        write(f"removed the provisional {year} conversion factor {removed.cf}; {year} dates of service use the "
              f"{newest.year} conversion factor {newest.conversion_factor} again until {year}'s release is imported")
    return 0


def run_tables_list(args: argparse.Namespace, ctx: Context) -> int:
    today = dt.date.today()
    rows = []
    for r in ctx.catalog.releases():
        in_force = ctx.catalog.release_for(r.year, today if r.year == today.year else None) == r
        rows.append({"year": r.year, "release": r.release, "effective": r.effective.isoformat(), "origin": r.origin,
                     "newest_for_year": in_force, "folder": str(r.folder)})
    write(render(rows, ("year", "release", "effective", "origin", "newest_for_year", "folder"), args.format))
    return 0

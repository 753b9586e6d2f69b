"""``estimator price | lesions | localities``: the fee schedule from the command line.

(Managing the tables themselves, ``estimator tables``, is ``tables_commands``: a price lookup does not load the
CMS file readers and importers.)
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import numpy as np

from estimator.cli.common import (
    Context,
    Parser,
    add_format,
    add_pricing_options,
    locality_from,
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

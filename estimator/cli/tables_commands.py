"""``estimator tables``: build, import or list the fee-schedule tables, and set a provisional conversion factor."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from estimator import paths
from estimator.cli.common import Context, Parser, add_format, parse_date, parse_year
from estimator.cli.output import json_text, render, table_text, write
from estimator.core.errors import InputError
from estimator.tables.building import build_tables
from estimator.tables.importing import import_ptp, import_release
from estimator.tables.provisional_cf import clear_provisional_cf, parse_cf, set_provisional_cf
from estimator.tables.status import tables_status


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("tables", help="build, import or list fee-schedule tables")
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

"""``estimator forecast | negotiate``: revenue forecasts from a scenario file, and contract analytics.

Everything is validated (scenario, payers, options) before anything is written; ``--out FILE`` writes the
rendered result atomically (whole file or nothing).
"""

from __future__ import annotations

import argparse
import dataclasses
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from estimator.cli.common import Context, Parser, add_format
from estimator.cli.output import json_text, render, table_text, write
from estimator.core import contracts as ct
from estimator.core.errors import InputError
from estimator.core.forecast import (
    DEFAULT_SEASONALITY,
    MAX_PATHS,
    SEASONALITY_PRESETS,
    ForecastModel,
    ForecastResult,
    PriceTable,
    Scenario,
    build_model,
    cents,
    default_payer_mix,
    half_up,
    price_table,
    run_forecast,
)
from estimator.core.money import format_money
from estimator.core.parsing import MAX_REVENUE, ascii_digits, parse_money
from estimator.core.payers import Method, Payer
from estimator.core.schedule import Setting
from estimator.reports.csv_exports import csv_text
from estimator.store import scenarios as sc

DEFAULT_PATHS = 1000
DEFAULT_SEED = 1
FORMATS = ("table", "json", "csv")
MONTH_COLUMNS = ("month", "volume", "expected_allowed", "allowed_p10", "allowed_p50", "allowed_p90",
                 "expected_collected", "collected_p10", "collected_p50", "collected_p90")
MONTH_HEADERS = ("month", "volume", "expected", "P10", "P50", "P90", "exp. collected", "P10", "P50", "P90")


def register(commands: Any) -> None:
    p: Parser = commands.add_parser(
        "forecast", help="monthly revenue forecast with P10/P50/P90 bands",
        description="Expected monthly and annual allowed and collected revenue for a scenario file (TOML), "
                    "exactly, with uncertainty bands from a seeded Monte Carlo simulation.")
    p.add_argument("--scenario", required=True, metavar="FILE.toml", help="the scenario (see the README)")
    p.add_argument("--paths", default=str(DEFAULT_PATHS), metavar="N",
                   help=f"simulated futures (default {DEFAULT_PATHS}; 0 = exact expected value only)")
    p.add_argument("--seed", default=str(DEFAULT_SEED), metavar="S",
                   help=f"random seed: the same seed gives the same bands (default {DEFAULT_SEED})")
    add_format(p, FORMATS)
    p.add_argument("--out", metavar="FILE", help="write the result to FILE (atomically) instead of the screen")
    p.set_defaults(run=run_forecast_command)

    p = commands.add_parser(
        "negotiate", help="a payer's %% of Medicare on your mix, what-ifs, targets, 2025->2026 change",
        description="Contract analytics for one payer on the practice's own mix: weighted % of Medicare, "
                    "the revenue effect of a rate change or a new conversion factor, the rate needed for a "
                    "revenue target, and the fee schedule's year-over-year change split into CF, RVU and "
                    "GPCI effects.")
    p.add_argument("--payer", required=True, metavar="NAME", help="payer name (see 'estimator payers list')")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--target-revenue", metavar="X", help="revenue target in dollars over the mix's horizon")
    what.add_argument("--match", metavar="PAYER", help="the rate at which the payer would pay what PAYER pays "
                      "per encounter on the same mix")
    what.add_argument("--rate-change", metavar="PCT", help="what-if: all of the payer's rates changed by PCT%%")
    what.add_argument("--new-cf", metavar="X", help="what-if: the payer pays its own conversion factor X")
    p.add_argument("--mix", metavar="FILE", help="the practice's mix: a scenario .toml or a past-encounters .csv "
                                                 "(default: the app's illustrative mix, 2400 encounters a year)")
    p.add_argument("--volume", metavar="N", help="encounters with this payer over the horizon (overrides the mix)")
    add_format(p, FORMATS)
    p.add_argument("--out", metavar="FILE", help="write the result to FILE (atomically) instead of the screen")
    p.set_defaults(run=run_negotiate_command)


# --- shared -----------------------------------------------------------------------------------------------


def _whole(text: str, what: str, low: int, high: int) -> int:
    value = text.strip().replace(",", "").replace("_", "")
    if not ascii_digits(value) or not low <= int(value) <= high:
        raise InputError(f"{what} must be a whole number from {low} to {high:,}, got {text[:30]!r}")
    return int(value)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", ""))
    except InvalidOperation:
        raise InputError(f"{what} must be a number, got {text!r}") from None
    if not value.is_finite():
        raise InputError(f"{what} must be a finite number, got {text!r}")
    return value


def price_for(scenario: Scenario, ctx: Context, payers: list[Payer]) -> PriceTable:
    """Price the scenario's encounter types for ``payers``: its year's tables, locality, E/M code and day."""
    return price_table(payers, ctx.store.practice(), ctx.catalog.for_year(scenario.year), ctx.catalog.for_year,
                       locality_key=scenario.locality_key, em_code=scenario.em_code, day=scenario.pricing_day)


def model_for(scenario: Scenario, ctx: Context, payers: list[Payer]) -> ForecastModel:
    """Price the scenario's encounter types for ``payers`` and join them to it (payers outside the mix are
    priced too and get 0 encounters)."""
    return build_model(scenario, price_for(scenario, ctx, payers))


def _locality_name(ctx: Context, year: int, key: str) -> str:
    return ctx.catalog.for_year(year).localities.locality(key).name


def _emit(text: str, out: str | None) -> None:
    if out:
        sc.write_output(Path(out), text)
    else:
        write(text)


def _seasonality_name(values: tuple[Decimal, ...]) -> str:
    for name, preset in SEASONALITY_PRESETS.items():
        if preset == values:
            return name
    return "custom"


# --- forecast ---------------------------------------------------------------------------------------------


def forecast_dict(result: ForecastResult, ctx: Context) -> dict[str, Any]:
    """The forecast as plain data (money as two-decimal strings)."""
    model, exact = result.model, result.expected
    s = model.scenario
    sim, a, c = result.simulation, result.allowed, result.collected

    def band(b: Any, name: str, i: int | None) -> str | None:
        if b is None:
            return None
        return format_money(getattr(b, name)[i] if i is not None else getattr(b, f"annual_{name}"))

    months = []
    for i, label in enumerate(result.labels):
        months.append({
            "month": label, "volume": f"{float(model.volumes[i]):.2f}",
            "expected_allowed": format_money(exact.allowed_cents[i]),
            "allowed_p10": band(a, "p10", i), "allowed_p50": band(a, "p50", i), "allowed_p90": band(a, "p90", i),
            "expected_collected": format_money(exact.collected_cents[i]),
            "collected_p10": band(c, "p10", i), "collected_p50": band(c, "p50", i),
            "collected_p90": band(c, "p90", i),
        })
    total = {
        "month": "total", "volume": f"{float(model.total_volume):.2f}",
        "expected_allowed": format_money(exact.annual_allowed_cents),
        "allowed_p10": band(a, "p10", None), "allowed_p50": band(a, "p50", None),
        "allowed_p90": band(a, "p90", None),
        "expected_collected": format_money(exact.annual_collected_cents),
        "collected_p10": band(c, "p10", None), "collected_p50": band(c, "p50", None),
        "collected_p90": band(c, "p90", None),
    }
    simulation = None
    if sim is not None and a is not None:
        simulation = {
            "paths": sim.paths, "seed": sim.seed, "simulated_encounters": sim.total_encounters,
            "mean_allowed": format_money(cents(a.annual_mean)),
            "standard_error_allowed": f"{exact.annual_allowed_sd / sim.paths ** 0.5 / 100:.2f}",
            "z_score": None if result.z_score() is None else round(result.z_score() or 0.0, 3),
        }
    return {
        "scenario": s.name, "year": model.table.year, "release": model.table.release,
        "locality": s.locality_key, "locality_name": _locality_name(ctx, s.year, s.locality_key),
        "start": result.labels[0], "months": len(result.labels), "volume_model": s.volume_model.value,
        "seasonality": _seasonality_name(s.seasonality),
        "per_encounter": {"allowed": format_money(half_up(exact.per_encounter_allowed)),
                          "collected": format_money(half_up(exact.per_encounter_collected))},
        "monthly": months, "total": total, "simulation": simulation,
        "by_payer": [{"payer": st.payer, "encounters": f"{float(st.encounters):.1f}",
                      "per_encounter": format_money(st.per_encounter_cents),
                      "pct_of_medicare": None if st.pct_of_medicare is None else f"{st.pct_of_medicare:.2f}",
                      "expected_allowed": format_money(st.revenue_cents)}
                     for st in ct.standings(ct.basis_of(model)) if st.encounters],
        "notes": list(model.table.notes), "assumptions": [*assumptions(model), *provisional_assumptions(model, ctx)],
        "tables": forecast_tables(model, ctx),
    }


def forecast_tables(model: ForecastModel, ctx: Context) -> dict[str, object]:
    """The ``"tables"`` object: provisional when the scenario's year, or any month of it, is after the
    newest release (a forecast running into next year)."""
    in_force = ctx.catalog.in_force(model.scenario.year)[1]
    last = max(m.year for m in model.months)
    if not in_force.provisional and last > ctx.catalog.newest().year:
        in_force = dataclasses.replace(ctx.catalog.in_force(last)[1], release=in_force.release, year=in_force.year,
                                       conversion_factor=in_force.conversion_factor)
    return in_force.as_dict()


def provisional_assumptions(model: ForecastModel, ctx: Context) -> list[str]:
    """What the forecast says about months priced with another year's tables."""
    year = model.scenario.year
    late = sorted({m.year for m in model.months if m.year != year})
    out = []
    if late:
        out.append(f"Months in {', '.join(map(str, late))} are priced with the scenario's {year} fee schedule "
                   f"({model.table.release}).")
    block = forecast_tables(model, ctx)
    if block["provisional"]:
        out.append(f"Provisional: {block['note']}")
    return out


def assumptions(model: ForecastModel) -> list[str]:
    """The forecast's assumptions in words."""
    s = model.scenario
    volume = ("Each month's encounter count is Poisson around its volume." if s.volume_model.value == "poisson"
              else "Each month has exactly its volume of encounters (whole encounters, total kept).")
    return [
        volume,
        f"Seasonality: {_seasonality_name(s.seasonality)}"
        + (" (the default: no seasonal pattern assumed; choose 'winter' or fit one from past encounters)"
           if s.seasonality == SEASONALITY_PRESETS[DEFAULT_SEASONALITY] else "") + ".",
        f"{s.em_share.normalize():f}% of encounters have a separate E/M visit ({s.em_code}-25).",
        f"Every month is priced with the {model.table.year} fee schedule ({model.table.release}); allowed amounts "
        "come from the payers' contracts applied to each encounter type by the claim rules.",
        f"Collected = allowed x collection rate; payers not listed collect {s.default_collection_rate.normalize():f}%.",
        "Expected values are exact; each month is rounded down or up to the cent so the months add up to the "
        "total, which is rounded half-up. Bands are Monte Carlo percentiles rounded to the cent.",
    ]


def run_forecast_command(args: argparse.Namespace, ctx: Context) -> int:
    paths = _whole(args.paths, "--paths", 0, MAX_PATHS)
    seed = _whole(args.seed, "--seed", 0, 2**63 - 1)
    env = sc.Environment.of(ctx.store, ctx.catalog)
    scenario = sc.load_scenario(Path(args.scenario), env)
    payers = [ctx.store.payer(name) for name in scenario.payer_mix]
    result = run_forecast(model_for(scenario, ctx, payers), paths, seed)
    data = forecast_dict(result, ctx)
    rows = [*data["monthly"], data["total"]]
    if args.format == "json":
        text = json_text(data)
    elif args.format == "csv":
        text = csv_text(rows, MONTH_COLUMNS)
    else:
        text = forecast_table(data, rows)
    _emit(text, args.out)
    return 0


def forecast_table(data: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    sim = data["simulation"]
    head = [f"{data['scenario'] or 'Forecast'}: {data['months']} months from {data['start']}, "
            f"{data['locality_name']} ({data['locality']}), {data['year']} fee schedule ({data['release']})",
            f"Per encounter: allowed {data['per_encounter']['allowed']}, collected "
            f"{data['per_encounter']['collected']} (exact expected values)"]
    if sim:
        head.append(f"Monte Carlo: {sim['paths']:,} paths, seed {sim['seed']}, {sim['simulated_encounters']:,} "
                    f"simulated encounters; simulated mean {sim['mean_allowed']} vs exact "
                    f"{data['total']['expected_allowed']} (standard error {sim['standard_error_allowed']})")
    else:
        head.append("Exact expected values only (--paths 0): no bands.")
    lines = [*head, "", "allowed (expected, P10/P50/P90) | collected (expected, P10/P50/P90)",
             table_text(rows, MONTH_COLUMNS, MONTH_HEADERS), "", "By payer (expected allowed over the horizon):",
             table_text(data["by_payer"], ("payer", "encounters", "per_encounter", "pct_of_medicare",
                                           "expected_allowed"),
                        ("payer", "encounters", "per encounter", "% of Medicare", "expected allowed"))]
    lines += [f"Note: {n}" for n in data["notes"]]
    lines.append("Assumptions: " + " ".join(data["assumptions"]))
    return "\n".join(lines)


# --- negotiate --------------------------------------------------------------------------------------------


def _reprice(payer: Payer, model: ForecastModel, ctx: Context) -> PriceTable:
    return price_for(model.scenario, ctx, [payer])


def _horizon(months: int) -> str:
    return "a year" if months == 12 else f"{months} months"


def negotiate_dict(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Validate the options, then compute everything ``negotiate`` shows."""
    env = sc.Environment.of(ctx.store, ctx.catalog)
    payer = ctx.store.payer(args.payer)
    target = parse_money(args.target_revenue, "--target-revenue", MAX_REVENUE) \
        if args.target_revenue is not None else None
    change = _decimal(args.rate_change, "--rate-change") if args.rate_change is not None else None
    new_cf = _decimal(args.new_cf, "--new-cf") if args.new_cf is not None else None
    if new_cf is not None and not 0 < new_cf < 1000:
        raise InputError(f"--new-cf must be above 0 and below 1000 dollars, got {args.new_cf!r}")
    if change is not None and not -100 < change <= 1000:
        raise InputError(f"--rate-change must be above -100 and at most 1000 (%), got {args.rate_change!r}")
    volume = _decimal(args.volume, "--volume") if args.volume is not None else None
    if volume is not None and volume < 0:
        raise InputError(f"--volume cannot be negative, got {args.volume!r}")
    if args.mix:
        scenario = sc.load_mix(Path(args.mix), env)
        mix_source = args.mix
    else:
        # The same starting mix as the app's Negotiate page, so both give the same figures.
        scenario = sc.illustrative_mix(default_payer_mix(env.payer_names), env)
        mix_source = ("no --mix: the app's illustrative mix (2400 encounters a year, Medicare 50% and the other "
                      "contracted payers sharing 50%, 30% with an E/M, default lesion histogram)")
    # Every stored payer is priced; payers outside the mix have 0 encounters (unless --volume).
    all_payers = ctx.store.payers()
    model = model_for(scenario, ctx, all_payers)
    basis = ct.basis_of(model)
    if volume is not None:
        basis = ct.with_encounters(basis, payer.name, Fraction(volume))
    rows = []
    for standing, p in zip(ct.standings(basis), all_payers, strict=True):
        rows.append({"payer": standing.payer, "contract": p.describe(),
                     "pct_of_medicare": None if standing.pct_of_medicare is None else f"{standing.pct_of_medicare}",
                     "per_encounter": format_money(standing.per_encounter_cents),
                     "encounters": f"{float(standing.encounters):.1f}",
                     "revenue": format_money(standing.revenue_cents), "selected": standing.payer == payer.name})
    data: dict[str, Any] = {
        "payer": payer.name, "contract": payer.describe(), "mix": scenario.name, "mix_source": mix_source,
        "year": model.table.year, "release": model.table.release, "locality": scenario.locality_key,
        "locality_name": _locality_name(ctx, scenario.year, scenario.locality_key), "months": len(model.months),
        "encounters": f"{float(basis.encounters_of(payer.name)):.1f}",
        "pct_of_medicare": None if ct.pct_of_medicare(basis, payer.name) is None
        else str(ct.pct_of_medicare(basis, payer.name)),
        "per_encounter": format_money(half_up(ct.per_encounter(basis, payer.name))),
        "medicare_per_encounter": format_money(half_up(ct.medicare_per_encounter(basis))),
        "revenue": format_money(half_up(ct.revenue(basis, payer.name))),
        "lesser_of_charge": payer.lesser_of_charge,
        "payers": rows, "what_if": None, "target": None,
        "notes": [*model.table.notes, *provisional_assumptions(model, ctx)], "tables": forecast_tables(model, ctx),
    }
    if change is not None:
        # The app's what-if slider uses the same rule (repriced line by line, rounded per unit).
        data["what_if"] = _what_if_dict(ct.what_if_rates_changed(basis, payer, change,
                                                                 lambda p: _reprice(p, model, ctx)))
    if new_cf is not None:
        repriced = _reprice(dataclasses.replace(payer, method=Method.OWN_CF, conversion_factor=new_cf), model, ctx)
        data["what_if"] = _what_if_dict(ct.what_if_repriced(basis, payer.name, repriced,
                                                            f"own conversion factor ${new_cf}"))
    if args.match is not None:
        # Matching another payer: the revenue this payer would bring at that payer's price per encounter.
        matched = basis.payer_name(args.match)
        target = half_up(basis.encounters_of(payer.name) * ct.per_encounter(basis, matched))
        data["match"] = {"payer": matched, "per_encounter": format_money(half_up(ct.per_encounter(basis, matched)))}
    if target is not None:
        data["target"] = _target_dict(ct.required_rate(basis, payer, target), payer, basis, model, ctx)
    data["yoy"] = _yoy(scenario, ctx)
    return data


def _what_if_dict(w: ct.WhatIf) -> dict[str, Any]:
    return {"change": w.description, "baseline_revenue": format_money(w.baseline_cents),
            "new_revenue": format_money(w.new_cents), "revenue_change": _signed(w.change_cents),
            "pct_of_medicare_after": None if w.pct_of_medicare is None else str(w.pct_of_medicare)}


def _signed(cents: int) -> str:
    return ("+" if cents >= 0 else "-") + format_money(abs(cents))


def _target_dict(t: ct.Target, payer: Payer, basis: ct.ContractBasis, model: ForecastModel,
                 ctx: Context) -> dict[str, Any]:
    check = ct.settle_target(t, payer, basis, lambda p: _reprice(p, model, ctx))
    return {
        "target_revenue": format_money(t.target_cents), "baseline_revenue": format_money(t.baseline_cents),
        "rate_change_needed_pct": str(t.rate_change_pct), "factor": f"{float(t.factor):.6f}",
        "required_percent_of_medicare": None if t.required_percent is None else str(t.required_percent),
        "required_conversion_factor": None if t.required_cf is None else str(t.required_cf),
        "equivalent_pct_of_medicare": None if t.equivalent_pct_of_medicare is None
        else str(t.equivalent_pct_of_medicare),
        "check": None if check is None else {
            "rate": str(check.rate), "steps_up": check.steps, "reached": check.reached,
            "revenue_with_line_rounding": format_money(check.revenue_cents)},
    }


def _yoy(scenario: Scenario, ctx: Context) -> dict[str, Any] | None:
    old_year = scenario.year - 1
    if old_year not in ctx.catalog.years():
        return None
    practice = ctx.store.practice()
    settings = [s for s in (Setting.NONFACILITY, Setting.FACILITY) if scenario.setting_mix.get(s, 0) > 0]
    decomposition = ct.yoy_decomposition(ctx.catalog.for_year(old_year), ctx.catalog.for_year(scenario.year),
                                         ct.featured_codes(scenario.em_code), [scenario.locality_key],
                                         settings or [Setting.NONFACILITY], practice.cf_variant)
    return yoy_dict(decomposition)


def yoy_dict(d: ct.YoyDecomposition) -> dict[str, Any]:
    """The decomposition as rows (one per code x locality x setting; money as strings)."""
    rows = []
    for c, code in enumerate(d.codes):
        for loc_i, key in enumerate(d.locality_keys):
            for s, setting in enumerate(d.settings):
                effects = d.effects_cents[c, loc_i, s]
                rows.append({
                    "code": code, "locality": key, "setting": setting.value,
                    f"amount_{d.old_year}": format_money(int(d.old_cents[c, loc_i, s])),
                    f"amount_{d.new_year}": format_money(int(d.new_cents[c, loc_i, s])),
                    "change": _signed(int(d.total_cents[c, loc_i, s])),
                    "cf_effect": _signed(int(effects[0])), "rvu_effect": _signed(int(effects[1])),
                    "gpci_effect": _signed(int(effects[2])),
                    "exact": {name: str(d.exact_dollars(c, loc_i, s, e)) for e, name in enumerate(ct.EFFECTS)},
                    "priced": bool(d.priced[c, s]),
                })
    return {"from_year": d.old_year, "to_year": d.new_year, "from_release": d.old_release,
            "to_release": d.new_release, "cf_from": str(d.old_cf), "cf_to": str(d.new_cf),
            "order": list(ct.EFFECTS), "rows": rows}


def negotiate_table(data: dict[str, Any]) -> str:
    out = [f"{data['payer']}: {data['contract']}",
           f"Mix: {data['mix']} [{data['mix_source']}]; {data['year']} fee schedule ({data['release']}), "
           f"{data['locality_name']} ({data['locality']}); {data['encounters']} encounters with this payer in "
           f"{_horizon(data['months'])}",
           f"Weighted % of Medicare on this mix: {data['pct_of_medicare'] or 'n/a'}% "
           f"({data['per_encounter']} per encounter vs Medicare {data['medicare_per_encounter']}); "
           f"expected allowed revenue {data['revenue']}", ""]
    payer_rows = [{**r, "payer": ("* " if r["selected"] else "  ") + r["payer"]} for r in data["payers"]]
    out.append(table_text(payer_rows, ("payer", "pct_of_medicare", "per_encounter", "encounters", "revenue",
                                       "contract"),
                          ("payer", "% of Medicare", "per encounter", "encounters", "revenue", "contract")))
    w = data["what_if"]
    if w:
        out += ["", f"What-if ({w['change']}): revenue {w['baseline_revenue']} -> {w['new_revenue']} "
                    f"({w['revenue_change']}); {w['pct_of_medicare_after'] or 'n/a'}% of Medicare on this mix"]
    t = data["target"]
    if t:
        change = Decimal(t["rate_change_needed_pct"])
        moved = f"{abs(change)}% {'higher' if change >= 0 else 'lower'}"
        rate = (f"{t['required_percent_of_medicare']}% of Medicare" if t["required_percent_of_medicare"]
                else f"own CF ${t['required_conversion_factor']}" if t["required_conversion_factor"]
                else f"rates {moved}")
        out += ["", f"Target {t['target_revenue']} (now {t['baseline_revenue']}): needs rates {moved} -> {rate} "
                    f"(equivalent {t['equivalent_pct_of_medicare'] or 'n/a'}% of Medicare on this mix); solved "
                    "exactly, rate rounded up to 0.01% / $0.0001"]
        check = t["check"]
        if check:
            at = (f"{check['rate']}% of Medicare" if t["required_percent_of_medicare"]
                  else f"own CF ${check['rate']}")
            if check["reached"]:
                steps = f" ({check['steps_up']} step(s) above the linear solution)" if check["steps_up"] else ""
                out.append(f"Check with the real contract (per-line rounding, caps): at {at}{steps} the revenue "
                           f"is {check['revenue_with_line_rounding']}, which reaches the target")
            else:
                cap = " (it pays the lesser of the billed charge and the rate: your charges cap it)" \
                    if data["lesser_of_charge"] else ""
                out.append(f"The target cannot be reached with this contract: even at {at} it brings "
                           f"{check['revenue_with_line_rounding']}{cap}")
    y = data["yoy"]
    if y:
        out += ["", f"{y['from_year']} -> {y['to_year']} change per unit ({y['from_release']} -> {y['to_release']}, "
                    f"CF {y['cf_from']} -> {y['cf_to']}), split CF, then RVUs, then GPCIs; the effects add up "
                    "to the change exactly:",
                table_text(y["rows"], ("code", "setting", f"amount_{y['from_year']}", f"amount_{y['to_year']}",
                                       "change", "cf_effect", "rvu_effect", "gpci_effect"),
                           ("code", "setting", str(y["from_year"]), str(y["to_year"]), "change", "CF", "RVU",
                            "GPCI"))]
    out += [f"Note: {n}" for n in data["notes"]]
    return "\n".join(out)


def negotiate_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything as long-format rows (section, item, setting, metric, value) for CSV."""
    rows: list[dict[str, Any]] = []

    def add(section: str, item: str, metric: str, value: Any, setting: str = "") -> None:
        rows.append({"section": section, "item": item, "setting": setting, "metric": metric, "value": value})

    for r in data["payers"]:
        for metric in ("pct_of_medicare", "per_encounter", "encounters", "revenue"):
            add("payer", r["payer"], metric, r[metric])
    for section in ("what_if", "target"):
        if data[section]:
            for metric, value in data[section].items():
                if not isinstance(value, dict):
                    add(section, data["payer"], metric, value)
    if data["yoy"]:
        for r in data["yoy"]["rows"]:
            for metric, value in r.items():
                if metric not in ("code", "setting", "locality", "exact"):
                    add("yoy", f"{r['code']}@{r['locality']}", metric, value, r["setting"])
    return rows


def run_negotiate_command(args: argparse.Namespace, ctx: Context) -> int:
    data = negotiate_dict(args, ctx)
    if args.format == "json":
        text = json_text(data)
    elif args.format == "csv":
        text = render(negotiate_rows(data), ("section", "item", "setting", "metric", "value"), "csv")
    else:
        text = negotiate_table(data)
    _emit(text, args.out)
    return 0

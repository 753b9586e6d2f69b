"""Forecast scenarios as plain TOML files, past encounters as CSV, and forecast outputs written atomically.

A scenario file is something a practice manager keeps and shares; every field is optional except the
volume, the lesion histogram and the payer mix (which ``fit_from`` can supply).  Top-level keys come
before the ``[tables]`` (TOML puts any key after a table header inside that table).

Fields (see examples/forecast_scenario.toml for a commented example):

``name``                    text shown in outputs.
``year``                    fee-schedule year used to price every month (default: the newest tables).
``start``                   first forecast month, ``"YYYY-MM"`` (default: January of ``year``).
``months``                  horizon in months, 1-60 (default 12).
``locality``                7-digit MAC+locality key or ``"national"`` (default: the practice's).
``annual_volume``           encounters per 12 months, spread over the months by ``seasonality``.
``monthly_volumes``         instead of ``annual_volume``: one number per month of the horizon.
``seasonality``             ``"flat"`` (default), ``"winter"`` (Nov-Mar busier, illustrative), or 12 multipliers
                            Jan..Dec (normalised, so only their ratios matter).
``volume_model``            ``"poisson"`` (default: a month's count varies around its volume) or ``"fixed"``
                            (exactly the volume, rounded to whole encounters keeping the total).
``em_share``                % of encounters with a separately identifiable E/M visit (billed with -25);
                            default 0.
``em_code``                 that visit's code (default 99213).
``default_collection_rate`` % of allowed collected for payers not in ``[collection_rates]`` (default 100).
``fit_from``                a past-encounters CSV (path relative to the scenario file) that supplies
                            whatever of lesions, payer_mix, setting_mix, em_share, seasonality and
                            annual_volume the file does not give itself (seasonality and volume only when
                            the data span 12 months or more).
``[lesions]``               histogram: lesion count = weight (``"15+"`` or any count >= 15 is one tier).
``[payer_mix]``             payer name (as in the practice database) = % of encounters; sums to 100.
``[setting_mix]``           ``nonfacility`` / ``facility`` or POS codes (``"11"``, ``"22"``) = %; sums to 100
                            (default: 100% the practice's place of service).
``[collection_rates]``      payer name = % of its allowed amount actually collected.

Past-encounters CSV: a header with ``date`` (YYYY-MM-DD), ``lesions``, ``payer``, ``pos`` (aliases:
``lesion_count``, ``place_of_service``), optionally ``em`` (yes/no/1/0 or an E/M code; blank = no);
lines starting with ``#`` are comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Protocol

from estimator.core import codes as cs
from estimator.core.errors import InputError
from estimator.core.forecast import (
    DEFAULT_EM_CODE,
    DEFAULT_LESIONS,
    DEFAULT_SEASONALITY,
    HUNDRED,
    LESION_TIERS,
    SEASONALITY_PRESETS,
    Fitted,
    PastEncounter,
    Problem,
    Scenario,
    ScenarioError,
    VolumeModel,
    fit_encounters,
    quoted,
    scenario_problems,
)
from estimator.core.parsing import ascii_digits
from estimator.core.payers import Practice
from estimator.core.schedule import NATIONAL_KEY, PlacesOfService, Setting, TableSet
from estimator.files import read_text, write_text_atomically
from estimator.store.csv_io import SAVE_AS_CSV
from estimator.store.sql_store import SqlStore

TOP_LEVEL: Final = frozenset({
    "name", "year", "start", "months", "locality", "annual_volume", "monthly_volumes", "seasonality",
    "volume_model", "em_share", "em_code", "default_collection_rate", "fit_from", "lesions", "payer_mix",
    "setting_mix", "collection_rates",
})
MAX_REPORTED: Final = 12
#: Encounters a year assumed for a payer when negotiating without a mix file.
DEFAULT_NEGOTIATE_VOLUME: Final = Decimal(1000)
#: Encounters a year of the whole practice's illustrative mix (the app's Forecast and Negotiate pages).
DEFAULT_PRACTICE_VOLUME: Final = Decimal(2400)
#: E/M share of the illustrative default mix (before a mix file is opened).
DEFAULT_EM_SHARE: Final = Decimal(30)
SETTING_NAMES: Final = {"nonfacility": Setting.NONFACILITY, "non-facility": Setting.NONFACILITY,
                        "facility": Setting.FACILITY}
EM_NO: Final = frozenset({"", "0", "no", "n", "false"})
EM_YES: Final = frozenset({"1", "yes", "y", "true"})
COLUMN_ALIASES: Final = {"date": ("date", "date_of_service", "dos"),
                         "lesions": ("lesions", "lesion_count", "lesion count", "count"),
                         "payer": ("payer",),
                         "pos": ("pos", "place_of_service", "place of service"),
                         "em": ("em", "em_code", "e/m")}


class Catalog(Protocol):
    """The fee-schedule tables by year (``estimator.tables.shipped.TableCatalog``; store may not import tables)."""

    def years(self) -> list[int]: ...

    def for_year(self, year: int) -> TableSet: ...


@dataclass(frozen=True, slots=True)
class Environment:
    """What validating a scenario needs besides the file: payers, years, tables, the practice."""

    payer_names: tuple[str, ...]
    years: tuple[int, ...]
    tables_for: Callable[[int], TableSet]
    practice: Practice

    @classmethod
    def of(cls, store: SqlStore, catalog: Catalog) -> Environment:
        """The practice database's valid payers (an invalid stored one is left out, as ``payers()`` says) and
        practice profile, with the catalog's years and tables."""
        return cls(tuple(p.name for p in store.payers()), tuple(catalog.years()), catalog.for_year, store.practice())

    def payer(self, name: str) -> str | None:
        """The stored spelling of a payer name (names are case-insensitive), or None."""
        wanted = name.strip().lower()
        return next((n for n in self.payer_names if n.lower() == wanted), None)


# --- values -----------------------------------------------------------------------------------------------


def _number(value: object, where: str, problems: list[Problem]) -> Decimal | None:
    """A TOML number (or numeric string) as an exact Decimal; floats through their shortest repr."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(Problem(where, f"must be a number, got {value!r}"))
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        problems.append(Problem(where, f"{value!r} is not a number"))
        return None
    if not number.is_finite():
        problems.append(Problem(where, f"{value!r} is not a finite number"))
        return None
    return number


def _integer(value: object, where: str, problems: list[Problem]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem(where, f"must be a whole number, got {value!r}"))
        return None
    return value


def _text(value: object, where: str, problems: list[Problem]) -> str | None:
    if not isinstance(value, str):
        problems.append(Problem(where, f"must be text in quotes, got {value!r}"))
        return None
    return value.strip()


def _table(value: object, where: str, problems: list[Problem]) -> dict[str, Any]:
    if not isinstance(value, dict):
        problems.append(Problem(where, f"must be a table ([{where}] with name = value lines)"))
        return {}
    return value


def _month(value: object, problems: list[Problem]) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.replace(day=1)
    if isinstance(value, str):
        try:
            year, month = value.strip().split("-")[:2]
            return dt.date(int(year), int(month), 1)
        except ValueError:
            pass
    problems.append(Problem("start", f"{value!r} is not a month; write \"YYYY-MM\", e.g. \"2026-01\""))
    return None


def _lesion_count(key: str) -> int | None:
    text = key.strip().rstrip("+")
    return int(text) if ascii_digits(text, 6) and int(text) >= 1 else None


# --- past encounters --------------------------------------------------------------------------------------


def _columns(header: list[str], path: Path) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    at: dict[str, int] = {}
    for column, aliases in COLUMN_ALIASES.items():
        found = next((names.index(a) for a in aliases if a in names), None)
        if found is not None:
            at[column] = found
    missing = [c for c in ("date", "lesions", "payer", "pos") if c not in at]
    if missing:
        raise InputError(f"{path}: line 1: missing column(s) {', '.join(missing)}; the header needs "
                         "date,lesions,payer,pos (and optionally em)")
    return at


def read_past_encounters(path: Path, places: PlacesOfService, payer: Callable[[str], str | None]
                         ) -> list[PastEncounter]:
    """Read a past-encounters CSV, checking every row (date, lesion count, known payer, valid POS).

    Args:
        path: the CSV file.
        places: the POS table (POS -> setting).
        payer: maps a payer name to its stored spelling, or None when unknown.

    Raises:
        InputError: the file cannot be read, or rows are invalid (each named with its line and column).
    """
    text = read_text(path, "the past-encounters file", SAVE_AS_CSV)
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise InputError(f"{path}: the file is empty")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(line for _, line in numbered), newline="")))
    except csv.Error as exc:
        raise InputError(f"{path}: not readable as CSV ({exc}); save it as CSV (UTF-8) again") from None
    at = _columns(rows[0], path)
    problems: list[str] = []
    out: list[PastEncounter] = []
    for (number, _), row in zip(numbered[1:], rows[1:], strict=True):
        def cell(column: str, row: list[str] = row) -> str:
            i = at.get(column)
            return row[i].strip() if i is not None and i < len(row) else ""

        where = f"line {number}"
        try:
            day = dt.date.fromisoformat(cell("date"))
        except ValueError:
            problems.append(f"{where}, column date: {cell('date')!r} is not a date (YYYY-MM-DD)")
            continue
        count_text = cell("lesions")
        if not ascii_digits(count_text, 6) or int(count_text) < 1:
            problems.append(f"{where}, column lesions: {count_text!r} must be a whole number from 1 up")
            continue
        name = payer(cell("payer"))
        if name is None:
            problems.append(f"{where}, column payer: no payer named {cell('payer')!r} in the practice database")
            continue
        try:
            setting = places.get(cell("pos")).setting
        except InputError:
            problems.append(f"{where}, column pos: {cell('pos')!r} is not a place-of-service code (e.g. 11)")
            continue
        em: bool | None = None
        if "em" in at:
            flag = cell("em").lower()
            if flag in EM_NO:
                em = False
            elif flag in EM_YES or flag in cs.EM_CODES:
                em = True
            else:
                problems.append(f"{where}, column em: {cell('em')!r}: use yes/no, 1/0 or an E/M code")
                continue
        out.append(PastEncounter(day, int(count_text), name, setting, em))
    if problems:
        more = f"; ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise InputError(f"{path}: {len(problems)} bad row(s): " + "; ".join(problems[:MAX_REPORTED]) + more)
    if not out:
        raise InputError(f"{path}: no encounters below the header")
    return out


# --- scenarios --------------------------------------------------------------------------------------------


def _payer_table(raw: Mapping[str, Any], table: str, env: Environment, problems: list[Problem]
                 ) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for key, value in raw.items():
        name = env.payer(key)
        if name is None:
            known = ", ".join(env.payer_names)
            problems.append(Problem(quoted(table, key), f"no payer named {key!r} in the practice database "
                                                        f"(known: {known})"))
            continue
        number = _number(value, quoted(table, key), problems)
        if number is not None:
            if name in out:
                problems.append(Problem(quoted(table, key), f"{name!r} is listed twice"))
            out[name] = number
    return out


def _setting_table(raw: Mapping[str, Any], places: PlacesOfService, problems: list[Problem]
                   ) -> dict[Setting, Decimal]:
    out: dict[Setting, Decimal] = {}
    for key, value in raw.items():
        setting = SETTING_NAMES.get(key.strip().lower())
        if setting is None:
            try:
                setting = places.get(key).setting
            except InputError:
                problems.append(Problem(quoted("setting_mix", key), "use nonfacility, facility or a POS code "
                                                                     "such as 11 or 22"))
                continue
        number = _number(value, quoted("setting_mix", key), problems)
        if number is not None:
            out[setting] = out.get(setting, Decimal(0)) + number
    return out


def _seasonality(value: object, problems: list[Problem]) -> tuple[Decimal, ...] | None:
    if isinstance(value, str):
        preset = SEASONALITY_PRESETS.get(value.strip().lower())
        if preset is None:
            problems.append(Problem("seasonality", f"unknown preset {value!r}; use "
                                                   f"{' or '.join(SEASONALITY_PRESETS)}, or 12 numbers"))
        return preset
    if isinstance(value, list):
        numbers = [_number(v, f"seasonality[{i}]", problems) for i, v in enumerate(value, start=1)]
        return tuple(n for n in numbers if n is not None) if all(n is not None for n in numbers) else None
    problems.append(Problem("seasonality", "use a preset name or a list of 12 numbers (Jan..Dec)"))
    return None


def scenario_from_dict(data: Mapping[str, Any], env: Environment, *, base_dir: Path | None = None,
                       source: str = "") -> Scenario:
    """Validate parsed TOML into a ``Scenario`` (every problem reported at once, each naming its field).

    Raises:
        ScenarioError: any field missing, mistyped or out of range; an unknown payer; shares not summing
            to 100; a bad ``fit_from`` file.
    """
    problems: list[Problem] = []
    unknown = sorted(set(data) - TOP_LEVEL)
    for key in unknown:
        problems.append(Problem(key, "unknown field (check the spelling; fields: "
                                     f"{', '.join(sorted(TOP_LEVEL))})"))
    newest = env.years[-1] if env.years else 2026
    year = _integer(data["year"], "year", problems) if "year" in data else newest
    # A year after the newest tables is priced with them, marked provisional (the tables layer decides).
    if year is not None and year not in env.years and not (env.years and year > env.years[-1]):
        problems.append(Problem("year", f"no fee-schedule tables for {year}; available: "
                                        f"{', '.join(str(y) for y in env.years)}"))
        year = None
    tables = env.tables_for(year if year is not None else newest)
    start = _month(data["start"], problems) if "start" in data else dt.date(year or newest, 1, 1)
    months = _integer(data.get("months", 12), "months", problems)
    locality = _text(data["locality"], "locality", problems) if "locality" in data else \
        env.practice.locality_key
    if locality is not None and locality.lower() != NATIONAL_KEY:
        try:
            tables.localities.index(locality)
        except InputError:
            problems.append(Problem("locality", f"unknown locality {locality!r}: use a 7-digit MAC+locality key "
                                                "such as 0441299 (see 'estimator localities'), or 'national'"))
    elif locality is not None:
        locality = NATIONAL_KEY
    annual = _number(data["annual_volume"], "annual_volume", problems) if "annual_volume" in data else None
    monthly: tuple[Decimal, ...] | None = None
    if "monthly_volumes" in data:
        raw_monthly = data["monthly_volumes"]
        if not isinstance(raw_monthly, list):
            problems.append(Problem("monthly_volumes", "must be a list of numbers, one per month"))
        else:
            values = [_number(v, f"monthly_volumes[{i}]", problems) for i, v in enumerate(raw_monthly, start=1)]
            monthly = tuple(v for v in values if v is not None)
    seasonality = _seasonality(data["seasonality"], problems) if "seasonality" in data else None
    model_text = _text(data.get("volume_model", "poisson"), "volume_model", problems)
    volume_model = VolumeModel.POISSON
    if model_text is not None:
        try:
            volume_model = VolumeModel(model_text.lower())
        except ValueError:
            problems.append(Problem("volume_model", f"{model_text!r}: use \"poisson\" or \"fixed\""))
    em_share = _number(data["em_share"], "em_share", problems) if "em_share" in data else None
    em_code = _text(data.get("em_code", DEFAULT_EM_CODE), "em_code", problems) or DEFAULT_EM_CODE
    default_rate = _number(data.get("default_collection_rate", 100), "default_collection_rate", problems)
    lesions: dict[int, Decimal] | None = None
    if "lesions" in data:
        lesions = {}
        for key, value in _table(data["lesions"], "lesions", problems).items():
            count = _lesion_count(key)
            weight = _number(value, quoted("lesions", key), problems)
            if count is None or (key.strip().endswith("+") and count < LESION_TIERS):
                problems.append(Problem(quoted("lesions", key), "must be a lesion count (1, 2, ... or \"15+\")"))
            elif weight is not None:
                lesions[count] = lesions.get(count, Decimal(0)) + weight
    payer_mix = _payer_table(_table(data["payer_mix"], "payer_mix", problems), "payer_mix", env, problems) \
        if "payer_mix" in data else None
    setting_mix = _setting_table(_table(data["setting_mix"], "setting_mix", problems), tables.places, problems) \
        if "setting_mix" in data else None
    collection = _payer_table(_table(data.get("collection_rates", {}), "collection_rates", problems),
                              "collection_rates", env, problems)
    fitted: Fitted | None = None
    if "fit_from" in data:
        name = _text(data["fit_from"], "fit_from", problems)
        if name is not None:
            csv_path = Path(name) if Path(name).is_absolute() or base_dir is None else base_dir / name
            try:
                fitted = fit_encounters(read_past_encounters(csv_path, tables.places, env.payer))
            except InputError as exc:
                problems.append(Problem("fit_from", str(exc)))
    if fitted is not None:
        lesions = lesions if lesions is not None else fitted.lesions
        payer_mix = payer_mix if payer_mix is not None else fitted.payer_mix
        setting_mix = setting_mix if setting_mix is not None else fitted.setting_mix
        em_share = em_share if em_share is not None else fitted.em_share
        seasonality = seasonality if seasonality is not None else fitted.seasonality
        if annual is None and monthly is None:
            annual = fitted.annual_volume
            if annual is None:
                problems.append(Problem("annual_volume", f"not given, and fit_from spans only "
                                                          f"{fitted.months_spanned} month(s); a year of data is "
                                                          "needed to estimate it"))
    if lesions is None:
        problems.append(Problem("lesions", "missing: give a [lesions] histogram (count = weight) or fit_from"))
    if payer_mix is None:
        problems.append(Problem("payer_mix", "missing: give a [payer_mix] table (payer = %) or fit_from"))
    if annual is None and monthly is None and not any(p.field == "annual_volume" for p in problems):
        problems.append(Problem("annual_volume", "missing: give annual_volume (or monthly_volumes)"))
    if problems:
        raise ScenarioError(source, problems)
    assert lesions is not None and payer_mix is not None and months is not None and year is not None
    assert start is not None and locality is not None and default_rate is not None
    practice_setting = _practice_setting(env.practice, tables)
    scenario = Scenario(
        payer_mix=payer_mix, lesions=lesions, annual_volume=annual, monthly_volumes=monthly, year=year,
        start=start, months=months, seasonality=seasonality or SEASONALITY_PRESETS[DEFAULT_SEASONALITY],
        volume_model=volume_model, setting_mix=setting_mix or {practice_setting: HUNDRED},
        em_share=em_share if em_share is not None else Decimal(0), em_code=em_code,
        collection_rates=collection, default_collection_rate=default_rate, locality_key=locality,
        name=_text(data.get("name", ""), "name", problems) or "",
    )
    problems += scenario_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def _practice_setting(practice: Practice, tables: TableSet) -> Setting:
    try:
        return tables.places.get(practice.place_of_service).setting
    except InputError:
        return Setting.NONFACILITY


def parse_scenario(text: str, env: Environment, *, base_dir: Path | None = None, source: str = "") -> Scenario:
    """Parse and validate scenario TOML text.

    Raises:
        ScenarioError: not valid TOML (with line and column), or any field invalid.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [Problem("TOML", f"not valid TOML: {exc}")]) from None
    return scenario_from_dict(data, env, base_dir=base_dir, source=source)


def load_scenario(path: Path, env: Environment) -> Scenario:
    """Read and validate a scenario file (``fit_from`` is resolved next to it).

    Raises:
        ScenarioError: invalid content.
        InputError: the file cannot be read.
    """
    path = Path(path)
    text = read_text(path, "the scenario file")
    return parse_scenario(text, env, base_dir=path.parent, source=str(path))


def scenario_from_fit(fitted: Fitted, env: Environment, *, year: int | None = None,
                      em_share: Decimal = Decimal(0)) -> Scenario:
    """A scenario made only from past encounters (annual volume annualised when they span under a year)."""
    year = year or (env.years[-1] if env.years else 2026)
    annual = fitted.annual_volume if fitted.annual_volume is not None else \
        (Decimal(fitted.encounters) * 12 / fitted.months_spanned).quantize(Decimal("0.01"))
    return Scenario(
        payer_mix=fitted.payer_mix, lesions=fitted.lesions, annual_volume=annual, year=year,
        start=dt.date(year, 1, 1), seasonality=fitted.seasonality or SEASONALITY_PRESETS[DEFAULT_SEASONALITY],
        setting_mix=fitted.setting_mix, em_share=fitted.em_share if fitted.em_share is not None else em_share,
        locality_key=env.practice.locality_key, name="fitted from past encounters",
    )


def load_mix(path: Path, env: Environment) -> Scenario:
    """A practice mix from a scenario ``.toml`` or a past-encounters ``.csv``.

    Raises:
        ScenarioError / InputError: an invalid file.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        tables = env.tables_for(env.years[-1])
        scenario = scenario_from_fit(fit_encounters(read_past_encounters(path, tables.places, env.payer)), env)
        problems = scenario_problems(scenario)
        if problems:
            raise ScenarioError(str(path), problems)
        return scenario
    return load_scenario(path, env)


def default_mix(payer: str, env: Environment, *, year: int | None = None,
                volume: Decimal = DEFAULT_NEGOTIATE_VOLUME) -> Scenario:
    """The illustrative mix used when negotiating without a mix file: ``volume`` encounters a year, all
    with ``payer``, the default lesion histogram, 30% with an E/M, at the practice's place of service."""
    return illustrative_mix({payer: HUNDRED}, env, year=year, volume=volume)


def illustrative_mix(payer_mix: Mapping[str, Decimal], env: Environment, *, year: int | None = None,
                     volume: Decimal = DEFAULT_PRACTICE_VOLUME, seasonality: str = "flat",
                     name: str = "illustrative default mix") -> Scenario:
    """A mix to start from before any file is opened: ``volume`` encounters a year (``seasonality`` preset)
    from January of ``year`` (default: the newest tables), ``payer_mix``, the default lesion histogram, 30%
    with an E/M, all at the practice's place of service and locality.

    Raises:
        InputError: no tables for ``year``.
    """
    year = year or (env.years[-1] if env.years else 2026)
    tables = env.tables_for(year)
    return Scenario(
        payer_mix=payer_mix, lesions=DEFAULT_LESIONS, annual_volume=volume, year=year,
        start=dt.date(year, 1, 1), seasonality=SEASONALITY_PRESETS[seasonality],
        setting_mix={_practice_setting(env.practice, tables): HUNDRED}, em_share=DEFAULT_EM_SHARE,
        locality_key=env.practice.locality_key, name=name,
    )


def write_output(path: Path, text: str) -> None:
    """Write a rendered forecast or analysis to ``path`` whole or not at all (temp file, then rename).

    Raises:
        InputError: the folder does not exist or cannot be written.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path}: the folder {path.parent} does not exist")
    write_text_atomically(path, text if text.endswith("\n") else text + "\n")


# --- writing scenarios ------------------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes and backslashes escaped, control characters (and DEL) as \\uXXXX."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_number(value: Decimal) -> str:
    """A Decimal as a TOML number, or as a quoted string when a float could not hold it exactly."""
    text = f"{value.normalize():f}"
    digits = len(text.replace("-", "").replace(".", "").lstrip("0"))
    return text if digits <= 15 else _toml_string(text)


def scenario_to_toml(scenario: Scenario) -> str:
    """A scenario as TOML text that ``parse_scenario`` reads back to the same scenario."""
    s = scenario
    lines = ["# Forecast scenario (written by the estimator; see examples/forecast_scenario.toml for every field)",
             f"name = {_toml_string(s.name)}", f"year = {s.year}", f'start = "{s.start.year}-{s.start.month:02d}"',
             f"months = {s.months}", f"locality = {_toml_string(s.locality_key)}"]
    if s.annual_volume is not None:
        lines.append(f"annual_volume = {_toml_number(s.annual_volume)}")
    if s.monthly_volumes is not None:
        lines.append(f"monthly_volumes = [{', '.join(_toml_number(v) for v in s.monthly_volumes)}]")
    preset = next((name for name, values in SEASONALITY_PRESETS.items() if values == s.seasonality), None)
    lines.append(f"seasonality = {_toml_string(preset)}" if preset else
                 f"seasonality = [{', '.join(_toml_number(v) for v in s.seasonality)}]")
    lines += [f"volume_model = {_toml_string(s.volume_model.value)}", f"em_share = {_toml_number(s.em_share)}",
              f"em_code = {_toml_string(s.em_code)}",
              f"default_collection_rate = {_toml_number(s.default_collection_rate)}", "", "[lesions]"]
    lines += [f'"{count}" = {_toml_number(weight)}' for count, weight in sorted(s.lesions.items())]
    lines += ["", "[payer_mix]"] + [f"{_toml_string(n)} = {_toml_number(v)}" for n, v in s.payer_mix.items()]
    lines += ["", "[setting_mix]"] + [f"{k.value} = {_toml_number(v)}" for k, v in s.setting_mix.items()]
    if s.collection_rates:
        lines += ["", "[collection_rates]"] + [f"{_toml_string(n)} = {_toml_number(v)}"
                                               for n, v in s.collection_rates.items()]
    return "\n".join(lines) + "\n"


def save_scenario(path: Path, scenario: Scenario) -> None:
    """Write a scenario file atomically (whole file or nothing).

    Raises:
        InputError: the folder does not exist or cannot be written.
    """
    write_output(Path(path), scenario_to_toml(scenario))

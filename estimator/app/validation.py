"""Parsing what a user types into a form field, and the form-level report the views render inline.

Each ``parse_*`` function turns the text of one field into a value or raises ``InputError`` with a
message that fits beside the field.  A form collects them into a ``Report`` (field -> problems) instead
of raising, so the view can mark every bad field at once and keep what the user typed.

``check_npi`` repeats the rule of ``estimator.cli.store_commands.validate_npi`` (app code should not
depend on the command line's helpers); both should move to one core module (see the project notes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from estimator.core import codes as cs
from estimator.core.encounter import ServiceLine
from estimator.core.errors import EstimatorError, InputError
from estimator.core.ids import validate_npi, validate_tin
from estimator.core.parsing import parse_money, parse_percent

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One entry of a form report."""

    field: str
    message: str
    severity: str = "error"


@dataclass(slots=True)
class Report:
    """What is wrong with a form, field by field (empty when the form is valid)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, field_name: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(field_name, message, severity))

    def check(self, field_name: str, parse: Callable[[], T]) -> T | None:
        """Run ``parse``; on ``EstimatorError`` record its message against ``field_name`` and return None."""
        try:
            return parse()
        except EstimatorError as exc:
            self.add(field_name, str(exc))
            return None

    def for_field(self, field_name: str) -> list[str]:
        return [p.message for p in self.problems if p.field == field_name]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def parse_optional_money(text: str, what: str) -> int | None:
    """Like ``parse_money``; an empty field means "not given" (``None``)."""
    return None if not text.strip() else parse_money(text, what)


def parse_optional_percent(text: str, what: str, upper: int = 100) -> Decimal | None:
    return None if not text.strip() else parse_percent(text, what, upper)


def parse_optional_date(text: str, what: str) -> dt.date | None:
    """``YYYY-MM-DD`` or empty.

    Raises:
        InputError: not a calendar date in that form.
    """
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what}: use YYYY-MM-DD, e.g. 2026-01-01") from None


def parse_day(text: str, what: str) -> dt.date:
    """A calendar date typed as ISO ``2026-12-15`` or US ``12/15/2026`` (also ``12-15-2026``).

    Raises:
        InputError: empty, or not a calendar date in either form.
    """
    raw = text.strip()
    us = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", raw)
    try:
        if us:
            return dt.date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
            year, month, day = (int(part) for part in raw.split("-"))
            return dt.date(year, month, day)
    except ValueError:
        raise InputError(f"{what}: {raw!r} is not a calendar date") from None
    raise InputError(f"{what}: use YYYY-MM-DD or MM/DD/YYYY, e.g. 2026-12-15 or 12/15/2026")


def parse_frequency(text: str) -> tuple[int, int] | None:
    """``N/DAYS`` (e.g. ``1/365``) or empty.

    Raises:
        InputError: malformed, or below 1.
    """
    if not text.strip():
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise InputError("frequency limit: use N/DAYS, e.g. 1/365 (once a year)")
    count, days = int(match.group(1)), int(match.group(2))
    if count < 1 or days < 1:
        raise InputError("frequency limit: at least 1 time in at least 1 day")
    return count, days


def parse_codes(text: str) -> frozenset[str]:
    """A comma- or space-separated list of HCPCS/CPT codes.

    Raises:
        InputError: a code that is not 5 characters.
    """
    return frozenset(cs.normalize_code(c) for c in re.split(r"[,\s]+", text) if c.strip())


def parse_procedures(text: str) -> tuple[ServiceLine, ...]:
    """Extra procedures: ``11102, 17110:59, 11103x2:RT@D48.5`` (comma- or space-separated).

    Raises:
        InputError: a malformed entry (its own message names it).
    """
    return tuple(ServiceLine.parse(item) for item in re.split(r"[,;\s]+", text) if item.strip())


def parse_diagnoses(text: str) -> tuple[str, ...]:
    """One or more ICD-10-CM codes, comma- or space-separated.

    Raises:
        InputError: a code not shaped like ICD-10-CM.
    """
    return tuple(cs.normalize_diagnosis(d) for d in re.split(r"[,;\s]+", text) if d.strip())


def parse_overrides(text: str) -> dict[tuple[str, str], int]:
    """Per-code rates ``17000=75.00, 17003-26=8``.

    Raises:
        InputError: an entry that is not CODE[-MOD]=AMOUNT.
    """
    out: dict[tuple[str, str], int] = {}
    for item in re.split(r"[,;]+", text):
        if not item.strip():
            continue
        code_text, sep, amount = item.partition("=")
        if not sep:
            raise InputError(f"override {item.strip()!r}: use CODE[-MOD]=AMOUNT, e.g. 17000=75.00")
        code, _, mod = code_text.strip().partition("-")
        out[(cs.normalize_code(code), mod.strip().upper())] = parse_money(amount, f"override {code.strip()}")
    return out


def format_overrides(overrides: dict[tuple[str, str], int]) -> str:
    return ", ".join(f"{c}{'-' + m if m else ''}={cents // 100}.{cents % 100:02d}"
                     for (c, m), cents in sorted(overrides.items()))


def check_npi(text: str) -> str:
    """An NPI (see ``estimator.core.ids.validate_npi``); an empty field is allowed while typing.

    Raises:
        InputError: wrong length or check digit.
    """
    return validate_npi(text) if text.strip() else ""


def check_tin(text: str) -> str:
    """A TIN (see ``estimator.core.ids.validate_tin``); an empty field is allowed while typing.

    Raises:
        InputError: not 9 digits.
    """
    return validate_tin(text) if text.strip() else ""

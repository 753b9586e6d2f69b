"""Amounts and percentages typed by a user, parsed exactly, with one message per mistake.

Shared by every entry point (CLI options, GUI fields, CSV cells) so the same input is accepted or refused
the same way everywhere.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

from estimator.core.errors import InputError

MAX_MONEY: Final = Decimal("1000000")


def parse_money(text: str, what: str) -> int:
    """Dollars -> cents: ``150``, ``150.00``, ``$1,250.50``.

    Raises:
        InputError: not a non-negative amount with at most 2 decimals (or implausibly large).
    """
    raw = text.strip().replace(",", "").lstrip("$").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InputError(f"{what}: {text.strip()!r} is not an amount; type dollars, e.g. 150 or 150.00") from None
    if not value.is_finite():
        raise InputError(f"{what}: type a dollar amount, e.g. 150.00")
    if value < 0:
        raise InputError(f"{what} cannot be negative, got {text.strip()!r}")
    if value > MAX_MONEY:
        raise InputError(f"{what} is implausibly large (over {MAX_MONEY:,})")
    if value != value.quantize(Decimal("0.01")):
        raise InputError(f"{what}: at most 2 decimal places (cents), got {text.strip()!r}")
    return int(value * 100)


def parse_percent(text: str, what: str, upper: int = 100) -> Decimal:
    """A percentage from 0 to ``upper`` (``20``, ``20%``, ``12.5``).

    Raises:
        InputError: not a number in range.
    """
    raw = text.strip().rstrip("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InputError(f"{what}: {text.strip()!r} is not a percentage; type e.g. 20") from None
    if not value.is_finite() or not 0 <= value <= upper:
        raise InputError(f"{what} must be between 0 and {upper}%, got {text.strip()!r}")
    return value


def parse_positive_decimal(text: str, what: str) -> Decimal:
    """A plain positive number such as a conversion factor (``38.50``).

    Raises:
        InputError: not a number above 0.
    """
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InputError(f"{what}: {text.strip()!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"{what} must be a number above 0")
    return value

"""Amounts and percentages typed by a user, parsed exactly, with one message per mistake.

Shared by every entry point (CLI options, GUI fields, CSV cells) so the same input is accepted or refused
the same way everywhere.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Final

from estimator.core.errors import InputError

MAX_MONEY: Final = Decimal("1000000")
#: A practice's yearly revenue target: a large group's is tens of millions; a billion is surely a typo.
MAX_REVENUE: Final = Decimal("1000000000")
#: A conversion factor is held as CF x 10^4 (``estimator.core.money``): at most 4 decimals, and below $1,000.
CF_PLACES: Final = 4
MAX_CONVERSION_FACTOR: Final = Decimal(1000)
#: Percentages are exact to 4 decimals (120.7525%); more would only be noise and slow exact arithmetic.
PERCENT_PLACES: Final = 4
#: Longer than any number a person types: refused before ``Decimal`` or ``int`` sees it.
MAX_NUMBER_CHARS: Final = 40
MAX_NAME_CHARS: Final = 200
#: Invisible characters that reorder or hide text (Unicode bidi controls: the "Trojan Source" trick).
BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def ascii_digits(text: str, max_digits: int = 18) -> bool:
    """``text`` is a whole number in ASCII digits of at most ``max_digits`` digits.

    ``str.isdigit`` also says yes to superscripts and other scripts' digits (which ``int`` then refuses or
    reads differently), and ``int`` refuses more than 4,300 digits: user input goes through this first.
    """
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def decimal_problem(value: Decimal, places: int, low: Decimal, high: Decimal, *, low_open: bool = False) -> str:
    """What is wrong with a stored or typed number, in words ('' when it is fine): not finite, too many
    decimal places, or outside ``low``..``high`` (``low`` excluded with ``low_open``).

    Used for input and for values read back from the database, so both follow the rule the pricing needs.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"{value} is not a number"
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        return f"{value} has more than {places} decimal places"
    if value < low or (low_open and value == low) or value > high:
        return f"{value} must be {'above' if low_open else 'at least'} {low} and at most {high}"
    return ""


def _number(text: str, what: str, example: str, kind: str = "a number") -> Decimal:
    """A decimal number typed by a user: ASCII only (no superscripts or other scripts' digits), short.

    Raises:
        InputError: anything else.
    """
    raw = text.strip()
    if len(raw) > MAX_NUMBER_CHARS:
        raise InputError(f"{what}: {raw[:20]}... is too long for {kind}; type e.g. {example}")
    if not raw.isascii():
        raise InputError(f"{what}: {raw!r} is not {kind}; type plain digits, e.g. {example}")
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise InputError(f"{what}: {raw!r} is not {kind}; type e.g. {example}") from None


def parse_conversion_factor(text: str, what: str) -> Decimal:
    """A payer's own conversion factor: dollars, above 0 and below $1,000, at most 4 decimals (``38.1234``).

    Raises:
        InputError: anything else, in one line.
    """
    value = _number(text, what, "38.50")
    problem = decimal_problem(value, CF_PLACES, Decimal(0), MAX_CONVERSION_FACTOR - Decimal("0.0001"), low_open=True)
    if problem:
        raise InputError(f"{what}: {problem} (a conversion factor is dollars with at most 4 decimals, "
                         "e.g. 38.5000)")
    return value


def clean_name(text: str, what: str) -> str:
    """A person's or a payer's name as typed, trimmed; refuses control and bidi-override characters, which
    print invisibly (or reorder the text) on documents and in exports.

    Raises:
        InputError: empty is allowed (the caller decides); too long, or an invisible control character.
    """
    name = text.strip()
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"{what} is longer than {MAX_NAME_CHARS} characters")
    for ch in name:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            raise InputError(f"{what} contains an invisible control character (U+{ord(ch):04X}); retype it "
                             "without pasting")
    return name


def parse_money(text: str, what: str, upper: Decimal = MAX_MONEY) -> int:
    """Dollars -> cents: ``150``, ``150.00``, ``$1,250.50`` (at most ``upper``: a fee or a bill by default).

    Raises:
        InputError: not a non-negative amount with at most 2 decimals (or implausibly large).
    """
    raw = text.strip().replace(",", "").lstrip("$").strip()
    if len(raw) > MAX_NUMBER_CHARS or not raw.isascii():
        raise InputError(f"{what}: {text.strip()[:20]!r} is not an amount; type dollars, e.g. 150 or 150.00")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InputError(f"{what}: {text.strip()!r} is not an amount; type dollars, e.g. 150 or 150.00") from None
    if not value.is_finite():
        raise InputError(f"{what}: type a dollar amount, e.g. 150.00")
    if value < 0:
        raise InputError(f"{what} cannot be negative, got {text.strip()!r}")
    if value > upper:
        raise InputError(f"{what} is implausibly large (over {upper:,})")
    if value != value.quantize(Decimal("0.01")):
        raise InputError(f"{what}: at most 2 decimal places (cents), got {text.strip()!r}")
    return int(value * 100)


def parse_percent(text: str, what: str, upper: int = 100) -> Decimal:
    """A percentage from 0 to ``upper`` (``20``, ``20%``, ``12.5``).

    Raises:
        InputError: not a number in range.
    """
    raw = text.strip().rstrip("%").strip()
    value = _number(raw, what, "20", "a percentage")
    if not value.is_finite() or not 0 <= value <= upper:
        raise InputError(f"{what} must be between 0 and {upper}%, got {text.strip()!r}")
    if value.as_tuple().exponent < -PERCENT_PLACES:  # type: ignore[operator]
        raise InputError(f"{what}: at most {PERCENT_PLACES} decimal places, got {text.strip()!r}")
    return value


def parse_positive_decimal(text: str, what: str) -> Decimal:
    """A plain positive number such as a conversion factor (``38.50``).

    Raises:
        InputError: not a number above 0.
    """
    value = _number(text, what, "38.50")
    if not value.is_finite() or value <= 0:
        raise InputError(f"{what} must be a number above 0")
    return value

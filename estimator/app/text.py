"""How the app writes amounts and percentages (exact: cents through ``Decimal``, never floats), and user
data in places Qt would otherwise read as rich text."""

from __future__ import annotations

import html
from decimal import Decimal

from estimator.core.money import cents_to_decimal


def money(cents: int | None, none: str = "—") -> str:
    """``12345`` -> ``$123.45`` (thousands separated); ``None`` -> ``none``."""
    if cents is None:
        return none
    value = cents_to_decimal(cents)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def percent(value: Decimal | None, none: str = "—") -> str:
    """``Decimal('115.00')`` -> ``115%``, ``Decimal('12.50')`` -> ``12.5%``."""
    if value is None:
        return none
    text = f"{value.normalize():f}"
    return f"{text}%"


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally: Qt guesses whether a tooltip is rich text, so a payer named
    ``<b>Acme</b>`` (or with a link) would render as markup; escaped inside ``<qt>`` it cannot."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"

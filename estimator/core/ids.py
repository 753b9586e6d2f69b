"""Identifiers on documents and claims: the NPI (with its check digit) and the TIN."""

from __future__ import annotations

import re

from estimator.core.errors import InputError

#: The Luhn sum contribution of the "80840" prefix the NPI standard puts before the 10 digits.
_NPI_PREFIX_SUM = 24


def validate_npi(npi: str) -> str:
    """A 10-digit National Provider Identifier whose last digit is its Luhn check digit (CMS NPI standard).

    Raises:
        InputError: wrong length or check digit.
    """
    digits = npi.strip()
    if not re.fullmatch(r"\d{10}", digits):
        raise InputError(f"NPI must be 10 digits, got {npi!r}")
    total = _NPI_PREFIX_SUM
    for i, ch in enumerate(reversed(digits[:-1])):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    if (10 - total % 10) % 10 != int(digits[-1]):
        raise InputError(f"NPI {npi} fails its check digit; check for a typo")
    return digits


def validate_tin(tin: str) -> str:
    """A 9-digit Tax Identification Number (EIN 12-3456789 or SSN 123-45-6789), kept as typed.

    Raises:
        InputError: not 9 digits.
    """
    digits = tin.strip().replace("-", "")
    if not re.fullmatch(r"\d{9}", digits):
        raise InputError(f"TIN must be 9 digits (EIN 12-3456789 or SSN), got {tin!r}")
    return tin.strip()

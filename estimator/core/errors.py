"""One error hierarchy for everything a user can get wrong; each error's text is the message shown."""

from __future__ import annotations


class EstimatorError(Exception):
    """Base class: the message is a complete sentence a user can act on."""


class InputError(EstimatorError):
    """A value the user typed or passed is not acceptable (with what is wrong and how to fix it)."""


class UnknownCodeError(InputError):
    """A HCPCS/CPT code (or code + modifier row) that is not in the fee schedule."""

    def __init__(self, code: str, modifier: str = "", release: str = "") -> None:
        row = f"{code}-{modifier}" if modifier else code
        where = f" of {release}" if release else ""
        super().__init__(
            f"unknown code {row!r}: it is not in the fee schedule{where}; "
            "check the code (5 characters, e.g. 17000 or G2211)"
        )


class UnknownLocalityError(InputError):
    """A locality key that is not one of the 109 Medicare payment localities."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"unknown locality {key!r}: use a 7-digit MAC+locality key such as 0441299 "
            "(see 'estimator localities'), or 'national'"
        )


class DataFileError(EstimatorError):
    """A CMS or user data file is malformed; names the file, line and field."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem

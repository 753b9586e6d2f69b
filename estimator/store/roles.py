"""Who may do what in a shared practice database: front desk, billing and manager.

PostgreSQL enforces these with the GRANTs of ``estimator db init-roles`` (the database refuses); the app and
the command line ask the same table first, so they can disable a control and say why instead of failing.
A single-user SQLite file belongs to whoever opens it, who may do everything (``MANAGER``).
"""

from __future__ import annotations

import enum
from typing import Final


class Role(enum.Enum):
    FRONT_DESK = "front desk"
    BILLING = "billing"
    MANAGER = "manager"

    @property
    def database_role(self) -> str:
        """The PostgreSQL group role (``estimator_front_desk`` ...)."""
        return "estimator_" + self.name.lower()


#: The roles as typed on the command line (``front-desk``, ``billing``, ``manager``).
ROLE_NAMES: Final = {r.value.replace(" ", "-"): r for r in Role}


class Action(enum.Enum):
    ESTIMATE = "price estimates"
    ISSUE_GFE = "issue Good Faith Estimates"
    AUDIT = "audit claims and remittances"
    CHANGE_CONTRACTS = "change payer contracts"
    CHANGE_PRACTICE = "change practice settings and the charge master"
    PURGE_GFE = "purge Good Faith Estimates past their retention"


_ALLOWED: Final[dict[Role, frozenset[Action]]] = {
    Role.FRONT_DESK: frozenset({Action.ESTIMATE, Action.ISSUE_GFE}),
    Role.BILLING: frozenset({Action.ESTIMATE, Action.ISSUE_GFE, Action.AUDIT}),
    Role.MANAGER: frozenset(Action),
}


def may(role: Role, action: Action) -> bool:
    return action in _ALLOWED[role]


def why_not(role: Role, action: Action) -> str:
    """'' when allowed, else a sentence saying who may (shown in a tooltip or an error)."""
    if may(role, action):
        return ""
    allowed = [r.value for r in Role if may(r, action)]
    return (f"you are connected as {role.value}, who may not {action.value}; "
            f"ask someone with the {' or '.join(allowed)} role")

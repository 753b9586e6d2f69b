# ruff: noqa: E501 (generated: one command per line)
"""Which module defines each command, so a call imports only its own command's module.

Generated from the ``*_commands`` modules (``python -c "from estimator.cli import write_index; write_index()"``
rewrites it; a test checks it is current).  A ``*_commands`` module missing from it still works: it is imported on every call.
"""

from typing import Final

#: command -> (module in ``estimator.cli``, one-line help), in the order ``estimator --help`` lists them.
COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "price": ("pricing_commands", "fee-schedule amounts for codes"),
    "lesions": ("pricing_commands", "claim lines for a count of premalignant lesions"),
    "localities": ("pricing_commands", "find Medicare payment localities"),
    "tables": ("tables_commands", "build, import or list fee-schedule tables"),
    "encounter": ("encounter_commands", "price and check a whole visit"),
    "global-period": ("encounter_commands", "last day of a procedure's global period"),
    "practice": ("store_commands", "the practice profile and charge master"),
    "payers": ("store_commands", "payer contracts"),
    "estimate": ("store_commands", "what the payer pays and the patient owes for a visit"),
    "demo": ("store_commands", "example data to try every feature"),
    "audit": ("audit_commands", "audit past claims (CSV): rule violations, denial risks and underpayments"),
    "db": ("db_commands", "the practice database: backup and restore, shared server roles, copy, retention"),
    "forecast": ("forecast_commands", "monthly revenue forecast with P10/P50/P90 bands"),
    "negotiate": ("forecast_commands", "a payer's %% of Medicare on your mix, what-ifs, targets, 2025->2026 change"),
    "remits": ("remits_commands", "X12 835 remittances: import, payer scorecard, recovery list"),
    "gfe": ("report_commands", "issue a Good Faith Estimate (self-pay), or list / show / reprint / compare logged ones"),
    "export": ("report_commands", "CSV exports (a locality's fee schedule)"),
    "compare": ("report_commands", "one visit priced by every payer, in every locality, or by year"),
}

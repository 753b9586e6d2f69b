"""The pure domain: fee-schedule tables as values, the CMS pricing formula, claim rules and payer math.

Nothing here does I/O or imports Qt; tables are passed in as arguments (see ``estimator.tables``).
"""

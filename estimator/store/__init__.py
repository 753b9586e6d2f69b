"""The practice's own data (profile, charge master, payers, GFE log) behind a small repository interface."""

"""Reimbursement estimator for destruction of premalignant skin lesions (CPT 17000/17003/17004)."""

__version__ = "0.1.0"

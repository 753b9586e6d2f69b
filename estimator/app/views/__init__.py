"""Reusable widgets: validated fields, the locality finder, form pieces."""

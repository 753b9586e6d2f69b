"""Dialogs: every file dialog, question and message box goes through ``estimator.app.dialogs.service``."""

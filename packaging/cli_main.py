"""Frozen entry point of ``estimator`` (the desktop build's command line)."""

from estimator.cli import main

raise SystemExit(main())

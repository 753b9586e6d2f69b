"""Frozen entry point of ``estimator-gui`` (the desktop build)."""

from estimator.app.main import main

raise SystemExit(main())

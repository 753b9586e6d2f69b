"""``python -m estimator``: the command line, for machines where the ``estimator`` script is not on PATH."""

from estimator.cli import main

raise SystemExit(main())

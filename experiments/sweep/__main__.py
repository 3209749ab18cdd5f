"""``python -m experiments.sweep ...``, the same as ``python -m experiments sweep ...``."""

from .cli import main

raise SystemExit(main())

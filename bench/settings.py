"""The app's own settings, on the benchmark's SQLite file, with the floor views routed in.

`bench.run` sets the environment (DEBUG off, a throwaway SECRET_KEY, `BENCH_DATABASE`)
before Django starts, for the in-process client and for gunicorn alike, so both measure
the production configuration.
"""

import os
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCH_DATABASE = Path(os.environ.get("BENCH_DATABASE", RESULTS_DIR / "bench-10.sqlite3"))

# Through DATABASE_URL rather than by replacing DATABASES, so the app's own database
# options (connection reuse, SQLite transaction mode, timeout) apply as in production.
os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DATABASE}"

from lems_site.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = RESULTS_DIR / "staticfiles"

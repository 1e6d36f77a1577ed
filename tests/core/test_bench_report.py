"""make bench reads bench/dashboard.py's printed figures into its table (bench/run_all.py)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import run_all  # noqa: E402 (bench/ is not a package)

OUTPUT = """\
database: postgresql; 100000 deals, 998712 stage changes
rollup of one day (nightly): median 1508 ms over 5 run(s) (min 1423, max 1722; 6 queries)
backfill of 365 days: median 103144 ms over 1 run(s) (min 103144, max 103144; 7 queries)
  6427582 snapshot rows
stage visits: full rebuild (sync_visits --rebuild): median 41245 ms over 1 run(s) (min 41245, max 41245; 10 queries)
dashboard full page as manager, first view: median 1986 ms over 5 run(s) (min 1882, max 2048; 24 queries)
dashboard full page as manager, repeated view: median 82 ms over 5 run(s) (min 78, max 93; 10 queries)
"""


def test_dashboard_figures_are_read_with_their_query_counts():
    figures = run_all.parse_dashboard(OUTPUT)

    assert figures["stage changes"] == 998712
    assert figures["rollup of one day"] == {"ms": 1508, "queries": 6}
    assert figures["backfill of 365 days"] == {"ms": 103144, "queries": 7}
    assert figures["stage visits: full rebuild"] == {"ms": 41245, "queries": 10}
    assert figures["dashboard full page as manager, first view"] == {"ms": 1986, "queries": 24}
    assert figures["dashboard full page as manager, repeated view"] == {"ms": 82, "queries": 10}

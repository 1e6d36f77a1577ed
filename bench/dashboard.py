"""Benchmark: the dashboard and the nightly rollup on `seed_demo --deals N` data.

Usage (uses its own database file unless DATABASE_URL is set; never the shared db.sqlite3):

    CRM_MODE=embedded .venv/bin/python bench/dashboard.py --deals 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/dashboard.py --deals 100000

It migrates, seeds (when the database has no deals), then prints: one day's rollup, a 90-day
backfill, the bottleneck job, and the dashboard (full page and htmx partial, as the manager and
the admin) — median of --repeat runs, with the number of queries.
"""

import argparse
import statistics
import time
from datetime import timedelta

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backfill-days", type=int, default=90, help="0 skips the backfill timing")
    args = parser.parse_args()

    benchsetup.setup_django(f"dashboard-{args.deals}")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from analytics import demo, services
    from deals.models import Deal, StageChange

    if not Deal.objects.exists():
        started = time.perf_counter()
        demo.seed_demo(deals=args.deals)
        print(f"seed_demo --deals {args.deals}: {time.perf_counter() - started:.1f} s (includes the 90-day backfill)")
    deals, changes = Deal.objects.count(), StageChange.objects.count()
    print(f"database: {connection.vendor}; {deals} deals, {changes} stage changes")

    def timed(label, function, repeat=1):
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            result = function()
            runs.append(time.perf_counter() - started)
        print(f"{label}: median {statistics.median(runs) * 1000:.0f} ms over {repeat} run(s)")
        return result

    yesterday = timezone.localdate() - timedelta(days=1)
    timed("rollup of one day", lambda: services.snapshot_rollup_day(day=yesterday), repeat=args.repeat)
    if args.backfill_days > 0:
        first = yesterday - timedelta(days=args.backfill_days - 1)
        timed(
            f"backfill of {args.backfill_days} days",
            lambda: services.snapshot_rollup_range(first_day=first, last_day=yesterday),
        )
    timed("bottleneck verdicts", services.stage_health_compute, repeat=args.repeat)

    for username in ("manager", "admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, headers in (("full page", {}), ("htmx partial", {"HX-Request": "true"})):
            client.get("/dashboard/", headers=headers)  # warm up
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/dashboard/", headers=headers)
            assert response.status_code == 200, response.status_code
            timed(
                f"dashboard {label} as {username} ({len(queries)} queries)",
                lambda headers=headers, client=client: client.get("/dashboard/", headers=headers),
                repeat=args.repeat,
            )


if __name__ == "__main__":
    main()

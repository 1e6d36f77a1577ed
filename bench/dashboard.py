"""Benchmark: the dashboard and the nightly rollup on `seed_demo --deals N` data.

Usage (uses its own database file unless DATABASE_URL is set; never the shared db.sqlite3):

    CRM_MODE=embedded .venv/bin/python bench/dashboard.py --deals 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/dashboard.py \
        --deals 100000 --moves-per-deal 10 --reps 20

It migrates, seeds (when the database has no deals: `seed_demo --deals N [--moves-per-deal F]
[--reps R]`, timed), then prints: one day's rollup (yesterday, as the nightly job), a backfill of
--backfill-days days (default 365: twelve months), the bottleneck job, a full rebuild of the stage
visits and a sync with nothing new, and the dashboard (full page and htmx partial, as the manager
and the admin; first view with an empty cache, first view after a data change, repeated view) —
median of --repeat runs, each with its number of queries.
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
    parser.add_argument("--moves-per-deal", type=float, default=None, help="seed_demo --moves-per-deal")
    parser.add_argument("--reps", type=int, default=None, help="seed_demo --reps")
    parser.add_argument("--backfill-days", type=int, default=365, help="0 skips the backfill timing")
    parser.add_argument("--skip-visits", action="store_true", help="skip the full rebuild of the stage visits")
    args = parser.parse_args()

    benchsetup.setup_django(f"dashboard-{args.deals}")
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from analytics import demo, filters, services
    from analytics.selectors import base, forecast
    from deals.models import Deal, StageChange

    if not Deal.objects.exists():
        options = {"moves_per_deal": args.moves_per_deal}
        if args.reps is not None:
            options["reps"] = args.reps
        started = time.perf_counter()
        demo.seed_demo(deals=args.deals, **options)
        print(
            f"seed_demo --deals {args.deals} {options}: {time.perf_counter() - started:.1f} s (includes the 90-day backfill)"
        )
    deals, changes = Deal.objects.count(), StageChange.objects.count()
    print(f"database: {connection.vendor}; {deals} deals, {changes} stage changes")

    def timed(label, function, repeat=1, prepare=None):
        runs, queries = [], []
        for _ in range(repeat):
            if prepare is not None:
                prepare()  # not timed
            executed = []

            def counter(execute, sql, params, many, context, executed=executed):
                executed.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                result = function()
                runs.append(time.perf_counter() - started)
            queries.append(len(executed))
            if hasattr(result, "status_code"):
                assert result.status_code == 200, result.status_code
        counts = "/".join(str(n) for n in sorted(set(queries)))
        print(
            f"{label}: median {statistics.median(runs) * 1000:.0f} ms over {repeat} run(s) "
            f"(min {min(runs) * 1000:.0f}, max {max(runs) * 1000:.0f}; {counts} queries)"
        )
        return result

    def vacuum():
        # Not timed. What autovacuum does on a maintained server (where it is off, the rows that
        # every backfill replaces pile up: 29.6 million dead snapshot rows, a 3.6 GB table, on the
        # bench database after a dozen runs, which every later run read through).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) analytics_dailysnapshot, analytics_stagevisit")

    yesterday = timezone.localdate() - timedelta(days=1)
    services.visits_sync()  # the stage visits in step with the history, so the rollup below does not pay for it
    vacuum()
    timed("rollup of one day (nightly)", lambda: services.snapshot_rollup_day(day=yesterday), repeat=args.repeat)
    if args.backfill_days > 0:
        first = yesterday - timedelta(days=args.backfill_days - 1)
        rows = timed(
            f"backfill of {args.backfill_days} days",
            lambda: services.snapshot_rollup_range(first_day=first, last_day=yesterday),
        )
        print(f"  {rows} snapshot rows")
        vacuum()
    timed("bottleneck verdicts", services.stage_health_compute, repeat=args.repeat)
    if not args.skip_visits:
        timed("stage visits: full rebuild (sync_visits --rebuild)", lambda: services.visits_sync(rebuild=True))
    timed("stage visits: sync with nothing new (every dashboard request)", services.visits_sync, repeat=args.repeat)

    def empty_cache(client):
        # Nothing cached: neither the dashboard nor the observed probabilities (the session is
        # stored again so the client stays logged in).
        cache.clear()
        client.force_login(client.user)

    def data_changed(client):
        # What a request after any write finds: no dashboard for the new data version, but the
        # observed probabilities (cached on their own for 15 minutes) are still there.
        empty_cache(client)
        filterset = filters.DashboardFilter({}, user=client.user)
        assert filterset.is_valid()
        deals = base.dashboard_deals(user=client.user, filterset=filterset)
        forecast.observed_probabilities_cached(deals=deals, now=timezone.now())

    for username in ("manager", "admin"):
        client = Client()
        client.user = User.objects.get(username=username)
        client.force_login(client.user)
        for label, headers in (("full page", {}), ("htmx partial", {"HX-Request": "true"})):
            client.get("/dashboard/", headers=headers)  # warm up the connection and the code paths
            timed(
                f"dashboard {label} as {username}, first view",
                lambda headers=headers, client=client: client.get("/dashboard/", headers=headers),
                repeat=args.repeat,
                prepare=lambda client=client: empty_cache(client),
            )
            timed(
                f"dashboard {label} as {username}, after a data change",
                lambda headers=headers, client=client: client.get("/dashboard/", headers=headers),
                repeat=args.repeat,
                prepare=lambda client=client: data_changed(client),
            )
            timed(
                f"dashboard {label} as {username}, repeated view",
                lambda headers=headers, client=client: client.get("/dashboard/", headers=headers),
                repeat=args.repeat,
            )


if __name__ == "__main__":
    main()

"""Benchmark: reordering two stages in Django admin, and what the analytics pay for it afterwards.

Usage (uses its own database file unless DATABASE_URL is set; never the shared db.sqlite3):

    CRM_MODE=embedded .venv/bin/python bench/stage_reorder.py --deals 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/stage_reorder.py --deals 100000

It migrates, seeds (when the database has no deals) and brings the stage visits up to date, then
--repeat times: swaps the orders of the default pipeline's second and third stage with one POST of
the pipeline's admin page (the stage inline) and times the visits' sync that follows (what the next
dashboard request or bottleneck job pays); swaps them back and times the admin's first dashboard
view after that (empty cache, the sync included). Each run leaves the orders as it found them.
"""

import argparse
import statistics
import time

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()

    benchsetup.setup_django(f"dashboard-{args.deals}")
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from analytics import services
    from analytics.models import StageVisit
    from deals import selectors
    from deals.models import Deal, StageChange

    if not Deal.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", deals=args.deals, verbosity=0)
        print(f"seed_demo --deals {args.deals}: {time.perf_counter() - started:.1f} s")
    services.visits_sync()
    pipeline = selectors.pipeline_get_default()
    print(
        f"database: {connection.vendor}; {Deal.objects.count()} deals, {StageChange.objects.count()} stage changes, "
        f"{StageVisit.objects.count()} stage visits"
    )

    admin = User.objects.get(username="admin")
    client = Client()
    client.force_login(admin)
    url = reverse("admin:deals_pipeline_change", args=[pipeline.pk])

    def post_data():
        """The pipeline's change form as the admin page would post it, the second and third stage swapped."""
        stages = list(pipeline.stages.order_by("order", "id"))
        stages[1].order, stages[2].order = stages[2].order, stages[1].order
        data = {
            "name": pipeline.name,
            "kind": pipeline.kind,
            "order": pipeline.order,
            "stages-TOTAL_FORMS": len(stages),
            "stages-INITIAL_FORMS": len(stages),
            "stages-MIN_NUM_FORMS": 0,
            "stages-MAX_NUM_FORMS": 1000,
            "_continue": "1",
        }
        if pipeline.is_default:
            data["is_default"] = "on"
        if pipeline.is_active:
            data["is_active"] = "on"
        for i, stage in enumerate(stages):
            data.update(
                {
                    f"stages-{i}-id": stage.pk,
                    f"stages-{i}-pipeline": pipeline.pk,
                    f"stages-{i}-order": stage.order,
                    f"stages-{i}-name": stage.name,
                    f"stages-{i}-probability": stage.probability,
                    f"stages-{i}-rotting_days": stage.rotting_days or "",
                    f"stages-{i}-expected_days": stage.expected_days or "",
                }
            )
        return data

    def ms(seconds):
        return f"{seconds * 1000:,.1f} ms" if seconds < 0.01 else f"{seconds * 1000:,.0f} ms"

    saves, syncs, dashboards = [], [], []
    for _ in range(args.repeat):
        data = post_data()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(url, data)
            saves.append(time.perf_counter() - started)
        assert response.status_code == 302, response.content.decode()[:2000]
        save_queries = len(captured)
        started = time.perf_counter()
        written = services.visits_sync()
        syncs.append(time.perf_counter() - started)
        # The dashboard's first view after the reorder (the sync above already ran for it: time
        # both, as a request after a reorder used to pay both).
        data = post_data()
        assert client.post(url, data).status_code == 302
        cache.clear()
        client.force_login(admin)
        started = time.perf_counter()
        assert client.get("/dashboard/").status_code == 200
        dashboards.append(time.perf_counter() - started)
        print(
            f"  admin save {ms(saves[-1])} ({save_queries} queries); sync {ms(syncs[-1])} ({written} visits written); "
            f"first dashboard view after a reorder {ms(dashboards[-1])}"
        )
    print(f"admin save of a reorder: median {ms(statistics.median(saves))} over {args.repeat} run(s)")
    print(f"stage visits' sync after a reorder: median {ms(statistics.median(syncs))}")
    print(f"admin's first dashboard view after a reorder: median {ms(statistics.median(dashboards))}")


if __name__ == "__main__":
    main()

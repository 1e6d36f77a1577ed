"""Benchmark: the REST API against the pages it mirrors, on `seed_demo --deals N` data.

Usage (its own database file unless DATABASE_URL is set; PostgreSQL is what the figures mean):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_api CACHE_URL=redis://127.0.0.1:6379/10 \
      .venv/bin/python bench/api.py --deals 3000 --recreate     # a fresh database (what `make bench` runs)

As the demo rep, the manager and the admin (the same users, the same data, one process, the
Django test client, so no network and no server in the figures), for --requests sequential
requests each:

- the API's deal list, first page (`GET /api/v1/deals/?page_size=50`, a write token) against
  the board page (`GET /board/<pipeline>/`, signed in);
- the API's move (`POST /api/v1/deals/<id>/move` with the deal's version, there and back)
  against the board's move (the htmx POST a drag sends).

Columns: requests/s (and the median ms) of each, the queries of one request, and the ratio
API/board of the requests/s (above 1: the API is faster). --json writes the figures.
"""

import argparse
import json
import os
import statistics
import time

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=50, help="sequential requests per measurement")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--recreate", action="store_true", help="drop and create the PostgreSQL database first")
    args = parser.parse_args()

    if args.recreate:
        from run_all import recreate_database

        recreate_database(os.environ["DATABASE_URL"])

    benchsetup.setup_django(f"api-{args.deals}")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from api import tokens
    from api.models import ApiToken
    from deals import selectors
    from deals.models import Deal

    settings.API_RATE_LIMIT = "1000000/min"  # the limit is not what is measured
    if not Deal.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", deals=args.deals, verbosity=0)
        print(f"seed_demo --deals {args.deals}: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    pipeline = selectors.pipeline_get_default()
    print(f"database: {connection.vendor}; {Deal.objects.count()} deals; {args.requests} requests per figure")

    def measure(request):
        request()  # warm-up (caches, first-use imports)
        runs, status = [], None
        with CaptureQueriesContext(connection) as captured:
            request()
        queries = len(captured)
        for _ in range(args.requests):
            started = time.perf_counter()
            response = request()
            runs.append(time.perf_counter() - started)
            status = response.status_code
        return {
            "rps": len(runs) / sum(runs),
            "ms": statistics.median(runs) * 1000,
            "queries": queries,
            "status": status,
        }

    figures = {}
    board_url = reverse("deals:board_pipeline", args=[pipeline.pk])
    header = f"{'user':<8} {'what':<12} {'API req/s':>9} {'ms':>6} {'q':>3}   {'board req/s':>11} {'ms':>6} {'q':>3}   API/board"
    print(header)

    def bench_user(username):
        user = User.objects.get(username=username)
        _token, raw = tokens.token_create(user=user, name="bench", scope=ApiToken.Scope.WRITE)
        api = Client(headers={"Authorization": f"Bearer {raw}"})
        page = Client()
        page.force_login(user)

        deal = Deal.objects.filter(selectors.scoping.changeable_owner_q(user), pipeline=pipeline, status="open").first()
        stages = list(selectors.stage_list(pipeline=pipeline).values_list("pk", flat=True))
        home = deal.stage_id
        away = stages[(stages.index(home) + 1) % len(stages)]

        def target_and_version():
            stage_id, version = Deal.objects.values_list("stage_id", "version").get(pk=deal.pk)
            return (away if stage_id == home else home), version

        def api_move():
            target, version = target_and_version()
            return api.post(
                f"/api/v1/deals/{deal.pk}/move",
                json.dumps({"stage_id": target, "version": version}),
                content_type="application/json",
            )

        def board_move():
            target, version = target_and_version()
            return page.post(
                reverse("deals:move", args=[deal.pk]),
                {"stage": target, "version": version, "position": 0},
                HTTP_HX_REQUEST="true",
            )

        pairs = {
            "list": (lambda: api.get("/api/v1/deals/", {"page_size": 50}), lambda: page.get(board_url)),
            "move": (api_move, board_move),
        }
        for what, (api_request, board_request) in pairs.items():
            a, b = measure(api_request), measure(board_request)
            for side in (a, b):
                assert side["status"] == 200, (username, what, side)
            ratio = a["rps"] / b["rps"]
            figures[f"{username}: {what}"] = {"api": a, "board": b, "ratio": ratio}
            print(
                f"{username:<8} {what:<12} {a['rps']:9.1f} {a['ms']:6.1f} {a['queries']:3d}   "
                f"{b['rps']:11.1f} {b['ms']:6.1f} {b['queries']:3d}   {ratio:9.2f}"
            )

    for username in ("rep1", "manager", "admin"):
        bench_user(username)
    print("(q: queries of one request; the moves include the benchmark's own lookup of the deal's version)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {"vendor": connection.vendor, "deals": Deal.objects.count(), "figures": figures}, handle, indent=1
            )


if __name__ == "__main__":
    main()

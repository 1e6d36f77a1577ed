"""Benchmark: the pipeline board on `seed_demo --deals N` data.

Usage (uses its own database file unless DATABASE_URL is set; never the shared db.sqlite3):

    CRM_MODE=embedded .venv/bin/python bench/board.py --deals 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/board.py --deals 100000

It migrates, seeds with `seed_demo --deals N` (when the database has no deals), then prints,
as the demo rep, the manager and the admin: the board page, its htmx partial, a filtered
board, "load more", a move (drop into the next column and back), the unchanged 304
poll, a deal's page, the lead list, the global search and the 360° pages of the busiest organization and contact — median of --repeat runs, with the number of
queries. --json writes the figures (for bench/run_all.py).
"""

import argparse
import json
import statistics
import time

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    benchsetup.setup_django(f"board-{args.deals}")
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from deals import selectors
    from deals.models import Deal

    if not Deal.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", deals=args.deals, verbosity=0)
        print(f"seed_demo --deals {args.deals}: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum would give
    pipeline = selectors.pipeline_get_default()
    open_deals = Deal.objects.filter(pipeline=pipeline, status="open").count()
    print(f"database: {connection.vendor}; {Deal.objects.count()} deals, {open_deals} open in '{pipeline}'")

    figures = {}
    current = {"user": ""}

    def timed(label, request, repeat=args.repeat):
        runs, queries, status = [], 0, None
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = request()
                runs.append(time.perf_counter() - started)
            queries, status = len(captured), response.status_code
        median = statistics.median(runs) * 1000
        print(f"  {label:<34} {median:7.1f} ms  {queries:2d} queries  HTTP {status}")
        figures[f"{current['user']}: {label.split(' (')[0]}"] = {"ms": median, "queries": queries, "status": status}
        return response

    board_url = reverse("deals:board_pipeline", args=[pipeline.pk])
    poll_url = reverse("deals:board_poll", args=[pipeline.pk])

    def bench_user(username):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        print(f"as {username} ({user.get_role_display()}):")
        current["user"] = username
        page = timed("board page", lambda: client.get(board_url))
        timed("board htmx partial", lambda: client.get(board_url, HTTP_HX_REQUEST="true"))
        timed("board filtered (owner=me, q=a)", lambda: client.get(board_url, {"owner": "me", "q": "a"}))
        timed("board filtered by region (north)", lambda: client.get(board_url, {"region": "north"}))
        filterset = selectors.board_filter(user=user, pipeline=pipeline.pk, data={})
        column = max(selectors.board_columns(filterset=filterset, pipeline=pipeline.pk), key=lambda c: c.count)
        more_url = reverse("deals:column_more", args=[pipeline.pk, column.stage.pk])
        timed(f"load more ({column.count} in column)", lambda: client.get(more_url, {"after": column.cursor}))
        etag = page["ETag"]
        timed("poll, unchanged (304)", lambda: client.get(poll_url, HTTP_IF_NONE_MATCH=etag))

        timed("lead list", lambda: client.get(reverse("leads:list")))
        # The global search (bench/search.py has more queries and EXPLAIN ANALYZE): a surname that
        # a fortieth of the demo people share, the same with a typo, and the header's dropdown.
        search_url = reverse("search:page")
        timed("search (Müller)", lambda: client.get(search_url, {"q": "Müller"}))
        timed("search typo (Schmitd)", lambda: client.get(search_url, {"q": "Schmitd"}))
        timed("search dropdown (Müller)", lambda: client.get(search_url, {"q": "Müller"}, HTTP_HX_REQUEST="true"))
        # The 360° pages of the organization and the contact with the most deals the user sees.
        for label, field, name in (
            ("organization page", "organization", "organizations:detail"),
            ("contact page", "contact", "contacts:detail"),
        ):
            busiest = (
                Deal.objects.filter(selectors.scoping.visible_owner_q(user), **{f"{field}__isnull": False})
                .values(field)
                .annotate(n=Count("id"))
                .order_by("-n", field)
                .values_list(field, flat=True)
                .first()
            )
            if busiest is not None:
                url = reverse(name, args=[busiest])
                timed(label, lambda url=url: client.get(url))
        deal = Deal.objects.filter(selectors.scoping.changeable_owner_q(user), pipeline=pipeline, status="open").first()
        if deal is None:
            return
        timed("deal detail", lambda: client.get(reverse("deals:detail", args=[deal.pk])))
        stages = list(selectors.stage_list(pipeline=pipeline).values_list("pk", flat=True))
        home = deal.stage_id
        away = stages[(stages.index(home) + 1) % len(stages)]
        move_url = reverse("deals:move", args=[deal.pk])

        def move_there_and_back():
            version = Deal.objects.values_list("version", flat=True).get(pk=deal.pk)
            target = away if Deal.objects.values_list("stage_id", flat=True).get(pk=deal.pk) == home else home
            return client.post(move_url, {"stage": target, "version": version, "position": 0}, HTTP_HX_REQUEST="true")

        # The two lookups inside move_there_and_back are the benchmark's own (2 of the queries shown).
        timed("move (htmx, incl. 2 bench lookups)", move_there_and_back)
        timed("poll after a change (200)", lambda: client.get(poll_url, HTTP_IF_NONE_MATCH=etag))

    for username in ("rep1", "manager", "admin"):
        bench_user(username)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {"vendor": connection.vendor, "deals": Deal.objects.count(), "figures": figures}, handle, indent=1
            )


if __name__ == "__main__":
    main()

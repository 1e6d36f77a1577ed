"""Benchmark: what quotes cost the board, the deal list and the dashboard.

Usage (the board benchmark's database; seeds it first when it has no deals):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/quotes.py --deals 100000

Adds quotes once (when the database has none) the way a sales team would have them: a quote for
every deal that reached the negotiation stage or was closed — accepted for the won deals,
declined or expired for the lost ones, sent (valid until from a week ago to a month ahead),
awaiting approval or draft for the open ones — and an older superseded revision for every fifth.
Then prints, as the demo rep, the manager and the admin, the median of --repeat runs with the
number of queries: the board page, the board filtered by "quotes expiring in 7 days", the
unchanged 304 poll, the deal list with that filter and the dashboard's quotes section (cold,
computed from the tables); --board-only stops after the board and the poll, to compare with the code
before quotes reached the board (run from its checkout on the same database). --explain adds EXPLAIN ANALYZE of the card rows' query and the
dashboard's quotes query (PostgreSQL).
"""

import argparse
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

import benchsetup


def seed_quotes(stdout=print):
    from django.db.models import Q
    from django.utils import timezone

    from deals.models import Deal
    from quotes.models import Quote

    rng = random.Random(13)
    today = timezone.localdate()
    now = timezone.now()
    # Deals that reached negotiation (70 %) or were closed: the ones a team writes quotes for.
    rows = Deal.objects.filter(Q(stage__probability__gte=70) | ~Q(status="open")).values_list(
        "pk", "status", "value", "created_at", "won_at", "lost_at"
    )
    seq = {}
    quotes = []

    def number(at):
        seq[at.year] = seq.get(at.year, 0) + 1
        return at.year, seq[at.year], f"AN-{at.year}-{seq[at.year]:04d}"

    for pk, status, value, created_at, won_at, lost_at in rows.iterator():
        list_total = (value or Decimal("1000")).quantize(Decimal("0.01"))
        discount = Decimal(rng.choice([0, 0, 0, 5, 10, 15, 25])) / 100
        net_total = (list_total * (1 - discount)).quantize(Decimal("0.01"))
        closed_at = won_at or lost_at
        sent_at = max(created_at, (closed_at or now) - timedelta(days=rng.randint(2, 40)))
        base = {"deal_id": pk, "title": "Quote", "list_total": list_total, "net_total": net_total}
        if status == "won":
            state, answered_at, valid_until = "accepted", closed_at, timezone.localdate(sent_at) + timedelta(days=30)
        elif status == "lost" and rng.random() < 0.6:
            state, answered_at, valid_until = "declined", closed_at, timezone.localdate(sent_at) + timedelta(days=30)
        elif status == "lost":
            state, answered_at, valid_until = "expired", None, timezone.localdate(closed_at) - timedelta(days=1)
        else:
            state, answered_at = rng.choice(["sent"] * 6 + ["pending_approval", "draft"]), None
            valid_until = today + timedelta(days=rng.randint(-7, 30))
            if state == "sent" and valid_until < today:
                state = "expired"
        if rng.random() < 0.2 and state not in ("draft", "pending_approval"):
            year, no, text = number(sent_at - timedelta(days=7))
            quotes.append(
                Quote(
                    **base,
                    state="superseded",
                    number=text,
                    number_year=year,
                    number_seq=no,
                    sent_at=sent_at - timedelta(days=7),
                    valid_until=valid_until,
                    closed_at=sent_at,
                    created_at=sent_at - timedelta(days=8),
                )
            )
        fields = {"state": state, "valid_until": valid_until, "created_at": sent_at - timedelta(hours=2)}
        if state not in ("draft", "pending_approval"):
            year, no, text = number(sent_at)
            fields.update(number=text, number_year=year, number_seq=no, sent_at=sent_at, answered_at=answered_at)
            if state == "expired":
                fields["closed_at"] = now
            if rng.random() < 0.5:
                fields["first_viewed_at"] = sent_at + timedelta(hours=rng.randint(1, 48))
        quotes.append(Quote(**base, **fields))
    Quote.objects.bulk_create(quotes, batch_size=5000)
    stdout(f"{len(quotes)} quotes added")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--board-only", action="store_true", help="only the board page and the poll")
    args = parser.parse_args()

    benchsetup.setup_django(f"board-{args.deals}")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from deals import filters as deal_filters
    from deals import selectors
    from deals.models import Deal

    if not Deal.objects.exists():
        call_command("seed_demo", deals=args.deals, verbosity=0)
    has_quotes = hasattr(deal_filters.BoardFilter, "filter_quote")  # the code before quotes reached the board
    from quotes.models import Quote

    if not Quote.objects.exists():
        seed_quotes()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) quotes_quote")
    pipeline = selectors.pipeline_get_default()
    print(
        f"database: {connection.vendor}; {Deal.objects.count()} deals, {Quote.objects.count()} quotes, "
        f"{Quote.objects.filter(state='sent').count()} sent and open"
    )

    def timed(label, request):
        runs, queries, status = [], 0, None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = request()
                runs.append(time.perf_counter() - started)
            queries, status = len(captured), response.status_code
        print(f"  {label:<36} {statistics.median(runs) * 1000:7.1f} ms  {queries:2d} queries  HTTP {status}")
        return response

    board_url = reverse("deals:board_pipeline", args=[pipeline.pk])
    poll_url = reverse("deals:board_poll", args=[pipeline.pk])
    for username in ("rep1", "manager", "admin"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        client.get(board_url)
        print(f"as {username}:")
        page = timed("board page", lambda client=client: client.get(board_url))
        etag = page["ETag"]
        timed("poll, unchanged (304)", lambda client=client, etag=etag: client.get(poll_url, HTTP_IF_NONE_MATCH=etag))
        if not has_quotes or args.board_only:
            continue
        timed("board, quotes expiring in 7 days", lambda client=client: client.get(board_url, {"quote": "expiring"}))
        timed(
            "deal list, quotes expiring in 7 days",
            lambda client=client: client.get(reverse("deals:list"), {"quote": "expiring"}),
        )
        dashboard_quotes(user, timed)
    if args.explain and connection.vendor == "postgresql" and has_quotes:
        explain(User.objects.get(username="admin"), pipeline)


class Answer:
    status_code = 200


def dashboard_quotes(user, timed):
    """The quotes section computed from the tables (no cache), for the default period and a year."""
    from django.utils import timezone

    from analytics import filters, quote_metrics
    from analytics.selectors import base

    for period in ("90", "365"):
        filterset = filters.DashboardFilter({"period": period}, user=user)
        assert filterset.is_valid()
        deals = base.dashboard_deals(user=user, filterset=filterset)
        criteria = filterset.criteria()

        def section(deals=deals, criteria=criteria):
            quote_metrics.quotes_section(deals=deals, criteria=criteria, today=timezone.localdate())
            return Answer()

        timed(f"dashboard quotes section ({period} d)", section)


def explain(user, pipeline):
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from analytics import filters, quote_metrics
    from analytics.selectors import base
    from deals import selectors as deal_selectors

    filterset = deal_selectors.board_filter(user=user, pipeline=pipeline, data={})
    ids = filterset.qs.filter(stage__pipeline=pipeline).order_by("position", "id").values_list("pk", flat=True)[:26]
    rows = deal_selectors._card_rows(Q(pk__in=list(ids)), user=user)
    dashboard = filters.DashboardFilter({"period": "365"}, user=user)
    assert dashboard.is_valid()
    deals = base.dashboard_deals(user=user, filterset=dashboard)
    period = dashboard.criteria().period
    today = timezone.localdate()
    quotes = quote_metrics.quote_query(deals=deals, period=period, today=today)
    accepted = quote_metrics.acceptance_query(deals=deals, period=period, today=today)
    for label, queryset in (
        ("card rows (26 cards)", rows),
        (f"dashboard quotes per owner ({user.username}, 365 d)", quotes),
        (f"dashboard quotes accepted ({user.username}, 365 d)", accepted),
    ):
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"\nEXPLAIN ANALYZE {label}:")
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()

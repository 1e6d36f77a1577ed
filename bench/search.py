"""Benchmark: the global search (`/search/?q=`) on `seed_demo --deals N` data.

Usage (its own database file unless DATABASE_URL is set):

    CRM_MODE=embedded .venv/bin/python bench/search.py --deals 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/search.py --deals 100000 --explain

Prints, as the demo rep, the manager and the admin, the median of --repeat requests of the results
page and of the header's dropdown (htmx) for queries of each kind: a surname ("Müller", a fifth of
the demo people share the ten commonest), its transcription ("Mueller"), a typo ("Schmitd"), a word
of many company names ("Hansa"), an e-mail address, a word of activity subjects ("proposal")
and one that matches nothing — with the number of queries. --explain adds EXPLAIN (ANALYZE,
BUFFERS) of each type's query for the admin's "Müller" (which index answers it and how long it takes).
"""

import argparse
import json
import statistics
import time

import benchsetup

QUERIES = [
    ("name", "Müller"),
    ("transcription", "Mueller"),
    ("typo", "Schmitd"),
    ("company word", "Hansa"),
    ("e-mail address", None),  # the 501st contact's address, looked up after seeding
    ("activity words", "proposal"),
    ("nothing", "Xylophonbau"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each type's query")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    benchsetup.setup_django(f"board-{args.deals}")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from customers.models import Contact
    from deals.models import Deal

    if not Deal.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", deals=args.deals, verbosity=0)
        print(f"seed_demo --deals {args.deals}: {time.perf_counter() - started:.1f} s")
    print(f"database: {connection.vendor}; {Deal.objects.count()} deals")

    figures = {}
    url = reverse("search:page")

    def timed(user_label, label, client, params, headers):
        runs, queries, status = [], 0, None
        client.get(url, params, headers=headers)  # warm: templates, translations, plans
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params, headers=headers)
                runs.append(time.perf_counter() - started)
            queries, status = len(captured), response.status_code
        median = statistics.median(runs) * 1000
        hits = response.content.decode().count('class="search-hit"')
        print(f"  {label:<40} {median:7.1f} ms  {queries:2d} queries  {hits:2d} hits  HTTP {status}")
        figures[f"{user_label}: {label}"] = {"ms": median, "queries": queries, "status": status, "hits": hits}

    for username in ("rep1", "manager", "admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(username)
        for kind, text in QUERIES:
            text = text or Contact.objects.order_by("pk").values_list("email", flat=True)[500]
            timed(username, f"search page, {kind} ({text})", client, {"q": text}, {})
        timed(username, "dropdown, name (Müller)", client, {"q": "Müller"}, {"HX-Request": "true"})

    if args.explain:
        explain(User.objects.get(username="admin"), "Müller")
        explain(User.objects.get(username="rep1"), "proposal")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {"vendor": connection.vendor, "deals": Deal.objects.count(), "figures": figures}, handle, indent=1
            )


def explain(user, text):
    """EXPLAIN ANALYZE of the query of every type, as the search runs it."""
    from django.db import connection, transaction
    from django.db.models.query import QuerySet

    from search import selectors

    captured = []
    original = QuerySet.__getitem__

    def spy(self, key):
        if isinstance(key, slice) and (key.stop or 0) > 1:  # the search's page, not a subquery's [:1]
            captured.append(self.query.chain())
        return original(self, key)

    QuerySet.__getitem__ = spy
    try:
        selectors.search_for_user(user=user, text=text, limit=10)
    finally:
        QuerySet.__getitem__ = original
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(selectors.WORD_SIMILARITY_THRESHOLD)],
        )
        for kind, query in zip(selectors.KINDS, captured, strict=True):
            query.set_limits(high=11)
            sql, params = query.sql_with_params()
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"\n--- {kind}, {text!r} as {user.username}")
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()

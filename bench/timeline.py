"""Benchmark: the merged timelines and the organization page on `seed_demo --deals N` data.

Usage (its own database file unless DATABASE_URL is set):

    CRM_MODE=embedded .venv/bin/python bench/timeline.py --deals 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/timeline.py --deals 100000

Adds audit entries to the busiest deal and organization (demo data has none: seed_demo
records no history), then prints, as the demo rep, the manager and the admin: the deal's
timeline (first and a later page), the lead's, the organization page and its timeline, the
contact page —
median of --repeat runs, with the number of queries.
"""

import argparse
import re
import statistics
import time

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--entries", type=int, default=2_000, help="audit entries added to the busiest deal")
    args = parser.parse_args()

    benchsetup.setup_django(f"board-{args.deals}")
    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from audit.models import LogEntry
    from customers.models import Contact, Organization
    from deals.models import Deal, StageChange
    from leads.models import Lead

    if not Deal.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", deals=args.deals, verbosity=0)
        print(f"seed_demo --deals {args.deals}: {time.perf_counter() - started:.1f} s")
    rep = User.objects.get(username="rep1")
    busiest = (
        StageChange.objects.filter(deal__owner=rep)
        .values("deal")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("deal", flat=True)
        .first()
    )
    deal = Deal.objects.get(pk=busiest)
    organization = Organization.objects.filter(deals__owner=rep).annotate(n=Count("deals")).order_by("-n", "id").first()
    lead = Lead.objects.filter(owner=rep).order_by("id").first()
    contact = Contact.objects.filter(deals__owner=rep).annotate(n=Count("deals")).order_by("-n", "id").first()
    content_type = ContentType.objects.get_for_model(Deal)
    # Top the deal's entries up to --entries (a database used before may hold a few already).
    missing = args.entries - LogEntry.objects.filter(content_type=content_type, object_id=deal.pk).count()
    if missing > 0:
        now = timezone.now()
        LogEntry.objects.bulk_create(
            LogEntry(
                content_type=content_type,
                object_id=deal.pk,
                object_pk=str(deal.pk),
                object_repr=deal.title,
                action=LogEntry.Action.UPDATE,
                changes={"value": ["1000.00", "1200.00"], "owner": [rep.pk, rep.pk], "stage": [deal.stage_id] * 2},
                actor=rep,
                source="web",
                timestamp=now - timedelta(minutes=i),
            )
            for i in range(missing)
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"database: {connection.vendor}; {Deal.objects.count()} deals, {LogEntry.objects.count()} audit entries; "
        f"deal {deal.pk} ({StageChange.objects.filter(deal=deal).count()} stage changes), "
        f"organization {organization.pk} ({organization.deals.count()} deals)"
    )

    def timed(label, client, url, headers):
        runs, queries, status = [], 0, None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                runs.append(time.perf_counter() - started)
            queries, status = len(captured), response.status_code
        print(f"  {label:<30} {statistics.median(runs) * 1000:7.1f} ms  {queries:2d} queries  HTTP {status}")
        return response

    htmx = {"HX-Request": "true"}
    for username in ("rep1", "manager", "admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(username)
        url = reverse("timeline:deal", args=[deal.pk])
        first = timed("deal timeline, first page", client, url, htmx)
        cursor = re.search(r"\?before=([\d.]+)", first.content.decode()).group(1)
        timed("deal timeline, a later page", client, f"{url}?before={cursor}", htmx)
        timed("lead timeline", client, reverse("timeline:lead", args=[lead.pk]), htmx)
        timed("organization page", client, reverse("organizations:detail", args=[organization.pk]), {})
        timed("organization timeline", client, reverse("organizations:timeline", args=[organization.pk]), htmx)
        timed("contact page", client, reverse("contacts:detail", args=[contact.pk]), {})


if __name__ == "__main__":
    main()

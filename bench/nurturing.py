"""Benchmark: enrol N contacts in a sequence and write their N personalised marketing e-mails.

    .venv/bin/python bench/nurturing.py --people 10000                    # SQLite in var/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_nurturing \
        .venv/bin/python bench/nurturing.py --people 10000 --recreate     # a fresh PostgreSQL database

Creates N consenting contacts (bulk, not timed) spread over organizations with industries and
over 50 receiving domains, an active sequence with one e-mail step whose template uses the
contact's name, the organization's industry and the persona, then times:

1. `enrol()` of all N (batches of 500) with its number of queries;
2. the engine's run (`run_due`), which renders and stores every e-mail (Send row, mail message
   with its raw MIME, participants, linking) — the mail delivery is not executed: the Celery
   broker is in memory and no worker runs. Quiet hours are off and the limits raised, so the
   run measures writing, not pacing.

Not a test: it prints timings (docs/benchmarks.md, "Lead nurturing").
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--recreate", action="store_true", help="drop and create the PostgreSQL database first")
    parser.add_argument("--chunk", type=int, default=1000, help="enrolments per engine run")
    args = parser.parse_args()

    if args.recreate:
        from run_all import recreate_database

        recreate_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("CRM_NURTURE_QUIET_HOURS", "")
    os.environ.setdefault("CRM_NURTURE_DOMAIN_RATE_PER_MINUTE", str(args.people))
    os.environ.setdefault("CRM_NURTURE_DAILY_CAP_PER_USER", str(args.people))
    os.environ.setdefault("CRM_NURTURE_RUN_LIMIT", str(args.people))
    benchsetup.setup_django("nurturing")

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from customers.models import Contact, Organization
    from leads.models import Lead, Persona
    from mail.models import EmailMessage, EmailTemplate
    from nurturing import engine, enrolment
    from nurturing.models import Enrolment, Send, Sequence, Step

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-nurturing-media-")
    tag = f"bench{int(time.time())}"
    owner, _ = User.objects.get_or_create(username="bench-nurture", defaults={"role": "admin", "first_name": "Bea"})
    industries = ["software", "manufacturing", "retail", "finance", "logistics"]
    organizations = Organization.objects.bulk_create(
        Organization(name=f"{tag} Org {n}", industry=industries[n % 5], region="north") for n in range(200)
    )
    contacts = Contact.objects.bulk_create(
        Contact(
            first_name=f"Vorname{n}",
            last_name=f"Nachname{n}",
            email=f"{tag}.{n}@domain{n % 50}.example",
            owner=owner,
            organization=organizations[n % 200],
            email_consent="granted",
        )
        for n in range(args.people)
    )
    persona = Persona.objects.create(name=f"{tag} IT-Leitung", problems="Excel-Listen und doppelte Arbeit")
    Lead.objects.bulk_create(
        Lead(last_name=c.last_name, email=c.email, contact=c, persona=persona, owner=owner) for c in contacts[::10]
    )
    template = EmailTemplate.objects.create(
        name=f"{tag} Willkommen",
        subject="{{ contact.first_name }}, Neues für {{ organization.industry }}",
        body='Guten Tag {{ contact.full_name }},\n\nkennen Sie {{ persona.problems|default:"doppelte Arbeit" }}?\n'
        "Mehr unter https://www.example.com/loesungen\n\n{{ sender.full_name }}",
    )
    sequence = Sequence.objects.create(name=f"{tag} Sequenz", owner=owner, status=Sequence.Status.ACTIVE)
    Step.objects.create(sequence=sequence, position=1, kind=Step.Kind.EMAIL, template=template)
    people = Contact.objects.filter(email__startswith=f"{tag}.")

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = enrolment.enrol(sequence=sequence, contacts=people, via="manual")
        enrolled_in = time.perf_counter() - started
    print(f"database: {connection.vendor}; people: {args.people:,}", flush=True)
    print(f"enrol:       {enrolled_in:7.2f} s  {result.enrolled:,} enrolled, {len(queries)} queries", flush=True)

    # The engine in runs of --chunk enrolments (as beat would start them), each line cumulative.
    now = timezone.now() + timedelta(seconds=1)
    started, written = time.perf_counter(), 0
    while written < args.people:
        counts = engine.run_due(now=now, limit=min(args.chunk, args.people - written))
        if not counts["sent"]:
            break
        written += counts["sent"]
        ran_in = time.perf_counter() - started
        print(
            f"engine run:  {ran_in:7.2f} s  {written:,} e-mails written "
            f"({ran_in / written * 1000:.1f} ms each, {written / ran_in:,.1f}/s)",
            flush=True,
        )

    sends = Send.objects.filter(sequence=sequence).count()
    messages = EmailMessage.objects.filter(nurture_send__sequence=sequence).count()
    active = Enrolment.objects.filter(sequence=sequence, status="active").count()
    print(f"stored:      {sends:,} sends, {messages:,} marketing messages; {active} enrolments still active")


if __name__ == "__main__":
    main()

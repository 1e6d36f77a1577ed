"""The timelines read a page in a fixed number of queries whatever the size of the history."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from audit.models import LogEntry
from deals.models import Deal, StageChange
from leads.models import Lead, LeadStatusChange
from mail.models import EmailMessage, Participant
from quotes.models import Quote, QuoteEvent
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **HTMX)
    assert response.status_code == 200
    return response, len(captured)


def grow_deal(deal, *, n, rep, teammate, stages):
    """n audit entries (owner and stage changes: two related models to name), n stage
    changes, n activities of which half are done, n quote events, n e-mails — spread over the
    last n minutes."""
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Deal)
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_id=deal.pk,
            object_pk=str(deal.pk),
            object_repr=deal.title,
            action=LogEntry.Action.UPDATE,
            changes={"owner": [rep.pk, teammate.pk], "stage": [stages[0].pk, stages[1].pk], "value": ["1.00", "2.00"]},
            actor=rep,
            source="web",
            timestamp=now - timedelta(minutes=i),
        )
        for i in range(n)
    )
    StageChange.objects.bulk_create(
        StageChange(
            deal=deal,
            pipeline_id=deal.pipeline_id,
            kind="moved",
            from_stage=stages[0],
            to_stage=stages[1],
            from_status="open",
            to_status="open",
            actor=rep,
            owner=rep,
            value=deal.value,
            at=now - timedelta(minutes=i, seconds=20),
        )
        for i in range(n)
    )
    grow_activities(n, now=now, assignee=rep, deal=deal)
    quote = Quote.objects.filter(deal=deal).first() or Quote.objects.create(
        deal=deal, title="Quote", valid_until=now.date(), created_by=rep
    )
    QuoteEvent.objects.bulk_create(
        QuoteEvent(
            quote=quote,
            deal=deal,
            kind=QuoteEvent.Kind.APPROVED,
            actor=teammate,
            note="Fine",
            data={"discount": "10.00", "list_total": "100.00", "net_total": "90.00"},
            at=now - timedelta(minutes=i, seconds=10),
        )
        for i in range(n)
    )
    grow_mail(n, now=now, owner=deal.owner, deal=deal)


def grow_mail(n, *, now, owner, deal=None, lead=None):
    """n shared e-mails of `owner` on the deal or lead, each with a sender and a recipient."""
    start = EmailMessage.objects.count()
    messages = EmailMessage.objects.bulk_create(
        EmailMessage(
            owner=owner,
            source="inbox",
            message_id=f"<grow-{start + i}@mail.example>",
            direction="in",
            subject=f"Mail {i}",
            from_address="customer@mail.example",
            sent_at=now - timedelta(minutes=i),
            snippet="Guten Tag",
            deal=deal,
            lead=lead,
            shared=True,
        )
        for i in range(n)
    )
    Participant.objects.bulk_create(
        Participant(message=message, role=role, address=address)
        for message in messages
        for role, address in (("from", "customer@mail.example"), ("to", owner.email))
    )


def grow_activities(n, *, now, assignee, deal=None, lead=None):
    Activity.objects.bulk_create(
        Activity(
            kind="call",
            subject=f"Call {i}",
            assignee=assignee,
            created_by=assignee,
            deal=deal,
            lead=lead,
            created_at=now - timedelta(minutes=i, seconds=40),
            done_at=now - timedelta(minutes=i, seconds=30) if i % 2 else None,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("viewer", ["rep", "manager"])
def test_deal_timeline_costs_the_same_queries_for_10_and_500_items_per_source(
    client, request, rep, teammate, stages, warm_content_types, viewer
):
    # Expected: 1 the user (the session comes from the cache), 2 the deal (scoped), 3 audit
    # entries, 4 stage changes, 5 activities planned, 6 activities done, 7 quote events (with
    # their quotes and users), 8 e-mails the viewer reads (scope and attachment count as
    # subqueries) — each at most one page + 1 rows after the cursor — then the names behind
    # the page's foreign-key changes: 9 users, 10 stages, and 11 the e-mails' participants.
    deal = factories.DealFactory(owner=rep, stage=stages[0], history=False)
    LogEntry.objects.all().delete()  # the factory's entries would name more related models
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("timeline:deal", args=[deal.pk])
    grow_deal(deal, n=10, rep=rep, teammate=teammate, stages=stages)
    small, small_count = count_queries(client, url)
    grow_deal(deal, n=490, rep=rep, teammate=teammate, stages=stages)
    large, large_count = count_queries(client, url)
    assert small_count == large_count == 11
    for response in (small, large):
        html = response.content.decode()
        assert html.count('data-testid="timeline-item"') == 25
        kinds = {item.kind for item in response.context["page"].items}
        assert {"change", "stage", "planned", "done", "quote", "mail"} <= kinds
    # A later page costs the same.
    cursor = large.context["page"].next_cursor
    _, later_count = count_queries(client, f"{url}?before={cursor}")
    assert later_count == 11


def test_lead_timeline_costs_the_same_queries_for_10_and_500_items_per_source(client, rep, warm_content_types):
    # Expected: 1 user, 2 the lead (scoped), 3 audit entries, 4 status changes, 5 activities
    # planned, 6 activities done, 7 e-mails, 8 enrolment events and 9 marketing e-mails (the
    # nurturing app's sources, timeline.sources), 10 users named by the page's owner changes,
    # 11 the e-mails' participants.
    lead = factories.LeadFactory(owner=rep)
    client.force_login(rep)
    url = reverse("timeline:lead", args=[lead.pk])

    def grow(n):
        now = timezone.now()
        content_type = ContentType.objects.get_for_model(Lead)
        LogEntry.objects.bulk_create(
            LogEntry(
                content_type=content_type,
                object_id=lead.pk,
                object_pk=str(lead.pk),
                object_repr=str(lead),
                action=LogEntry.Action.UPDATE,
                changes={"owner": [None, rep.pk], "need": [0, 3]},
                actor=rep,
                source="web",
                timestamp=now - timedelta(minutes=i),
            )
            for i in range(n)
        )
        LeadStatusChange.objects.bulk_create(
            LeadStatusChange(
                lead=lead, from_status="new", to_status="contacted", actor=rep, at=now - timedelta(minutes=i)
            )
            for i in range(n)
        )
        grow_activities(n, now=now, assignee=rep, lead=lead)
        grow_mail(n, now=now, owner=rep, lead=lead)

    grow(10)
    _, small_count = count_queries(client, url)
    grow(490)
    _, large_count = count_queries(client, url)
    assert small_count == large_count == 11


def test_organization_page_and_timeline_cost_the_same_queries_at_two_sizes(
    client, rep, teammate, stages, warm_content_types
):
    # Timeline: 1 user, 2 the organization (visible through a deal or lead: EXISTS subqueries),
    # 3 the ids of its visible deals and leads (one UNION), 4 audit entries of the organization,
    # its contacts and those deals and leads, 5 stage changes, 6 lead status changes,
    # 7 activities planned, 8 activities done, 9 quote events of those deals, 10 the e-mails of
    # its people and deals, 11 users, 12 stages (names behind the page's foreign-key changes),
    # 13 the e-mails' participants. The page: the same timeline plus its deals, its leads, its
    # contacts, the figures (won and open value), the last and next contact, the newest e-mail,
    # the planned and the done activities, its possible duplicates (one indexed match; none
    # here), its recent merges and the users the log-activity form may assign to.
    organization = factories.OrganizationFactory()
    factories.ContactFactory(organization=organization)
    factories.LeadFactory(owner=rep, organization=organization)
    client.force_login(rep)
    timeline_url = reverse("organizations:timeline", args=[organization.pk])
    page_url = reverse("organizations:detail", args=[organization.pk])

    def grow(n):
        for _ in range(n):
            deal = factories.DealFactory.build(owner=rep, organization=organization, stage=stages[0])
            deal.pipeline = stages[0].pipeline
            deal.save()
            LogEntry.objects.filter(action=LogEntry.Action.CREATE).delete()
            grow_deal(deal, n=3, rep=rep, teammate=teammate, stages=stages)

    grow(3)
    _, small_timeline = count_queries(client, timeline_url)
    _, small_page = count_queries(client, page_url)
    grow(60)
    _, large_timeline = count_queries(client, timeline_url)
    _, large_page = count_queries(client, page_url)
    assert small_timeline == large_timeline == 13
    assert small_page == large_page == 24

"""The contact and lead timelines show the enrolment events and the marketing e-mails (with
opened, clicked, replied) through the timeline's source registry."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from nurturing.models import Enrolment, EnrolmentEvent, Send, Sequence
from tests import factories
from tests.nurturing import pages
from timeline import selectors, sources


def test_the_nurturing_sources_are_registered_without_the_timeline_importing_nurturing():
    assert {source.kind for source in sources.registered()} >= {"enrolment", "marketing"}
    with open(selectors.__file__) as source:
        assert "nurturing" not in source.read()


def test_a_contacts_timeline_shows_enrolment_events_and_sends(client, rep, manager):
    sequence = pages.sequence(manager, name="Onboarding", status=Sequence.Status.ACTIVE)
    contact = factories.ContactFactory(owner=rep)
    enrolment = Enrolment.objects.create(sequence=sequence, contact=contact, next_position=1)
    now = timezone.now()
    EnrolmentEvent.objects.create(enrolment=enrolment, contact=contact, kind="enrolled", at=now - timedelta(hours=2))
    Send.objects.create(
        sequence=sequence,
        contact=contact,
        template=pages.template("Hallo"),
        address="x@example.com",
        domain="example.com",
        status="sent",
        created_at=now - timedelta(hours=1),
        opened_at=now,
        clicked_at=now,
    )
    client.force_login(rep)
    html = client.get(reverse("contacts:timeline", args=[contact.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-kind="enrolment"' in html and "Onboarding" in html and "enrolled" in html
    assert 'data-kind="marketing"' in html and "Hallo" in html and "clicked" in html and "replied" not in html
    assert html.index('data-kind="marketing"') < html.index('data-kind="enrolment"')  # newest first


def test_a_leads_timeline_pages_through_the_new_entries(rep, manager):
    sequence = pages.sequence(manager, status=Sequence.Status.ACTIVE)
    lead = factories.LeadFactory(owner=rep)
    enrolment = Enrolment.objects.create(sequence=sequence, lead=lead, next_position=1)
    start = timezone.now() - timedelta(days=1)
    for minute in range(5):
        EnrolmentEvent.objects.create(
            enrolment=enrolment, lead=lead, kind="step", position=1, at=start + timedelta(minutes=minute)
        )
    seen, cursor = [], None
    while True:
        page = selectors.lead_timeline(user=rep, lead=lead, before=cursor, limit=3)
        seen += [item.id for item in page.items if item.kind == "enrolment"]
        if not page.next_cursor:
            break
        cursor = selectors.cursor_decode(page.next_cursor)
    assert sorted(seen) == sorted(EnrolmentEvent.objects.filter(lead=lead).values_list("pk", flat=True))

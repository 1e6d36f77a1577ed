"""The suppression list (nurturing.consent.suppress / unsuppress) and hard bounces."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers import services as customer_services
from customers.models import Consent, ConsentChange, ContactChannel
from leads import services as lead_services
from leads.models import LeadConsentChange
from mail import bounces
from nurturing import consent
from nurturing.models import Enrolment, EnrolmentEvent, Send, Sequence, Suppression
from tests import factories


@pytest.fixture
def sequence(rep):
    return Sequence.objects.create(name="Welcome", owner=rep, status=Sequence.Status.ACTIVE)


@pytest.fixture
def contact(rep):
    contact = factories.ContactFactory(owner=rep, email="Eva@Example.com")
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="form")
    return contact


@pytest.fixture
def lead(rep):
    lead = factories.LeadFactory(owner=rep, email="EVA@example.com")
    lead_services.lead_consent_set(actor=rep, lead=lead, status=Consent.GRANTED, source="fair")
    return lead


def test_suppressing_withdraws_every_contact_and_lead_with_the_address(rep, contact, lead):
    other = factories.ContactFactory(owner=rep, email="eva.private@example.org")
    ContactChannel.objects.create(contact=other, kind=ContactChannel.Kind.EMAIL, value="EVA@example.COM")
    bystander = factories.ContactFactory(owner=rep, email="someone@example.com")
    consent.suppress(address="eva@example.com", reason="unsubscribed", source="unsubscribe link")
    for record in (contact, lead, other):
        record.refresh_from_db()
        assert record.email_consent == Consent.WITHDRAWN
    bystander.refresh_from_db()
    assert bystander.email_consent == Consent.UNKNOWN
    change = ConsentChange.objects.filter(contact=contact).first()
    assert change.status == Consent.WITHDRAWN and change.actor is None
    assert "unsubscribe link" in change.source and "eva@example.com" in change.proof
    assert LeadConsentChange.objects.filter(lead=lead).first().status == Consent.WITHDRAWN
    assert Suppression.objects.get().address == "eva@example.com"


def test_suppressing_twice_changes_nothing(rep, contact):
    first = consent.suppress(address="eva@example.com", reason="unsubscribed", source="link")
    changes = ConsentChange.objects.count()
    second = consent.suppress(address="EVA@example.com", reason="hard_bounce", source="bounce")
    assert first.pk == second.pk and second.reason == Suppression.Reason.UNSUBSCRIBED
    assert ConsentChange.objects.count() == changes


def test_suppressing_ends_active_enrolments_with_an_event(rep, contact, lead, sequence):
    enrolment = Enrolment.objects.create(sequence=sequence, contact=contact, next_position=1)
    lead_enrolment = Enrolment.objects.create(sequence=sequence, lead=lead, next_position=2)
    done = Enrolment.objects.create(
        sequence=Sequence.objects.create(name="Old", owner=rep), contact=contact, status=Enrolment.Status.COMPLETED
    )
    consent.suppress(address="eva@example.com", reason="hard_bounce", source="bounce")
    for row in (enrolment, lead_enrolment):
        row.refresh_from_db()
        assert (row.status, row.exit_reason, row.next_position) == (Enrolment.Status.EXITED, "hard_bounce", None)
        assert EnrolmentEvent.objects.get(enrolment=row).kind == EnrolmentEvent.Kind.EXITED
    done.refresh_from_db()
    assert done.status == Enrolment.Status.COMPLETED and not EnrolmentEvent.objects.filter(enrolment=done).exists()


def test_the_send_whose_link_was_used_is_stamped_once(contact):
    send = Send.objects.create(contact=contact, address="eva@example.com", domain="example.com")
    at = timezone.now() - timedelta(minutes=5)
    consent.suppress(address=send.address, reason="unsubscribed", source="link", send=send, at=at)
    consent.suppress(address=send.address, reason="unsubscribed", source="link", send=send)
    send.refresh_from_db()
    assert send.unsubscribed_at == at


def test_unsuppress_lifts_an_unsubscribe_but_never_a_hard_bounce_or_complaint(db):
    Suppression.objects.create(address="a@example.com", reason=Suppression.Reason.UNSUBSCRIBED)
    Suppression.objects.create(address="b@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    Suppression.objects.create(address="c@example.com", reason=Suppression.Reason.COMPLAINT)
    assert consent.unsuppress(address="A@example.com") is True
    assert consent.unsuppress(address="b@example.com") is False
    assert consent.unsuppress(address="c@example.com") is False
    assert sorted(Suppression.objects.values_list("address", flat=True)) == ["b@example.com", "c@example.com"]


def _bounce(permanent, address="eva@example.com"):
    from mail.models import Bounce
    from tests.mail.factories import stored_message

    owner = factories.UserFactory()
    report = stored_message(owner=owner, sender="mailer-daemon@example.net", to=[owner.email], subject="DSN")
    return Bounce.objects.create(
        report=report, address=address, status="5.1.1" if permanent else "4.2.2", permanent=permanent
    )


def test_a_permanent_bounce_suppresses_the_address_a_transient_one_does_not(contact):
    consent.on_bounce(_bounce(False))
    assert not Suppression.objects.exists()
    consent.on_bounce(_bounce(True))
    suppression = Suppression.objects.get()
    assert (suppression.reason, suppression.address) == (Suppression.Reason.HARD_BOUNCE, "eva@example.com")
    contact.refresh_from_db()
    assert contact.email_consent == Consent.WITHDRAWN


def test_recorded_bounces_reach_the_registered_listener_on_commit(contact, django_capture_on_commit_callbacks):
    raw = _dsn("eva@example.com", "5.1.1")
    owner = factories.UserFactory()
    from tests.mail.factories import stored_message

    report = stored_message(owner=owner, sender="mailer-daemon@example.net", to=[owner.email], subject="DSN")
    with django_capture_on_commit_callbacks(execute=True):
        bounces.record_bounces(report, raw)
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bounces.record_bounces(report, raw)  # the same report again: no new row, no listener call
    assert callbacks == []


def _dsn(address, status):
    return (
        "From: mailer-daemon@example.net\r\nTo: alice@example.com\r\nSubject: Undelivered\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        "--b--\r\n"
    ).encode()

"""The engine runs each step kind, ends enrolments on every exit condition, and claims due
enrolments under a lease so that a rerun sends nothing twice."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from activities.models import Activity
from customers.models import Consent
from mail.models import Bounce, EmailMessage, Participant
from nurturing import conditions, engine, enrolment
from nurturing.models import Enrolment, EnrolmentEvent, Send, Suppression
from quotes import services as quote_services
from quotes.models import QuoteEvent
from tests import factories
from tests.nurturing.conftest import TUESDAY_10, consenting_contact, email, make_sequence

pytestmark = pytest.mark.django_db


def enrolled(sequence, person, actor=None):
    field = "contacts" if person._meta.model_name == "contact" else "leads"
    assert enrolment.enrol(sequence=sequence, via="manual", actor=actor, **{field: [person]}).enrolled == 1
    return Enrolment.objects.get(sequence=sequence, **{person._meta.model_name: person})


def state(item):
    item.refresh_from_db()
    return item.status, item.next_position, item.exit_reason


def inbound_from(address, *, owner, at):
    message = EmailMessage.objects.create(
        owner=owner,
        source="inbox",
        message_id=f"<{address}-{at.timestamp()}@x>",
        direction=EmailMessage.Direction.INBOUND,
        from_address=address,
        sent_at=at,
        created_at=at,
    )
    Participant.objects.create(message=message, role="from", address=address)
    return message


def test_an_email_step_sends_and_the_sequence_completes(rep, sequence):
    item = enrolled(sequence, consenting_contact(rep))

    counts = engine.run_due(now=TUESDAY_10)

    assert counts["sent"] == 1 and counts["completed"] == 1
    assert state(item) == ("completed", None, "")
    send = Send.objects.get(enrolment=item)
    assert (send.sequence, send.step.position, send.created_at) == (sequence, 1, TUESDAY_10)
    assert engine.run_due(now=TUESDAY_10 + timedelta(hours=1))["sent"] == 0


def test_a_wait_of_days_holds_the_next_step_until_then(rep, template):
    sequence = make_sequence(rep, email(template), {"kind": "wait", "wait_days": 3}, email(template))
    item = enrolled(sequence, consenting_contact(rep))

    engine.run_due(now=TUESDAY_10)
    item.refresh_from_db()
    assert (item.next_position, item.next_run_at) == (3, TUESDAY_10 + timedelta(days=3))
    assert engine.run_due(now=TUESDAY_10 + timedelta(days=2))["sent"] == 0
    assert engine.run_due(now=TUESDAY_10 + timedelta(days=3))["sent"] == 1
    assert state(item)[0] == "completed"


def test_a_wait_for_a_weekday_and_time_is_in_the_persons_time_zone(rep, template):
    sequence = make_sequence(rep, {"kind": "wait", "wait_weekday": 3, "wait_time": time(9, 30)}, email(template))
    item = enrolled(sequence, consenting_contact(rep, time_zone="America/New_York"))

    engine.run_due(now=TUESDAY_10)

    item.refresh_from_db()
    local = item.next_run_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.weekday(), local.time()) == (3, time(9, 30))
    assert timedelta(0) < item.next_run_at - TUESDAY_10 < timedelta(days=7)


def test_a_task_step_plans_a_task_for_the_owner_on_the_open_deal_or_the_lead(rep, manager):
    sequence = make_sequence(manager, {"kind": "task", "task_subject": "Anrufen", "task_due_days": 2})
    contact = consenting_contact(rep)
    deal = factories.DealFactory(owner=rep, contact=contact)
    lead = factories.LeadFactory(owner=rep, email_consent=Consent.GRANTED)
    enrolled(sequence, contact), enrolled(sequence, lead)

    engine.run_due(now=TUESDAY_10)

    tasks = Activity.objects.filter(subject="Anrufen")
    assert {(t.deal_id, t.lead_id, t.assignee_id) for t in tasks} == {(deal.pk, None, rep.pk), (None, lead.pk, rep.pk)}
    assert {t.due_at for t in tasks} == {TUESDAY_10 + timedelta(days=2)}


@pytest.mark.parametrize("clicked", [True, False])
def test_a_branch_goes_to_then_or_else_by_the_enrolments_sends(rep, template, clicked):
    sequence = make_sequence(
        rep,
        email(template),
        {"kind": "branch", "condition": "clicked", "then_position": 4, "else_position": None},
        email(template),
        {"kind": "task", "task_subject": "Heißer Kontakt"},
    )
    contact = consenting_contact(rep)
    factories.DealFactory(owner=rep, contact=contact)
    item = enrolled(sequence, contact)
    original = conditions.branch_holds

    def after_the_first_email(enrolment_, condition):
        if clicked:
            Send.objects.filter(enrolment=enrolment_).update(clicked_at=TUESDAY_10)
        return original(enrolment_, condition)

    conditions.branch_holds = after_the_first_email
    try:
        engine.run_due(now=TUESDAY_10)
    finally:
        conditions.branch_holds = original

    assert Send.objects.filter(enrolment=item).count() == 1, "step 3 is never reached"
    assert Activity.objects.filter(subject="Heißer Kontakt").exists() is clicked
    assert state(item)[0] == "completed"


def test_a_branch_on_a_viewed_quote_looks_at_the_persons_deal_after_enrolment(rep, template):
    sequence = make_sequence(rep, {"kind": "branch", "condition": "quote_viewed", "then_position": 2}, email(template))
    contact = consenting_contact(rep)
    deal = factories.DealFactory(owner=rep, contact=contact)
    item = enrolled(sequence, contact)
    quote = quote_services.quote_create(deal_id=deal.pk, actor=rep)
    assert conditions.branch_holds(item, "quote_viewed") is False
    QuoteEvent.objects.create(quote=quote, deal=deal, kind="viewed", at=item.enrolled_at - timedelta(days=1))
    assert conditions.branch_holds(item, "quote_viewed") is False, "a view before enrolment does not count"
    QuoteEvent.objects.create(quote=quote, deal=deal, kind="viewed", at=item.enrolled_at + timedelta(hours=1))

    engine.run_due(now=TUESDAY_10)

    assert Send.objects.filter(enrolment=item).count() == 1
    assert EnrolmentEvent.objects.filter(enrolment=item, kind="step", detail="quote_viewed: yes").exists()


def _exit_by(reason, *, rep, contact, item):
    later = item.enrolled_at + timedelta(minutes=5)
    if reason == "replied":
        inbound_from(contact.email, owner=rep, at=later)
    elif reason == "meeting":
        deal = factories.DealFactory(owner=rep, contact=contact)
        factories.ActivityFactory(deal=deal, kind="meeting", created_at=later)
    elif reason in ("deal_won", "deal_lost"):
        deal = factories.DealFactory(owner=rep, contact=contact)
        if reason == "deal_won":
            deal.status, deal.won_at = "won", later
        else:
            deal.status, deal.lost_at = "lost", later
            deal.lost_reason, deal.lost_from_stage = factories.LostReasonFactory(), deal.stage
        deal.save()
    elif reason == "unsubscribed":
        Suppression.objects.create(address=contact.email.lower(), reason="unsubscribed")
    elif reason == "hard_bounce":
        report = inbound_from("mailer-daemon@x.example", owner=rep, at=later)
        Bounce.objects.create(address=contact.email.lower(), permanent=True, report=report)
    elif reason == "withdrawn":
        contact.email_consent = Consent.WITHDRAWN
        contact.save()


EXITS = ["replied", "meeting", "deal_won", "deal_lost", "unsubscribed", "hard_bounce", "withdrawn"]


@pytest.mark.parametrize("reason", EXITS)
def test_each_exit_condition_ends_the_enrolment_before_its_next_step(rep, sequence, reason):
    contact = consenting_contact(rep)
    item = enrolled(sequence, contact)
    _exit_by(reason, rep=rep, contact=contact, item=item)

    counts = engine.run_due(now=TUESDAY_10)

    assert counts["sent"] == 0 and counts["exited"] == 1
    assert state(item) == ("exited", None, reason)
    assert EnrolmentEvent.objects.filter(enrolment=item, kind="exited").exists()


@pytest.mark.parametrize("reason", EXITS)
def test_each_exit_condition_is_checked_again_by_the_gate_at_delivery(rep, sequence, reason):
    from mail import sending as mail_sending

    contact = consenting_contact(rep)
    item = enrolled(sequence, contact)
    engine.run_due(now=TUESDAY_10)
    send = Send.objects.get(enrolment=item)
    Enrolment.objects.filter(pk=item.pk).update(status="active")  # a later step still to come
    item.refresh_from_db()
    _exit_by(reason, rep=rep, contact=contact, item=item)

    assert mail_sending.deliver(send.message_id) == EmailMessage.Delivery.WITHHELD
    send.refresh_from_db()
    assert send.status == "withheld"
    assert state(item) == ("exited", None, reason)


def test_a_converted_lead_leaves(rep, sequence):
    lead = factories.LeadFactory(owner=rep, email_consent=Consent.GRANTED)
    item = enrolled(sequence, lead)
    lead.status, lead.converted_at = "converted", timezone.now()
    lead.save()

    engine.run_due(now=TUESDAY_10)

    assert state(item) == ("exited", None, "converted")


def test_a_reply_is_marked_on_the_send_and_ends_the_enrolment(rep, template):
    sequence = make_sequence(rep, email(template), {"kind": "wait", "wait_days": 2}, email(template))
    contact = consenting_contact(rep)
    item = enrolled(sequence, contact)
    engine.run_due(now=TUESDAY_10)
    send = Send.objects.get(enrolment=item)
    reply = inbound_from(contact.email, owner=rep, at=TUESDAY_10 + timedelta(hours=1))

    assert conditions.mark_replies(now=TUESDAY_10 + timedelta(hours=1)) == 1

    send.refresh_from_db()
    assert send.replied_at == reply.sent_at
    assert state(item) == ("exited", None, "replied")
    assert conditions.mark_replies(now=TUESDAY_10 + timedelta(hours=1)) == 0


def test_a_reply_in_the_sends_thread_counts_even_when_its_date_is_a_second_earlier(rep, template):
    """Dates have whole seconds and come from the sender's clock: a reply linked to the send's
    thread is an answer whatever its date; it is recorded no earlier than the send."""
    sequence = make_sequence(rep, email(template), {"kind": "wait", "wait_days": 2}, email(template))
    contact = consenting_contact(rep)
    item = enrolled(sequence, contact)
    engine.run_due(now=TUESDAY_10 + timedelta(microseconds=700_000))
    send = Send.objects.select_related("message").get(enrolment=item)
    reply = inbound_from("other@elsewhere.example", owner=rep, at=TUESDAY_10)  # truncated to the second
    EmailMessage.objects.filter(pk=reply.pk).update(thread=send.message.thread)

    assert conditions.mark_replies(now=TUESDAY_10 + timedelta(minutes=1)) == 1

    send.refresh_from_db()
    assert send.replied_at == send.created_at
    assert state(item) == ("exited", None, "replied")


def test_a_person_whose_email_cannot_be_written_leaves_and_the_batch_goes_on(rep):
    from mail.models import EmailTemplate

    template = EmailTemplate.objects.create(name="Vorname", subject="{{ contact.first_name }}", body="Hallo")
    sequence = make_sequence(rep, email(template))
    nameless = enrolled(sequence, consenting_contact(rep, first_name=""))
    named = enrolled(sequence, consenting_contact(rep, first_name="Katrin"))

    counts = engine.run_due(now=TUESDAY_10)

    assert counts["sent"] == 1
    assert state(nameless) == ("exited", None, "template_error")
    assert "empty" in Enrolment.objects.get(pk=nameless.pk).exit_detail
    assert state(named)[0] == "completed"


def test_a_claimed_enrolment_is_not_run_by_another_run_until_its_lease_ends(rep, sequence, settings):
    item = enrolled(sequence, consenting_contact(rep))
    _token, ids = engine.claim(now=TUESDAY_10, limit=10)  # a worker that dies after claiming
    assert ids == [item.pk]

    assert engine.claim(now=TUESDAY_10, limit=10)[1] == []
    assert engine.run_due(now=TUESDAY_10 + timedelta(seconds=10))["sent"] == 0
    after_lease = TUESDAY_10 + timedelta(seconds=settings.CRM_NURTURE_LEASE_SECONDS + 1)
    assert engine.run_due(now=after_lease)["sent"] == 1
    assert engine.run_due(now=after_lease)["sent"] == 0
    assert Send.objects.filter(enrolment=item).count() == 1


def test_a_step_that_fails_midway_leaves_no_email_and_runs_again(rep, sequence, monkeypatch):
    item = enrolled(sequence, consenting_contact(rep))

    def dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(enrolment, "event", dies)  # after the e-mail was written, before the step ends
    engine.run_due(now=TUESDAY_10)
    assert not Send.objects.exists() and not EmailMessage.objects.exists()
    monkeypatch.undo()

    assert engine.run_due(now=TUESDAY_10 + timedelta(minutes=5))["sent"] == 1
    assert Send.objects.filter(enrolment=item).count() == 1

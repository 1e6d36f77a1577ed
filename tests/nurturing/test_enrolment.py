"""Enrolling people in sequences: in bulk with a bounded number of queries, each refusal with its
reason, the overlap rule, manual enrolment only of records the user may change; pausing and
resuming; segments enrolling their new members."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Consent, Contact
from nurturing import engine, enrolment
from nurturing.models import Enrolment, EnrolmentEvent, Segment, Sequence, Suppression
from tests import factories
from tests.nurturing.conftest import TUESDAY_10, consenting_contact, email, make_sequence

pytestmark = pytest.mark.django_db


def test_enrolled_people_start_at_the_first_step_now_with_an_event(rep, sequence):
    people = [consenting_contact(rep) for _ in range(3)]

    result = enrolment.enrol(sequence=sequence, contacts=people, via=Enrolment.Via.MANUAL, actor=rep)

    assert (result.enrolled, result.skipped) == (3, [])
    rows = Enrolment.objects.filter(sequence=sequence)
    assert {(e.status, e.next_position, e.via, e.enrolled_by_id) for e in rows} == {("active", 1, "manual", rep.pk)}
    assert EnrolmentEvent.objects.filter(kind="enrolled", contact__in=people).count() == 3


def test_each_person_who_cannot_be_enrolled_comes_back_with_the_reason(rep, template, sequence):
    ok = consenting_contact(rep)
    no_address = consenting_contact(rep, email="")
    unknown = consenting_contact(rep, email_consent=Consent.UNKNOWN)
    pending = consenting_contact(rep, email_consent=Consent.PENDING)
    withdrawn = consenting_contact(rep, email_consent=Consent.WITHDRAWN)
    suppressed = consenting_contact(rep, email="Gone@Example.com")
    Suppression.objects.create(address="gone@example.com", reason="unsubscribed")
    existing = consenting_contact(rep, email_consent=Consent.EXISTING)
    enrolment.enrol(sequence=sequence, contacts=[ok], via="manual", actor=rep)
    elsewhere = consenting_contact(rep)
    other = make_sequence(rep, email(template), name="Webinar")
    enrolment.enrol(sequence=other, contacts=[elsewhere], via="manual", actor=rep)

    people = [ok, no_address, unknown, pending, withdrawn, suppressed, existing, elsewhere]
    result = enrolment.enrol(sequence=sequence, contacts=people, via="manual", actor=rep)

    assert result.enrolled == 1  # the existing customer
    assert {record.pk: reason for record, reason in result.skipped} == {
        ok.pk: "already_enrolled",
        no_address.pk: "no_address",
        unknown.pk: "no_consent",
        pending.pk: "no_consent",
        withdrawn.pk: "withdrawn",
        suppressed.pk: "suppressed",
        elsewhere.pk: "other_sequence",
    }
    assert set(enrolment.SKIP_REASONS) >= {reason for _record, reason in result.skipped}


def test_a_sequence_that_may_overlap_takes_people_who_are_in_another_mailing_sequence(rep, template, sequence):
    person = consenting_contact(rep)
    enrolment.enrol(sequence=sequence, contacts=[person], via="manual", actor=rep)
    overlapping = make_sequence(rep, email(template), name="Newsletter", allow_overlap=True)
    tasks_only = make_sequence(rep, {"kind": "task", "task_subject": "Anrufen"}, name="Anrufe")

    assert enrolment.enrol(sequence=overlapping, contacts=[person], via="manual", actor=rep).enrolled == 1
    assert enrolment.enrol(sequence=tasks_only, contacts=[person], via="manual", actor=rep).enrolled == 1


def test_a_rep_enrols_only_records_they_may_change(rep, teammate, manager, sequence):
    own, teammates = consenting_contact(rep), consenting_contact(teammate)

    result = enrolment.enrol(sequence=sequence, contacts=[own, teammates], via="manual", actor=rep)

    assert result.enrolled == 1
    assert [(record.pk, reason) for record, reason in result.skipped] == [(teammates.pk, "not_allowed")]
    assert enrolment.enrol(sequence=sequence, contacts=[teammates], via="manual", actor=manager).enrolled == 1


def test_leads_are_enrolled_with_their_own_consent(rep, sequence):
    lead = factories.LeadFactory(owner=rep, email_consent=Consent.GRANTED)
    refused = factories.LeadFactory(owner=rep)

    result = enrolment.enrol(sequence=sequence, leads=[lead, refused], via="rule")

    assert result.enrolled == 1
    assert Enrolment.objects.get(lead=lead).via == "rule"
    assert [(record.pk, reason) for record, reason in result.skipped] == [(refused.pk, "no_consent")]


def _queries_to_enrol(rep, sequence, count, prefix):
    Contact.objects.bulk_create(
        Contact(last_name=f"P{n}", email=f"{prefix}{n}@example.com", owner=rep, email_consent=Consent.GRANTED)
        for n in range(count)
    )
    people = Contact.objects.filter(email__startswith=prefix)
    with CaptureQueriesContext(connection) as queries:
        result = enrolment.enrol(sequence=sequence, contacts=people, via="manual", actor=rep)
    assert result.enrolled == count
    return len(queries)


def test_ten_thousand_people_are_enrolled_with_a_bounded_number_of_queries_per_batch(rep, manager, template):
    small = make_sequence(manager, email(template), name="Klein")
    large = make_sequence(manager, email(template), name="Groß")

    one_batch = _queries_to_enrol(manager, small, enrolment.BATCH, "small")
    twenty_batches = _queries_to_enrol(manager, large, 10_000, "large")

    assert one_batch <= 12
    assert twenty_batches <= 20 * one_batch
    assert EnrolmentEvent.objects.filter(enrolment__sequence=large, kind="enrolled").count() == 10_000


def test_pausing_stops_the_run_and_resuming_goes_on_with_events(rep, admin, sequence):
    person = consenting_contact(rep)
    enrolment.enrol(sequence=sequence, contacts=[person], via="manual", actor=rep)

    enrolment.sequence_pause(sequence=sequence, actor=admin)
    assert sequence.status == Sequence.Status.PAUSED and sequence.paused_at is not None
    assert engine.run_due(now=TUESDAY_10)["sent"] == 0
    assert Enrolment.objects.get(contact=person).next_position == 1

    enrolment.sequence_resume(sequence=sequence, actor=admin)
    assert engine.run_due(now=TUESDAY_10)["sent"] == 1
    kinds = list(EnrolmentEvent.objects.filter(contact=person).values_list("kind", flat=True))
    assert kinds == ["enrolled", "paused", "resumed", "step", "completed"]


def test_only_admins_and_managers_start_or_pause_a_sequence(rep, manager, sequence):
    with pytest.raises(PermissionDenied):
        enrolment.sequence_pause(sequence=sequence, actor=rep)
    enrolment.sequence_pause(sequence=sequence, actor=manager)
    enrolment.sequence_activate(sequence=sequence, actor=manager)
    sequence.refresh_from_db()
    assert sequence.status == Sequence.Status.ACTIVE


def test_an_incomplete_sequence_does_not_start(manager):
    draft = make_sequence(manager, {"kind": "email"}, status=Sequence.Status.DRAFT)

    with pytest.raises(Exception, match="template"):
        enrolment.sequence_activate(sequence=draft, actor=manager)


def test_a_segment_enrols_its_new_members_once_and_never_those_who_were_in_it_before(
    rep, manager, template, django_capture_on_commit_callbacks
):
    segment = Segment.objects.create(name="Alle", kind=Segment.Kind.CONTACTS, query="", owner=manager)
    sequence = make_sequence(manager, email(template), segment=segment)
    first, left = consenting_contact(rep), consenting_contact(rep)
    Enrolment.objects.create(sequence=sequence, contact=left, status="exited", exit_reason="manual")

    assert enrolment.enrol_segments() == 1
    assert Enrolment.objects.get(sequence=sequence, contact=first, status="active").via == "segment"

    newcomer = consenting_contact(rep)
    assert enrolment.enrol_segments() == 1
    assert Enrolment.objects.filter(sequence=sequence, contact=newcomer).exists()
    assert not Enrolment.objects.filter(sequence=sequence, contact=left, status="active").exists()
    assert enrolment.enrol_segments() == 0


def test_exiting_ends_the_enrolment_once_with_the_reason(rep, sequence):
    person = consenting_contact(rep)
    enrolment.enrol(sequence=sequence, contacts=[person], via="manual", actor=rep)
    item = Enrolment.objects.get(contact=person)

    assert enrolment.exit_enrolment(enrolment=item, reason="manual") is True
    assert enrolment.exit_enrolment(enrolment=item, reason="manual") is False
    item.refresh_from_db()
    assert (item.status, item.exit_reason, item.next_run_at) == ("exited", "manual", None)
    assert EnrolmentEvent.objects.filter(enrolment=item, kind="exited").count() == 1

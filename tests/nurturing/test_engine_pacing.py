"""Quiet hours in the person's time zone, the per-domain rate and the sender's daily cap
postpone an e-mail step (with an event and the next allowed time); nothing is lost."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nurturing import engine, enrolment
from nurturing.models import Enrolment, EnrolmentEvent, Send
from nurturing.pacing import quiet_until
from nurturing.timezones import person_time_zone
from tests import factories
from tests.nurturing.conftest import BERLIN, TUESDAY_10, consenting_contact, next_tuesday

pytestmark = pytest.mark.django_db


def enrol_all(sequence, people):
    enrolment.enrol(sequence=sequence, contacts=people, via="manual")
    return list(Enrolment.objects.filter(sequence=sequence).order_by("pk"))


def test_at_night_in_the_persons_zone_the_email_waits_for_the_morning(rep, sequence):
    night = next_tuesday(21, 30)
    berliner = consenting_contact(rep)
    new_yorker = consenting_contact(rep, time_zone="America/New_York")  # 15:30 there
    [berlin, _new_york] = enrol_all(sequence, [berliner, new_yorker])

    counts = engine.run_due(now=night)

    assert counts == counts | {"sent": 1, "postponed": 1}
    berlin.refresh_from_db()
    assert berlin.next_run_at == datetime.combine(night.date() + timedelta(days=1), time(8), tzinfo=BERLIN)
    event = EnrolmentEvent.objects.get(enrolment=berlin, kind="postponed")
    assert event.detail.startswith("quiet_hours ")
    assert Send.objects.get().contact == new_yorker
    assert engine.run_due(now=berlin.next_run_at)["sent"] == 1


def test_the_domain_rate_lets_the_rest_wait_a_minute(rep, sequence, settings):
    settings.CRM_NURTURE_DOMAIN_RATE_PER_MINUTE = 2
    people = [consenting_contact(rep, email=f"p{n}@same.example") for n in range(3)]
    other = consenting_contact(rep, email="x@other.example")
    enrol_all(sequence, [*people, other])

    assert engine.run_due(now=TUESDAY_10)["sent"] == 3
    waiting = Enrolment.objects.get(status="active")
    assert waiting.next_run_at == TUESDAY_10 + timedelta(minutes=1)
    assert engine.run_due(now=TUESDAY_10 + timedelta(seconds=30))["sent"] == 0
    assert engine.run_due(now=TUESDAY_10 + timedelta(minutes=1))["sent"] == 1


def test_the_senders_daily_cap_holds_the_rest_until_their_next_day(rep, teammate, sequence, settings):
    settings.CRM_NURTURE_DAILY_CAP_PER_USER = 2
    rep.time_zone = "Europe/Berlin"
    rep.save()
    enrol_all(sequence, [consenting_contact(rep) for _ in range(3)] + [consenting_contact(teammate)])

    counts = engine.run_due(now=TUESDAY_10)

    assert counts["sent"] == 3 and counts["postponed"] == 1
    held = Enrolment.objects.get(status="active")
    assert held.next_run_at == datetime.combine(TUESDAY_10.date() + timedelta(days=1), time(0), tzinfo=BERLIN)
    assert "daily_cap" in EnrolmentEvent.objects.get(enrolment=held, kind="postponed").detail


def test_quiet_hours_wrap_midnight_and_can_be_turned_off():
    berlin = ZoneInfo("Europe/Berlin")
    at = datetime(2026, 3, 10, 7, 59, tzinfo=berlin)
    assert quiet_until(at, berlin, (20, 8)) == datetime(2026, 3, 10, 8, tzinfo=berlin)
    assert quiet_until(at.replace(hour=8, minute=0), berlin, (20, 8)) is None
    assert quiet_until(at.replace(hour=20), berlin, (20, 8)) == datetime(2026, 3, 11, 8, tzinfo=berlin)
    assert quiet_until(at.replace(hour=13), berlin, (12, 14)) == datetime(2026, 3, 10, 14, tzinfo=berlin)
    assert quiet_until(at, berlin, None) is None


def test_the_persons_time_zone_comes_from_the_contact_the_region_or_the_installation(db, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert person_time_zone(contact=factories.ContactFactory(time_zone="Asia/Tokyo")).key == "Asia/Tokyo"
    assert person_time_zone(contact=factories.ContactFactory(organization__region="at")).key == "Europe/Vienna"
    assert person_time_zone(contact=factories.ContactFactory(organization__region="ch")).key == "Europe/Zurich"
    assert person_time_zone(contact=factories.ContactFactory(time_zone="Mars/Base", organization__region="at")).key == (
        "Europe/Vienna"
    )
    assert person_time_zone(lead=factories.LeadFactory(region="ch")).key == "Europe/Zurich"
    assert person_time_zone(lead=factories.LeadFactory(region="intl")).key == "Europe/Berlin"

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from activities import services
from activities.models import DigestLog
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


def at(hour, minute=0, day=27, tz=BERLIN):
    return datetime(2026, 11, day, hour, minute, tzinfo=tz)


@pytest.fixture
def planned(deal):
    """Alice's overdue call (yesterday), her meeting today and a task tomorrow."""
    return [
        factories.ActivityFactory(deal=deal, subject="Overdue call", due_at=at(10, day=26)),
        factories.ActivityFactory(deal=deal, subject="Meeting today", due_at=at(15)),
        factories.ActivityFactory(deal=deal, subject="Task tomorrow", due_at=at(9, day=28)),
    ]


def test_digest_lists_overdue_and_today(planned, rep):
    services.digests_run(now=at(7, 1))

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "1 today, 1 overdue" in message.subject
    assert "Overdue call" in message.body
    assert "Meeting today" in message.body
    assert "Task tomorrow" not in message.body


def test_digest_waits_for_the_users_hour(planned, rep):
    rep.digest_hour = 8
    rep.save()

    services.digests_run(now=at(7, 55))
    assert len(mail.outbox) == 0

    services.digests_run(now=at(8, 0))
    assert len(mail.outbox) == 1


def test_digest_is_sent_once_per_day(planned, rep):
    services.digests_run(now=at(7, 0))
    services.digests_run(now=at(7, 5))
    services.digests_run(now=at(18, 0))

    assert len(mail.outbox) == 1
    assert DigestLog.objects.get().activity_count == 2


def test_digest_is_sent_again_the_next_day(planned, rep):
    services.digests_run(now=at(7, 0))
    services.digests_run(now=at(7, 0, day=28))

    assert len(mail.outbox) == 2


def test_digest_follows_the_users_time_zone(planned, rep):
    rep.time_zone = "America/New_York"
    rep.save()

    services.digests_run(now=at(7, 0))  # 01:00 in New York
    assert len(mail.outbox) == 0

    services.digests_run(now=at(7, 0, tz=ZoneInfo("America/New_York")))
    assert len(mail.outbox) == 1


def test_digest_respects_the_opt_out(planned, rep):
    rep.digest_enabled = False
    rep.save()

    services.digests_run(now=at(9, 0))

    assert len(mail.outbox) == 0


def test_nothing_to_report_sends_no_digest_but_closes_the_day(rep):
    services.digests_run(now=at(9, 0))

    assert len(mail.outbox) == 0
    assert DigestLog.objects.filter(user=rep).count() == 1


def test_digest_leaves_out_done_activities(planned, rep):
    planned[0].done_at = at(6, 0)
    planned[0].save()

    services.digests_run(now=at(7, 0))

    assert "Overdue call" not in mail.outbox[0].body


def test_digest_of_one_user_does_not_list_anothers_activities(planned, rep, teammate):
    factories.ActivityFactory(deal=factories.DealFactory(owner=teammate), subject="Bob's call", due_at=at(11))

    services.digests_run(now=at(7, 0))

    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "Bob's call" not in by_recipient["alice@example.com"]
    assert "Bob's call" in by_recipient["bob@example.com"]


def test_unknown_time_zone_falls_back_to_the_installations(planned, rep):
    rep.time_zone = "Mars/Olympus"
    rep.save()

    services.digests_run(now=at(7, 0) + timedelta(minutes=1))

    assert len(mail.outbox) == 1


def test_digest_run_needs_no_query_per_user_already_done(planned, rep, teammate, django_assert_max_num_queries):
    services.digests_run(now=at(9, 0))

    # Expected: the users, the days handled, then the outbox: the claim transaction (a
    # savepoint inside the test's transaction) around one SELECT that finds nothing pending.
    with django_assert_max_num_queries(5):
        services.digests_run(now=at(9, 5))


# --- after downtime: no catch-up burst ------------------------------------------------------


def test_after_days_of_downtime_the_user_gets_one_digest_for_today_only(planned, rep):
    services.digests_run(now=at(7, 0, day=22))  # the last digest before the app stopped
    mail.outbox.clear()

    # Back on the 27th: the runs of the day (and a backlog of queued runs at once) send one digest.
    for minute in (0, 0, 0, 5, 10):
        services.digests_run(now=at(9, minute))
    services.digests_run(now=at(18, 0))

    assert len(mail.outbox) == 1
    assert "27/11/2026" in mail.outbox[0].subject
    # The missed days are not written as handled afterwards, and nothing is sent for them later.
    assert sorted(DigestLog.objects.filter(user=rep).values_list("date", flat=True)) == [
        at(0, day=22).date(),
        at(0).date(),
    ]


def test_after_downtime_the_one_digest_lists_what_became_overdue_meanwhile(planned, rep):
    factories.ActivityFactory(deal=planned[0].deal, subject="Missed while down", due_at=at(10, day=24))

    services.digests_run(now=at(9, 0))

    assert len(mail.outbox) == 1
    assert "1 today, 2 overdue" in mail.outbox[0].subject
    assert "Missed while down" in mail.outbox[0].body


def test_back_before_the_digest_hour_the_user_waits_for_todays(planned, rep):
    services.digests_run(now=at(3, 0))  # back at night: yesterday's digest is not sent late
    assert len(mail.outbox) == 0

    services.digests_run(now=at(7, 0))
    assert len(mail.outbox) == 1


def test_a_queued_digest_run_expires_before_the_next_one_is_due():
    from pipeline_crm.beat import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["activities-send-daily-digests"]
    assert entry["options"]["expires"] < entry["schedule"]


def test_the_digest_is_written_in_the_users_language(planned, rep):
    rep.language = "de"
    rep.save()

    services.digests_run(now=at(7, 0))

    assert mail.outbox[0].subject.startswith("Ihre Aktivitäten für 27.11.2026")

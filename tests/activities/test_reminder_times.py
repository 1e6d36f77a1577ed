"""A reminder time per activity (15 minutes, 1 hour, 1 day before; empty = the assignee's lead
time): the forms, the services and the reminder run."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, Notification
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_activity_reminds_a_day_before_when_asked(deal, now):
    activity = factories.ActivityFactory(deal=deal, due_at=now + timedelta(hours=23), remind_before_minutes=1440)
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(hours=23))  # the assignee's 15 minutes

    assert services.reminders_run(now=now)["claimed"] == 1
    assert Notification.objects.get().activity == activity


def test_an_activity_reminds_an_hour_before_although_the_assignee_takes_15_minutes(deal, now):
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(minutes=61), remind_before_minutes=60)

    assert services.reminders_run(now=now)["claimed"] == 0
    assert services.reminders_run(now=now + timedelta(minutes=1))["claimed"] == 1


def test_an_activitys_15_minutes_beat_the_assignees_longer_lead_time(deal, rep, now):
    rep.reminder_lead_minutes = 120
    rep.save()
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(minutes=30), remind_before_minutes=15)

    assert services.reminders_run(now=now)["claimed"] == 0
    assert services.reminders_run(now=now + timedelta(minutes=15))["claimed"] == 1


def test_without_its_own_time_an_activity_uses_the_assignees_lead_time(deal, rep, now):
    rep.reminder_lead_minutes = 45
    rep.save()
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(minutes=44))

    assert services.reminders_run(now=now)["claimed"] == 1


def test_the_reminder_query_is_one_statement_whatever_the_number_of_activities(deal, now, django_assert_num_queries):
    def run_with(count):
        Activity.objects.all().delete()
        for i in range(count):
            factories.ActivityFactory(deal=deal, due_at=now + timedelta(days=3, minutes=i), remind_before_minutes=60)
        # The claim's transaction: 1 savepoint, 2 the users' distinct lead times, 3 the due
        # activities (one statement, none due), 4 release; the outbox: 5 savepoint, 6 the
        # claimable e-mails (none), 7 release.
        with django_assert_num_queries(7):
            assert services.reminders_run(now=now) == {"claimed": 0, "sent": 0}

    run_with(2)
    run_with(30)


def test_changing_the_reminder_time_rearms_the_reminder(deal, rep, now):
    activity = factories.ActivityFactory(deal=deal, reminder_sent_at=now, remind_before_minutes=15)

    services.activity_update(activity_id=activity.pk, actor=rep, remind_before_minutes=1440)

    activity.refresh_from_db()
    assert activity.remind_before_minutes == 1440
    assert activity.reminder_sent_at is None


def test_saving_the_same_reminder_time_keeps_the_sent_reminder(deal, rep, now):
    activity = factories.ActivityFactory(deal=deal, reminder_sent_at=now, remind_before_minutes=60)

    services.activity_update(activity_id=activity.pk, actor=rep, remind_before_minutes=60, subject="Renamed")

    activity.refresh_from_db()
    assert activity.reminder_sent_at == now


# --- the forms ------------------------------------------------------------------------------


def _due(days=2):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(("posted", "stored"), [("60", 60), ("1440", 1440), ("", None)])
def test_planning_on_a_deal_stores_the_reminder_time(client, rep, deal, posted, stored):
    client.force_login(rep)
    response = client.post(
        reverse("activities:deal_panel", args=[deal.pk]),
        {"kind": "call", "subject": "Call", "due_at": _due(), "remind_before_minutes": posted},
        **HTMX,
    )
    assert response.status_code == 200
    assert Activity.objects.get().remind_before_minutes == stored


def test_the_plan_form_offers_the_reminder_times(client, rep, deal):
    client.force_login(rep)
    html = client.get(reverse("activities:deal_panel", args=[deal.pk]), **HTMX).content.decode()
    assert 'name="remind_before_minutes"' in html
    for value in ("15", "60", "1440"):
        assert f'<option value="{value}">' in html


def test_an_unknown_reminder_time_is_a_form_error(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        reverse("activities:deal_panel", args=[deal.pk]),
        {"kind": "call", "subject": "Call", "due_at": _due(), "remind_before_minutes": "7"},
        **HTMX,
    )
    assert response.status_code == 200
    assert not Activity.objects.exists()
    assert "errorlist" in response.content.decode()


def test_editing_sets_the_reminder_time_and_rearms_it(client, rep, deal, now):
    activity = factories.ActivityFactory(deal=deal, subject="Call", reminder_sent_at=now)
    client.force_login(rep)
    response = client.post(
        reverse("activities:edit", args=[activity.pk]),
        {"kind": "call", "subject": "Call", "due_at": _due(), "remind_before_minutes": "60"},
        **HTMX,
    )
    assert response.status_code == 200
    activity.refresh_from_db()
    assert (activity.remind_before_minutes, activity.reminder_sent_at) == (60, None)
    assert "1 hour before" in response.content.decode()


def test_logging_a_planned_activity_from_the_organization_page_keeps_its_reminder_time(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        reverse("organizations:log_activity", args=[deal.organization_id]),
        {
            "log-target": f"deal-{deal.pk}",
            "log-when": "plan",
            "log-kind": "meeting",
            "log-subject": "Workshop",
            "log-due_at": _due(),
            "log-remind_before_minutes": "1440",
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Activity.objects.get(subject="Workshop").remind_before_minutes == 1440

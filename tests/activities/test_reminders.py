from datetime import timedelta

from django.core import mail

from activities import services, tasks
from activities.models import Activity, Notification, OutgoingEmail
from tests import factories


def test_reminder_fires_when_due_minus_lead_time_has_come(due_activity, now):
    result = services.reminders_run(now=now)

    assert result == {"claimed": 1, "sent": 1}
    notification = Notification.objects.get()
    assert notification.user == due_activity.assignee
    assert notification.kind == Notification.Kind.REMINDER
    assert notification.deal == due_activity.deal
    assert "Call Acme" in notification.message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "Call Acme" in mail.outbox[0].subject


def test_reminder_waits_until_the_lead_time(deal, now):
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(minutes=16))

    assert services.reminders_run(now=now) == {"claimed": 0, "sent": 0}
    assert services.reminders_run(now=now + timedelta(minutes=1))["claimed"] == 1


def test_reminder_uses_the_assignees_own_lead_time(deal, rep, now):
    rep.reminder_lead_minutes = 60
    rep.save()
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(minutes=50))

    assert services.reminders_run(now=now)["claimed"] == 1


def test_reminder_lead_time_of_zero_fires_at_the_due_time(deal, rep, now):
    rep.reminder_lead_minutes = 0
    rep.save()
    factories.ActivityFactory(deal=deal, due_at=now + timedelta(minutes=1))

    assert services.reminders_run(now=now)["claimed"] == 0
    assert services.reminders_run(now=now + timedelta(minutes=1))["claimed"] == 1


def test_second_run_sends_nothing_again(due_activity, now):
    services.reminders_run(now=now)
    services.reminders_run(now=now + timedelta(minutes=1))

    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_task_delivered_twice_sends_one_reminder(due_activity):
    tasks.send_due_reminders.apply()
    tasks.send_due_reminders.apply()

    assert Notification.objects.filter(activity=due_activity).count() == 1
    assert len(mail.outbox) == 1


def test_done_activity_gets_no_reminder(due_activity, now):
    Activity.objects.filter(pk=due_activity.pk).update(done_at=now)

    assert services.reminders_run(now=now)["claimed"] == 0


def test_all_day_activity_gets_no_minute_reminder(deal, now):
    factories.ActivityFactory(deal=deal, due_at=now, all_day=True)

    assert services.reminders_run(now=now)["claimed"] == 0


def test_reminder_older_than_a_day_is_not_sent(deal, now):
    factories.ActivityFactory(deal=deal, due_at=now - timedelta(hours=25))

    assert services.reminders_run(now=now)["claimed"] == 0


def test_rescheduling_rearms_the_reminder(due_activity, now):
    services.reminders_run(now=now)
    services.activity_update(activity_id=due_activity.pk, actor=due_activity.assignee, due_at=now + timedelta(hours=2))

    assert services.reminders_run(now=now)["claimed"] == 0
    assert services.reminders_run(now=now + timedelta(hours=1, minutes=50))["claimed"] == 1
    assert Notification.objects.filter(activity=due_activity).count() == 2
    assert len(mail.outbox) == 2


def test_assignee_without_email_gets_only_the_notification(deal, rep, now):
    rep.email = ""
    rep.save()
    factories.ActivityFactory(deal=deal, due_at=now)

    assert services.reminders_run(now=now) == {"claimed": 1, "sent": 0}
    assert Notification.objects.count() == 1
    assert OutgoingEmail.objects.count() == 0


def test_lead_activity_reminder_names_the_lead(lead, now):
    factories.ActivityFactory(deal=None, lead=lead, subject="Qualify", due_at=now)

    services.reminders_run(now=now)

    notification = Notification.objects.get()
    assert notification.lead == lead
    assert "Lena Lange" in notification.message


def test_worker_dying_after_the_claim_is_retried_after_the_lease(due_activity, now, settings):
    services.reminders_claim_due(now=now)
    email = OutgoingEmail.objects.get()
    # A worker claims the e-mail and dies before sending it.
    assert services.email_claim(email_id=email.pk, now=now) is not None

    assert services.email_deliver_pending(now=now + timedelta(minutes=1)) == 0
    lease = timedelta(seconds=settings.CRM_EMAIL_CLAIM_LEASE_SECONDS)
    assert services.email_deliver_pending(now=now + lease + timedelta(seconds=1)) == 1
    assert services.email_deliver_pending(now=now + 2 * lease + timedelta(seconds=2)) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_a_stale_claim_cannot_mark_the_email_sent(due_activity, now, settings):
    services.reminders_claim_due(now=now)
    email = OutgoingEmail.objects.get()
    stale_token = services.email_claim(email_id=email.pk, now=now)
    lease = timedelta(seconds=settings.CRM_EMAIL_CLAIM_LEASE_SECONDS)
    fresh_token = services.email_claim(email_id=email.pk, now=now + lease + timedelta(seconds=1))

    assert services.email_send_claimed(email_id=email.pk, token=stale_token) is False
    assert services.email_send_claimed(email_id=email.pk, token=fresh_token) is True
    assert len(mail.outbox) == 1


def test_failed_delivery_is_retried_and_then_given_up(due_activity, now, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.activities.mail_backends.RefusingBackend"}}
    settings.CRM_EMAIL_MAX_ATTEMPTS = 2

    services.reminders_run(now=now)
    services.email_deliver_pending(now=now)

    email = OutgoingEmail.objects.get()
    assert email.sent_at is None
    assert email.failed_at is not None
    assert email.attempts == 2
    assert email.last_error


def test_claiming_one_reminder_twice_succeeds_once(due_activity, now):
    assert services.reminders._reminder_claim_one(due_activity.pk, now) is True
    assert services.reminders._reminder_claim_one(due_activity.pk, now) is False


def test_reminders_are_claimed_in_batches(deal, now):
    factories.ActivityFactory.create_batch(5, deal=deal, due_at=now)

    assert services.reminders_claim_due(now=now, batch_size=2) == 5
    assert Notification.objects.count() == 5

"""The follow-up rule "no reply from the customer for N days": an e-mail that went out on an open
deal with nothing after it in its thread for N days makes the rule's activity, once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities import services as activity_services
from activities import triggers
from activities.models import Activity, FollowUpRule
from deals.models import Deal
from mail.models import EmailMessage, Thread
from tests import factories

NOW = timezone.now()


@pytest.fixture
def rule(db):
    return factories.FollowUpRuleFactory(
        trigger=FollowUpRule.Trigger.EMAIL_NO_REPLY, idle_days=3, subject_template="Nachfassen: {deal}", due_in_days=1
    )


@pytest.fixture
def deal(rep):
    return factories.DealFactory(owner=rep, title="Rollout Nord")


def email(owner, *, deal, days_ago, direction="out", thread=None, delivery="sent", in_reply_to="", message_id=None):
    return EmailMessage.objects.create(
        owner=owner,
        source="crm" if direction == "out" else "inbox",
        message_id=message_id or f"<{direction}-{days_ago}-{EmailMessage.objects.count()}@x>",
        direction=direction,
        subject="Angebot",
        sent_at=NOW - timedelta(days=days_ago),
        deal=deal,
        thread=thread,
        delivery=delivery if direction == "out" else "received",
        in_reply_to=in_reply_to,
    )


def test_the_trigger_is_registered_by_the_mail_app():
    assert FollowUpRule.Trigger.EMAIL_NO_REPLY in triggers.registered()


def test_an_unanswered_email_after_n_days_makes_one_activity_for_the_deal_owner(rule, rep, deal):
    sent = email(rep, deal=deal, days_ago=4)

    assert activity_services.rules_apply(now=NOW) == 1
    assert activity_services.rules_apply(now=NOW) == 0, "once per e-mail"

    activity = Activity.objects.get()
    assert (activity.deal, activity.assignee, activity.subject) == (deal, rep, "Nachfassen: Rollout Nord")
    assert rule.firings.get().occurrence == f"email:{sent.pk}:no_reply"


def test_an_email_younger_than_n_days_waits(rule, rep, deal):
    email(rep, deal=deal, days_ago=2)
    assert activity_services.rules_apply(now=NOW) == 0


def test_a_reply_in_the_thread_ends_the_wait(rule, rep, deal):
    thread = Thread.objects.create(owner=rep, subject="Angebot")
    email(rep, deal=deal, days_ago=5, thread=thread)
    email(rep, deal=deal, days_ago=4, thread=thread, direction="in")
    assert activity_services.rules_apply(now=NOW) == 0


def test_a_reply_by_its_headers_ends_the_wait_before_threading(rule, rep, deal):
    sent = email(rep, deal=deal, days_ago=5, message_id="<offer@crm.test>")
    email(rep, deal=None, days_ago=4, direction="in", in_reply_to=sent.message_id)
    assert activity_services.rules_apply(now=NOW) == 0


def test_writing_again_starts_a_new_wait_from_the_last_email(rule, rep, deal):
    thread = Thread.objects.create(owner=rep, subject="Angebot")
    email(rep, deal=deal, days_ago=6, thread=thread)
    last = email(rep, deal=deal, days_ago=1, thread=thread)
    assert activity_services.rules_apply(now=NOW) == 0
    assert activity_services.rules_apply(now=NOW + timedelta(days=3)) == 1
    assert rule.firings.get().occurrence == f"email:{last.pk}:no_reply"


def test_failed_emails_and_closed_deals_do_not_count(rule, rep, deal):
    email(rep, deal=deal, days_ago=5, delivery="failed")
    won = factories.DealFactory(owner=rep, status=Deal.Status.WON, won_at=NOW)
    email(rep, deal=won, days_ago=5)
    assert activity_services.rules_apply(now=NOW) == 0


def test_the_rule_needs_its_number_of_days(db):
    rule = FollowUpRule(name="x", trigger=FollowUpRule.Trigger.EMAIL_NO_REPLY, subject_template="x")
    with pytest.raises(ValidationError, match="number of days"):
        rule.full_clean()

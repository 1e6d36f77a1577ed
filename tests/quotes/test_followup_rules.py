"""Follow-up rules on quotes: not viewed, viewed but not answered, expiring — each once per quote,
only while the quote is still sent (docs/quotes.md)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from activities import services as activity_services
from activities import triggers
from activities.models import Activity, FollowUpRule, Notification, RuleFiring
from deals.models import Deal
from quotes import followup, public
from quotes.models import Quote
from quotes.services import hash_token
from tests import factories
from tests.quotes.followup_quotes import sent_quote

Trigger = FollowUpRule.Trigger
# 10:00 in Berlin: the tests' clock, passed to every service.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def only_the_rules_of_the_test(db):
    FollowUpRule.objects.update(is_active=False)


@pytest.fixture
def deal(rep):
    return factories.DealFactory(owner=rep, title="Acme rollout")


def make_rule(trigger, days, **fields):
    fields.setdefault("subject_template", "Quote {quote} on {deal}")
    return factories.FollowUpRuleFactory(trigger=trigger, idle_days=days, activity_kind="call", due_in_days=1, **fields)


def follow_ups(deal):
    return list(Activity.objects.filter(deal=deal, rule__isnull=False).order_by("id"))


# --- not viewed ------------------------------------------------------------------------------


def test_quote_not_viewed_after_n_days_creates_one_call_for_the_owner(deal, rep):
    rule = make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=3, minutes=1))

    assert activity_services.rules_apply(now=NOW) == 1
    assert activity_services.rules_apply(now=NOW + timedelta(days=1)) == 0

    [activity] = follow_ups(deal)
    assert (activity.assignee, activity.kind, activity.rule) == (rep, "call", rule)
    assert activity.subject == f"Quote {quote.display_number} on Acme rollout"
    assert activity.due_at == NOW + timedelta(days=1)
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.occurrence == f"quote:{quote.pk}:not_viewed"
    assert firing.occurred_at == quote.sent_at + timedelta(days=3)


def test_quote_sent_less_than_n_days_ago_is_not_followed_up_yet(deal):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    sent_quote(deal, sent_at=NOW - timedelta(days=2, hours=23))

    assert activity_services.rules_apply(now=NOW) == 0
    assert follow_ups(deal) == []


def test_openings_flagged_as_mail_scanners_do_not_count_as_viewed(deal):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=4))
    public.quote_record_view(quote, user_agent="Mimecast URL Protect", now=quote.sent_at + timedelta(seconds=5))
    public.quote_record_view(quote, user_agent="Mozilla/5.0", now=quote.sent_at + timedelta(seconds=3))
    quote.refresh_from_db()
    assert quote.first_viewed_at is None and quote.views.count() == 2

    assert activity_services.rules_apply(now=NOW) == 1


def test_a_quote_the_customer_viewed_is_not_followed_up_as_not_viewed(deal):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=4))
    public.quote_record_view(quote, user_agent="Mozilla/5.0 (X11; Linux x86_64)", now=NOW - timedelta(days=3))

    assert activity_services.rules_apply(now=NOW) == 0


# --- viewed, not answered -----------------------------------------------------------------------


def test_quote_viewed_but_not_answered_fires_n_days_after_the_first_view(deal):
    rule = make_rule(Trigger.QUOTE_NOT_ANSWERED, 5)
    first_view = NOW - timedelta(days=5)
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=9), first_viewed_at=first_view + timedelta(minutes=1))

    assert activity_services.rules_apply(now=NOW) == 0
    assert activity_services.rules_apply(now=NOW + timedelta(minutes=1)) == 1
    assert activity_services.rules_apply(now=NOW + timedelta(days=3)) == 0

    firing = RuleFiring.objects.get(rule=rule)
    assert firing.occurrence == f"quote:{quote.pk}:not_answered"
    assert firing.occurred_at == quote.first_viewed_at + timedelta(days=5)


def test_quote_never_viewed_is_not_followed_up_as_unanswered(deal):
    make_rule(Trigger.QUOTE_NOT_ANSWERED, 5)
    sent_quote(deal, sent_at=NOW - timedelta(days=20))

    assert activity_services.rules_apply(now=NOW) == 0


# --- expiring ---------------------------------------------------------------------------------


def test_quote_expiring_in_n_days_fires_once(deal):
    make_rule(Trigger.QUOTE_EXPIRING, 3)
    today = datetime(2026, 12, 7).date()
    due = sent_quote(deal, sent_at=NOW - timedelta(days=20), valid_until=today + timedelta(days=3))
    sent_quote(deal, sent_at=NOW - timedelta(days=20), valid_until=today + timedelta(days=4))

    assert activity_services.rules_apply(now=NOW) == 1
    assert activity_services.rules_apply(now=NOW + timedelta(days=1)) == 1  # the second one, a day later
    assert activity_services.rules_apply(now=NOW + timedelta(days=2)) == 0
    assert RuleFiring.objects.filter(occurrence=f"quote:{due.pk}:expiring").count() == 1


def test_quote_expiring_today_fires_and_an_expired_one_does_not(deal):
    make_rule(Trigger.QUOTE_EXPIRING, 0)
    today = datetime(2026, 12, 7).date()
    last_day = sent_quote(deal, sent_at=NOW - timedelta(days=20), valid_until=today)
    sent_quote(deal, sent_at=NOW - timedelta(days=20), valid_until=today - timedelta(days=1))

    assert activity_services.rules_apply(now=NOW) == 1
    assert RuleFiring.objects.get().occurrence == f"quote:{last_day.pk}:expiring"


def test_expiring_counts_days_in_the_installations_time_zone(deal):
    make_rule(Trigger.QUOTE_EXPIRING, 3)
    # 23:30 UTC on 6 December is already 7 December in Berlin: 10 December is 3 days ahead there.
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    sent_quote(deal, sent_at=late - timedelta(days=20), valid_until=datetime(2026, 12, 10).date())

    assert activity_services.rules_apply(now=late - timedelta(hours=1)) == 0  # 23:30 on the 6th in Berlin
    assert activity_services.rules_apply(now=late) == 1


# --- only quotes still sent, of open deals ------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [Quote.State.ACCEPTED, Quote.State.DECLINED, Quote.State.EXPIRED, Quote.State.SUPERSEDED, Quote.State.CANCELLED],
)
def test_a_quote_no_longer_sent_is_not_followed_up(deal, state):
    for trigger in (Trigger.QUOTE_NOT_VIEWED, Trigger.QUOTE_NOT_ANSWERED, Trigger.QUOTE_EXPIRING):
        make_rule(trigger, 3)
    sent_quote(deal, sent_at=NOW - timedelta(days=10), valid_for_days=12, state=state)
    sent_quote(
        deal, sent_at=NOW - timedelta(days=10), valid_for_days=12, first_viewed_at=NOW - timedelta(days=9), state=state
    )

    assert activity_services.rules_apply(now=NOW) == 0


def test_a_quote_the_customer_declined_is_not_followed_up(deal):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=4))
    Quote.objects.filter(pk=quote.pk).update(token_hash=hash_token("the-customers-link"))
    public.quote_decline("the-customers-link", name="Clara Kunde", reason="Too expensive", now=NOW - timedelta(hours=1))

    assert activity_services.rules_apply(now=NOW) == 0


def test_quotes_of_closed_deals_are_not_followed_up(deal):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    sent_quote(deal, sent_at=NOW - timedelta(days=4))
    Deal.objects.filter(pk=deal.pk).update(status=Deal.Status.WON, won_at=NOW)

    assert activity_services.rules_apply(now=NOW) == 0


def test_each_rule_fires_once_per_quote_and_each_quote_on_its_own(deal, rep):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    make_rule(Trigger.QUOTE_NOT_VIEWED, 7, action=FollowUpRule.Action.NOTIFY)
    first = sent_quote(deal, sent_at=NOW - timedelta(days=8))
    second = sent_quote(deal, sent_at=NOW - timedelta(days=4))

    assert activity_services.rules_apply(now=NOW) == 3
    assert activity_services.rules_apply(now=NOW) == 0
    assert sorted(a.subject for a in follow_ups(deal)) == sorted(
        f"Quote {q.display_number} on Acme rollout" for q in (first, second)
    )
    assert Notification.objects.filter(user=rep, message=f"Quote {first.display_number} on Acme rollout").count() == 1


def test_an_inactive_owner_consumes_the_occurrence_without_an_activity(deal, rep):
    make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    sent_quote(deal, sent_at=NOW - timedelta(days=4))
    rep.is_active = False
    rep.save(update_fields=["is_active"])

    assert activity_services.rules_apply(now=NOW) == 1
    assert follow_ups(deal) == []
    assert RuleFiring.objects.count() == 1


# --- set-based reading --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "matching"),
    [
        (Trigger.QUOTE_NOT_VIEWED, {}),
        (Trigger.QUOTE_NOT_ANSWERED, {"first_viewed_at": NOW - timedelta(days=6)}),
        (Trigger.QUOTE_EXPIRING, {"valid_until": datetime(2026, 12, 8).date()}),
    ],
)
def test_each_trigger_reads_its_matches_in_one_query_at_any_size(rep, trigger, matching):
    rule = make_rule(trigger, 3)

    def grow(n):
        for _ in range(n):
            deal = factories.DealFactory(owner=rep)
            sent_quote(deal, sent_at=NOW - timedelta(days=10), **matching)  # matches
            sent_quote(deal, sent_at=NOW - timedelta(hours=1), valid_for_days=30, first_viewed_at=NOW)  # does not

    def read():
        with CaptureQueriesContext(connection) as captured:
            found = list(activity_services.rule_occurrences(rule=rule, now=NOW))
        return found, len(captured)

    grow(2)
    small, small_queries = read()
    activity_services.rule_fire(rule=rule, occurrence=small[0], now=NOW)
    grow(20)
    large, large_queries = read()
    # One query: the sent quotes of open deals matching the trigger, without those the rule fired
    # for (EXISTS on its firings), with their deals, owners, organizations and stages.
    assert small_queries == large_queries == 1
    assert (len(small), len(large)) == (2, 21)
    assert {o["deal"].owner for o in large} == {rep}


# --- the rule: N is required -------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", FollowUpRule.NEEDS_DAYS)
def test_a_quote_rule_without_days_is_refused(trigger):
    rule = FollowUpRule(name="No days", trigger=trigger, subject_template="Follow up on {quote}")

    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict == {"idle_days": ["Enter the number of days (N) for this trigger."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        rule.save()


def test_the_admin_refuses_a_quote_rule_without_days_and_saves_one_with_them(client, admin):
    client.force_login(admin)
    data = {
        "name": "Quote not viewed",
        "is_active": "on",
        "trigger": Trigger.QUOTE_NOT_VIEWED,
        "idle_days": "",
        "lead_source": "",
        "action": "create_activity",
        "activity_kind": "call",
        "subject_template": "Call about quote {quote}",
        "due_in_days": "0",
        "created_at_0": "2026-12-07",
        "created_at_1": "10:00:00",
    }
    response = client.post("/admin/activities/followuprule/add/", data)
    assert response.status_code == 200
    assert "Enter the number of days (N) for this trigger." in response.content.decode()

    response = client.post("/admin/activities/followuprule/add/", {**data, "idle_days": "3"})
    assert response.status_code == 302
    assert FollowUpRule.objects.get(name="Quote not viewed").idle_days == 3


# --- the registry and the default rules ----------------------------------------------------------


def test_the_quotes_app_registers_its_six_triggers():
    assert {
        Trigger.QUOTE_NOT_VIEWED: followup.not_viewed_occurrences,
        Trigger.QUOTE_NOT_ANSWERED: followup.not_answered_occurrences,
        Trigger.QUOTE_EXPIRING: followup.expiring_occurrences,
    } == {
        trigger: triggers.occurrences_for(trigger)
        for trigger in FollowUpRule.NEEDS_DAYS
        # the mail app's (tests/mail/test_no_reply_trigger.py); the built-in deal_lost_after
        if trigger not in (Trigger.EMAIL_NO_REPLY, Trigger.DEAL_LOST_AFTER)
    }
    # The moments (tests/nurturing/test_rules_and_retargeting.py).
    for trigger in (Trigger.QUOTE_SENT, Trigger.QUOTE_VIEWED, Trigger.QUOTE_DECLINED):
        assert triggers.occurrences_for(trigger) is followup.event_occurrences


def test_a_trigger_nobody_registered_matches_nothing(deal, monkeypatch):
    rule = make_rule(Trigger.QUOTE_NOT_VIEWED, 3)
    sent_quote(deal, sent_at=NOW - timedelta(days=4))
    monkeypatch.setattr(triggers, "_occurrences", {})

    assert list(activity_services.rule_occurrences(rule=rule, now=NOW)) == []
    assert activity_services.rules_apply(now=NOW) == 0


def test_a_trigger_is_registered_once():
    with pytest.raises(ValueError, match="registered already"):
        triggers.register(Trigger.QUOTE_EXPIRING, lambda rule, now: [])
    triggers.register(Trigger.QUOTE_EXPIRING, followup.expiring_occurrences)  # the same again is harmless


def test_default_quote_rules_come_from_the_data_migration():
    rules = {
        rule.trigger: (rule.idle_days, rule.activity_kind, rule.due_in_days, rule.subject_template)
        # the nurturing app's retargeting rules are its own (tests/nurturing/test_rules_and_retargeting.py)
        for rule in FollowUpRule.objects.filter(trigger__in=FollowUpRule.NEEDS_DAYS).exclude(
            name__startswith="Retargeting"
        )
    }
    assert rules == {
        Trigger.QUOTE_NOT_VIEWED: (3, "call", 0, "Quote {quote} not opened yet: call about {deal}"),
        Trigger.QUOTE_NOT_ANSWERED: (5, "follow_up", 0, "Follow up on quote {quote} for {deal}"),
        Trigger.QUOTE_EXPIRING: (3, "follow_up", 0, "Quote {quote} expires soon: follow up on {deal}"),
    }


def test_the_apps_below_quotes_do_not_import_it():
    """activities offers the registry; the quotes app registers (docs/architecture.md)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app in ("accounts", "audit", "customers", "leads", "deals", "activities"):
        for path in (root / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                if any(name.split(".")[0] == "quotes" for name in names):
                    offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_the_quote_placeholder_is_empty_for_other_triggers(deal, rep):
    assert activity_services.rule_render_subject("Call {deal}{quote}", deal=deal, owner=rep) == "Call Acme rollout"

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from activities import services
from activities.models import Activity, FollowUpRule, Kind, Notification, RuleFiring
from deals.models import Deal, StageChange
from leads.models import Lead
from tests import factories
from tests.activities.conftest import record_change

Trigger, Action = FollowUpRule.Trigger, FollowUpRule.Action


@pytest.fixture(autouse=True)
def _only_the_rules_of_each_test(db):
    FollowUpRule.objects.all().delete()  # the default rules have their own test


@pytest.fixture
def working_now():
    """A Tuesday at 10:00 in Berlin (the installation's zone), with no daylight-saving change in
    the next 90 days: rule-made activities keep their time of day (rule_due_at)."""
    return datetime(2026, 6, 9, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def proposal_stage(stages):
    return stages[4]


def rule(**kwargs):
    kwargs.setdefault("created_at", timezone.now() - timedelta(days=365))
    return factories.FollowUpRuleFactory(**kwargs)


def test_stage_entered_creates_the_follow_up_for_the_owner(rep, stages, proposal_stage, working_now):
    now = working_now
    deal = factories.DealFactory(owner=rep, stage=stages[3], title="Acme rollout")
    rule(
        trigger=Trigger.STAGE_ENTERED,
        stage=proposal_stage,
        subject_template="Follow up on the proposal for {deal} ({organization})",
        activity_kind=Kind.FOLLOW_UP,
        due_in_days=3,
    )
    change = record_change(deal, StageChange.Kind.MOVED, from_stage=stages[3], to_stage=proposal_stage, at=now)

    assert services.rules_apply(now=now) == 1

    activity = Activity.objects.get()
    assert activity.assignee == rep
    assert activity.deal == deal
    assert activity.kind == Kind.FOLLOW_UP
    assert activity.subject == f"Follow up on the proposal for Acme rollout ({deal.organization.name})"
    assert activity.due_at == change.at + timedelta(days=3)
    assert activity.rule is not None


def test_stage_entered_ignores_moves_to_other_stages(rep, stages, proposal_stage, now):
    deal = factories.DealFactory(owner=rep, stage=stages[2])
    rule(trigger=Trigger.STAGE_ENTERED, stage=proposal_stage)
    record_change(deal, StageChange.Kind.MOVED, from_stage=stages[2], to_stage=stages[3], at=now)

    assert services.rules_apply(now=now) == 0


def test_stage_entered_fires_for_a_deal_created_in_the_stage_by_import(rep, proposal_stage, now):
    rule(trigger=Trigger.STAGE_ENTERED, stage=proposal_stage)
    factories.DealFactory(owner=rep, stage=proposal_stage)  # writes its "created" history row

    assert services.rules_apply(now=now) == 1


def test_rule_does_not_fire_for_history_older_than_the_rule(rep, proposal_stage, now):
    factories.DealFactory(owner=rep, stage=proposal_stage)
    factories.FollowUpRuleFactory(trigger=Trigger.STAGE_ENTERED, stage=proposal_stage, created_at=now + timedelta(1))

    assert services.rules_apply(now=now) == 0


def test_won_creates_the_post_sale_activities(rep, working_now):
    now = working_now
    deal = factories.DealFactory(owner=rep)
    rule(trigger=Trigger.DEAL_WON, subject_template="Post-sale check-in: {deal}", due_in_days=14)
    rule(trigger=Trigger.DEAL_WON, subject_template="Ask for feedback", due_in_days=30)
    won = record_change(deal, StageChange.Kind.WON, at=now)

    assert services.rules_apply(now=now) == 2

    due = sorted(Activity.objects.values_list("due_at", flat=True))
    assert due == [won.at + timedelta(days=14), won.at + timedelta(days=30)]


def test_won_rule_skips_a_deal_reopened_since(rep, now):
    deal = factories.DealFactory(owner=rep)
    rule(trigger=Trigger.DEAL_WON)
    record_change(deal, StageChange.Kind.WON, at=now)
    Deal.objects.filter(pk=deal.pk).update(status="open", won_at=None)

    assert services.rules_apply(now=now) == 0


def test_lost_creates_the_re_engage_activity(rep, working_now):
    now = working_now
    deal = factories.DealFactory(owner=rep)
    rule(trigger=Trigger.DEAL_LOST, subject_template="Re-engage {deal}", due_in_days=90)
    lost = record_change(deal, StageChange.Kind.LOST, at=now)

    services.rules_apply(now=now)

    activity = Activity.objects.get()
    assert activity.subject == f"Re-engage {deal.title}"
    assert activity.due_at == lost.at + timedelta(days=90)


def test_won_deal_does_not_fire_the_lost_rule(rep, now):
    deal = factories.DealFactory(owner=rep)
    rule(trigger=Trigger.DEAL_LOST)
    record_change(deal, StageChange.Kind.WON, at=now)

    assert services.rules_apply(now=now) == 0


def test_deal_idle_uses_the_stages_rotting_days_by_default(rep, stages, now):
    deal = factories.DealFactory(owner=rep, stage=stages[0])  # Prospecting rots after 14 days
    rule(trigger=Trigger.DEAL_IDLE, subject_template="Stuck: {deal} in {stage}", due_in_days=0)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=now - timedelta(days=13))
    assert services.rules_apply(now=now) == 0

    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=now - timedelta(days=15))
    assert services.rules_apply(now=now) == 1
    assert Activity.objects.get().subject == f"Stuck: {deal.title} in Prospecting"


def test_deal_idle_honours_the_rules_own_days_and_stage(rep, stages, now):
    in_stage = factories.DealFactory(owner=rep, stage=stages[1])
    elsewhere = factories.DealFactory(owner=rep, stage=stages[2])
    Deal.objects.filter(pk__in=[in_stage.pk, elsewhere.pk]).update(stage_entered_at=now - timedelta(days=4))
    rule(trigger=Trigger.DEAL_IDLE, stage=stages[1], idle_days=3)

    assert services.rules_apply(now=now) == 1
    assert Activity.objects.get().deal == in_stage


def test_deal_idle_fires_again_only_after_a_new_idle_period(rep, stages, now):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=now - timedelta(days=20))
    rule(trigger=Trigger.DEAL_IDLE, idle_days=5)
    assert services.rules_apply(now=now) == 1
    assert services.rules_apply(now=now + timedelta(days=1)) == 0

    Deal.objects.filter(pk=deal.pk).update(last_activity_at=now)  # somebody called the customer
    assert services.rules_apply(now=now + timedelta(days=4)) == 0
    assert services.rules_apply(now=now + timedelta(days=6)) == 1


def test_deal_idle_ignores_closed_deals(rep, stages, now):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=now - timedelta(days=30))
    record_change(deal, StageChange.Kind.WON, at=now)
    rule(trigger=Trigger.DEAL_IDLE, idle_days=5)

    assert services.rules_apply(now=now) == 0


def test_lead_idle_in_nurturing_fires_after_n_days(rep, now):
    lead = factories.LeadFactory(owner=rep, status=Lead.Status.NURTURING, last_name="Lange")
    Lead.objects.filter(pk=lead.pk).update(status_changed_at=now - timedelta(days=15))
    other = factories.LeadFactory(owner=rep, status=Lead.Status.CONTACTED)
    Lead.objects.filter(pk=other.pk).update(status_changed_at=now - timedelta(days=30))
    rule(trigger=Trigger.LEAD_IDLE, idle_days=14, subject_template="Nurture {lead}")

    assert services.rules_apply(now=now) == 1

    activity = Activity.objects.get()
    assert activity.lead == lead
    assert activity.subject == f"Nurture {lead.full_name}"
    assert activity.assignee == rep


def test_lead_idle_counts_from_the_last_touch(rep, now):
    lead = factories.LeadFactory(owner=rep, status=Lead.Status.NURTURING)
    Lead.objects.filter(pk=lead.pk).update(
        status_changed_at=now - timedelta(days=30), last_touch_at=now - timedelta(days=5)
    )
    rule(trigger=Trigger.LEAD_IDLE, idle_days=14)

    assert services.rules_apply(now=now) == 0


def test_lead_created_from_source_fires_only_for_that_source(rep, now):
    rule(trigger=Trigger.LEAD_CREATED, lead_source=Lead.Source.TRADE_FAIR, subject_template="Call {lead} from the fair")
    fair = factories.LeadFactory(owner=rep, source=Lead.Source.TRADE_FAIR)
    factories.LeadFactory(owner=rep, source=Lead.Source.WEB_FORM)

    assert services.rules_apply(now=now) == 1
    assert Activity.objects.get().lead == fair


def test_notify_action_notifies_the_owner(rep, now):
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    rule(trigger=Trigger.DEAL_WON, action=Action.NOTIFY, subject_template="{owner}: {deal} was won")
    record_change(deal, StageChange.Kind.WON, at=now)

    services.rules_apply(now=now)

    notification = Notification.objects.get()
    assert notification.user == rep
    assert notification.deal == deal
    assert notification.kind == Notification.Kind.RULE
    assert notification.message == "Alice Adams: Acme rollout was won"
    assert not Activity.objects.exists()


def test_running_the_engine_twice_creates_nothing_new(rep, stages, proposal_stage, now):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=now - timedelta(days=30))
    rule(trigger=Trigger.STAGE_ENTERED, stage=proposal_stage)
    rule(trigger=Trigger.DEAL_IDLE)
    rule(trigger=Trigger.DEAL_WON, action=Action.NOTIFY)
    rule(trigger=Trigger.LEAD_CREATED)
    factories.DealFactory(owner=rep, stage=proposal_stage)
    record_change(factories.DealFactory(owner=rep), StageChange.Kind.WON, at=now)
    factories.LeadFactory(owner=rep)
    assert services.rules_apply(now=now) == 4

    assert services.rules_apply(now=now) == 0
    assert Activity.objects.count() == 3
    assert Notification.objects.count() == 1
    assert RuleFiring.objects.count() == 4


def test_a_concurrent_firing_of_the_same_occurrence_does_nothing(rep, now):
    deal = factories.DealFactory(owner=rep)
    won_rule = rule(trigger=Trigger.DEAL_WON)
    record_change(deal, StageChange.Kind.WON, at=now)
    occurrence = next(iter(services.rule_occurrences(rule=won_rule, now=now)))

    assert services.rule_fire(rule=won_rule, occurrence=occurrence, now=now) is not None
    assert services.rule_fire(rule=won_rule, occurrence=occurrence, now=now) is None
    assert Activity.objects.count() == 1


def test_inactive_rule_does_not_fire(rep, now):
    rule(trigger=Trigger.DEAL_WON, is_active=False)
    record_change(factories.DealFactory(owner=rep), StageChange.Kind.WON, at=now)

    assert services.rules_apply(now=now) == 0


def test_rule_activity_does_not_reset_rotting_but_refreshes_the_board(rep, now):
    deal = factories.DealFactory(owner=rep)
    before = Deal.objects.get(pk=deal.pk).updated_at
    rule(trigger=Trigger.DEAL_WON)
    record_change(deal, StageChange.Kind.WON, at=now)

    services.rules_apply(now=now)

    deal.refresh_from_db()
    assert deal.last_activity_at is None
    assert deal.updated_at > before


def test_subject_template_cannot_reach_attributes(rep, now):
    deal = factories.DealFactory(owner=rep, title="Acme")

    subject = services.rule_render_subject("{deal.__class__} {unknown} {deal}", deal=deal, owner=rep)

    assert subject == "{deal.__class__} {unknown} Acme"

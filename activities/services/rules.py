"""Follow-up rules: find their occurrences and fire each once (guarded by a unique constraint)."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts import localization
from activities import actions, lead_and_deal_triggers, subjects, triggers
from activities.models import Activity, FollowUpRule, Notification, RuleFiring
from activities.services import common
from audit import context as audit_context
from deals.models import Deal, Stage, StageChange
from leads.models import Lead

# Default idle days of the "lead idle in nurturing" trigger when the rule leaves it empty.
LEAD_IDLE_DEFAULT_DAYS = 14


def rule_due_at(*, assignee, base, days, now):
    """When a rule-made activity is due: `days` calendar days after `base` at the same wall-clock
    time in the assignee's zone (not before `now`: a late run makes nothing overdue at once),
    moved to the start of the assignee's next working day when that falls outside their
    working hours or on a weekend (accounts.localization.next_working_time)."""
    tz = localization.user_time_zone(assignee)
    local = base.astimezone(tz)
    target = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=tz)
    return localization.next_working_time(assignee, max(target, now))


def rule_render_subject(template, *, deal=None, lead=None, owner=None, extra=None):
    """Fill the placeholders of activities.subjects ({deal}, {organization}, {lead}, {stage}, {owner},
    and those a registered trigger gives in `extra`, such as {quote}; empty when not given).

    A plain substitution, not str.format: an admin-written template cannot reach attributes.
    """
    values = {
        "deal": deal.title if deal else "",
        "organization": str(deal.organization)
        if deal and deal.organization_id
        else (lead.company_name if lead else ""),
        "lead": lead.full_name if lead else "",
        "stage": deal.stage.name if deal else "",
        "owner": str(owner) if owner else "",
    }
    values.update({name: "" for name in subjects.PLACEHOLDERS if name not in values})
    values.update({name: str(value) for name, value in (extra or {}).items() if name in subjects.PLACEHOLDERS})
    return subjects.fill(template, values)[:200]


def _event_occurrences(rule):
    """Stage changes after the rule was created that match its trigger and have not fired it."""
    changes = StageChange.objects.filter(at__gte=rule.created_at).exclude(
        Exists(RuleFiring.objects.filter(rule=rule, stage_change=OuterRef("pk")))
    )
    if rule.trigger == FollowUpRule.Trigger.STAGE_ENTERED:
        changes = changes.filter(
            Q(kind=StageChange.Kind.CREATED) | Q(kind=StageChange.Kind.MOVED) & ~Q(from_stage=rule.stage),
            to_stage=rule.stage,
            deal__status=Deal.Status.OPEN,
        )
    elif rule.trigger == FollowUpRule.Trigger.DEAL_WON:
        changes = changes.filter(kind=StageChange.Kind.WON, deal__status=Deal.Status.WON)
    else:
        changes = changes.filter(kind=StageChange.Kind.LOST, deal__status=Deal.Status.LOST)
    changes = changes.select_related("deal__owner", "deal__organization", "deal__stage").order_by("at", "id")
    for change in changes[:1000]:
        yield {
            "occurrence": f"stagechange:{change.pk}",
            "stage_change": change,
            "deal": change.deal,
            "lead": None,
            "owner": change.deal.owner,
            "occurred_at": change.at,
            "due_base": change.at,
        }


def _deal_idle_occurrences(rule, now):
    """Open deals idle in their stage (no activity since entering it) for more than N days.

    One occurrence per idle period: an activity starts a new period.
    """
    stages = [rule.stage] if rule.stage_id else None
    if stages is None:
        stages = list(Stage.objects.all())
    for stage in stages:
        days = rule.idle_days or stage.rotting_days
        if not days:
            continue
        deals = (
            Deal.objects.filter(stage=stage, status=Deal.Status.OPEN)
            .annotate(idle_since=Greatest("stage_entered_at", Coalesce("last_activity_at", "stage_entered_at")))
            .filter(idle_since__lt=now - timedelta(days=days))
            .exclude(
                Exists(RuleFiring.objects.filter(rule=rule, deal=OuterRef("pk"), occurred_at=OuterRef("idle_since")))
            )
            .select_related("owner", "organization", "stage")
            .order_by("id")
        )
        for deal in deals[:1000]:
            yield {
                "occurrence": f"deal-idle:{deal.pk}:{deal.idle_since.timestamp():.6f}",
                "stage_change": None,
                "deal": deal,
                "lead": None,
                "owner": deal.owner,
                "occurred_at": deal.idle_since,
                "due_base": now,
            }


def _lead_idle_occurrences(rule, now):
    days = rule.idle_days or LEAD_IDLE_DEFAULT_DAYS
    idle_since = Greatest("status_changed_at", Coalesce("last_touch_at", "status_changed_at"))
    leads = (
        Lead.objects.filter(status=Lead.Status.NURTURING)
        .annotate(idle_since=idle_since)
        .filter(idle_since__lt=now - timedelta(days=days))
        .exclude(Exists(RuleFiring.objects.filter(rule=rule, lead=OuterRef("pk"), occurred_at=OuterRef("idle_since"))))
        .select_related("owner")
        .order_by("id")
    )
    for lead in leads[:1000]:
        yield {
            "occurrence": f"lead-idle:{lead.pk}:{lead.idle_since.timestamp():.6f}",
            "stage_change": None,
            "deal": None,
            "lead": lead,
            "owner": lead.owner,
            "occurred_at": lead.idle_since,
            "due_base": now,
        }


def _lead_created_occurrences(rule):
    leads = Lead.objects.filter(created_at__gte=rule.created_at).exclude(
        Exists(RuleFiring.objects.filter(rule=rule, lead=OuterRef("pk")))
    )
    if rule.lead_source:
        leads = leads.filter(source=rule.lead_source)
    for lead in leads.select_related("owner").order_by("created_at", "id")[:1000]:
        yield {
            "occurrence": f"lead:{lead.pk}",
            "stage_change": None,
            "deal": None,
            "lead": lead,
            "owner": lead.owner,
            "occurred_at": lead.created_at,
            "due_base": lead.created_at,
        }


def rule_occurrences(*, rule, now):
    """What the rule's trigger matched that it has not fired for yet."""
    trigger = rule.trigger
    if trigger in (FollowUpRule.Trigger.STAGE_ENTERED, FollowUpRule.Trigger.DEAL_WON, FollowUpRule.Trigger.DEAL_LOST):
        if trigger == FollowUpRule.Trigger.STAGE_ENTERED and not rule.stage_id:
            return []
        return _event_occurrences(rule)
    if trigger == FollowUpRule.Trigger.DEAL_IDLE:
        return _deal_idle_occurrences(rule, now)
    if trigger == FollowUpRule.Trigger.LEAD_IDLE:
        return _lead_idle_occurrences(rule, now)
    if trigger == FollowUpRule.Trigger.LEAD_CREATED:
        return _lead_created_occurrences(rule)
    if trigger == FollowUpRule.Trigger.WEB_FORM_SUBMITTED:
        return lead_and_deal_triggers.web_form_occurrences(rule)
    if trigger == FollowUpRule.Trigger.DEAL_LOST_AFTER:
        return lead_and_deal_triggers.deal_lost_after_occurrences(rule, now)
    occurrences = triggers.occurrences_for(trigger)  # provided by an app above (activities.triggers)
    if occurrences is not None:
        return occurrences(rule, now)
    return []


def rule_fire(*, rule, occurrence, now=None):
    """Run the rule's action for one occurrence, at most once (unique rule + occurrence).

    The firing row is inserted first, in the same transaction as the action: when a
    concurrent run inserted it already, the IntegrityError rolls this one back whole.
    """
    now = now or timezone.now()
    deal, lead, owner = occurrence["deal"], occurrence["lead"], occurrence["owner"]
    try:
        with (
            transaction.atomic(),
            audit_context.recorded_as(audit_context.Source.RULE, rule=rule.pk, rule_name=rule.name),
        ):
            firing = RuleFiring.objects.create(
                rule=rule,
                occurrence=occurrence["occurrence"],
                deal=deal,
                lead=lead,
                stage_change=occurrence["stage_change"],
                occurred_at=occurrence["occurred_at"],
                fired_at=now,
            )
            if owner is None or not owner.is_active:
                return firing  # nobody to follow up; the occurrence is still consumed
            subject = rule_render_subject(
                rule.subject_template, deal=deal, lead=lead, owner=owner, extra=occurrence.get("values")
            )
            if rule.action == FollowUpRule.Action.CREATE_ACTIVITY:
                activity = Activity.objects.create(
                    kind=rule.activity_kind,
                    subject=subject,
                    due_at=rule_due_at(assignee=owner, base=occurrence["due_base"], days=rule.due_in_days, now=now),
                    assignee=owner,
                    deal=deal,
                    lead=lead,
                    rule=rule,
                    created_at=now,
                )
                firing.activity = activity
                firing.save(update_fields=["activity"])
                # Not a touch of the customer: rotting is not reset, only the board refreshed.
                common.touch_parent(deal_id=deal.pk if deal else None, lead_id=lead.pk if lead else None)
            elif rule.action == FollowUpRule.Action.NOTIFY:
                Notification.objects.create(
                    user=owner,
                    kind=Notification.Kind.RULE,
                    message=subject[:300],
                    deal=deal,
                    lead=lead,
                    created_at=now,
                )
            else:
                run = actions.action_for(rule.action)  # provided by an app above (activities.actions)
                if run is not None:
                    run(rule=rule, occurrence=occurrence, owner=owner, now=now)
            return firing
    except IntegrityError:
        return None


def rules_apply(*, now=None):
    """The periodic rule engine: every active rule over the history; returns how many fired."""
    now = now or timezone.now()
    fired = 0
    for rule in FollowUpRule.objects.filter(is_active=True).select_related("stage"):
        for occurrence in list(rule_occurrences(rule=rule, now=now)):
            if rule_fire(rule=rule, occurrence=occurrence, now=now) is not None:
                fired += 1
    return fired

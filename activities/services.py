"""Writes of activities, notifications, reminders, digests and follow-up rules.

Every function owns its transaction. Periodic services (`reminders_run`, `digests_run`,
`rules_apply`) are safe to run twice or concurrently: work is claimed with a conditional
UPDATE (checking the row count) or guarded by a unique constraint, and e-mail goes
through the `OutgoingEmail` outbox, which is delivered under a lease.
"""

import logging
import uuid
from datetime import datetime, time, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from time import monotonic
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts import localization
from accounts.models import User
from activities import actions, lead_and_deal_triggers, selectors, subjects, triggers
from activities.models import Activity, DigestLog, FollowUpRule, Kind, Notification, OutgoingEmail, RuleFiring
from audit import context as audit_context
from deals.models import Deal, Stage, StageChange
from leads.models import Lead

logger = logging.getLogger(__name__)

# A reminder whose due time passed longer ago than this is not sent any more (the
# digest and "My activities" list it as overdue instead).
REMINDER_STALE_AFTER = timedelta(hours=24)
# Default idle days of the "lead idle in nurturing" trigger when the rule leaves it empty.
LEAD_IDLE_DEFAULT_DAYS = 14


class ActivityError(Exception):
    """A domain error with a message for the user."""


# --- helpers --------------------------------------------------------------------------------


# The user's zone (else the installation's); kept under this name for the apps that import it here.
user_time_zone = localization.user_time_zone


def _format_datetime(value, tz):
    with timezone.override(tz):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _absolute_url(path):
    return settings.CRM_BASE_URL.rstrip("/") + path


def _touch_parent(*, deal_id, lead_id, touched_at=None):
    """Tell the board (and the lead list) that an activity changed.

    `updated_at` feeds the board's change-polling ETag; `touched_at` (when given) is a
    real contact with the customer and resets rotting.
    """
    now = timezone.now()
    if deal_id:
        fields = {"updated_at": now}
        if touched_at is not None:
            fields["last_activity_at"] = touched_at
        Deal.objects.filter(pk=deal_id).update(**fields)
    if lead_id:
        fields = {"updated_at": now}
        if touched_at is not None:
            fields["last_touch_at"] = touched_at
        Lead.objects.filter(pk=lead_id).update(**fields)


# --- activities -----------------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    actor,
    kind,
    subject,
    due_at=None,
    all_day=False,
    note="",
    assignee=None,
    deal=None,
    lead=None,
    remind_before_minutes=None,
):
    """Plan an activity on a deal or a lead; planning counts as a touch of the customer.

    `remind_before_minutes` (15, 60, 1440) overrides the assignee's reminder lead time."""
    if (deal is None) == (lead is None):
        raise ActivityError(_("An activity belongs to exactly one deal or one lead."))
    activity = Activity.objects.create(
        kind=kind,
        subject=subject,
        note=note,
        due_at=due_at,
        all_day=all_day,
        assignee=assignee or actor,
        deal=deal,
        lead=lead,
        remind_before_minutes=remind_before_minutes,
        created_by=actor,
    )
    _touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id, touched_at=activity.created_at)
    return activity


@transaction.atomic
def activity_update(*, activity_id, actor, **fields):
    """Edit an activity. A new due time (a reschedule), assignee or reminder time re-arms its reminder."""
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    allowed = {"kind", "subject", "note", "due_at", "all_day", "assignee", "remind_before_minutes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ActivityError(f"Unknown fields: {sorted(unknown)}")
    rearm = any(
        name in fields and fields[name] != getattr(activity, name) for name in ("due_at", "remind_before_minutes")
    )
    for name, value in fields.items():
        setattr(activity, name, value)
    if rearm or "assignee" in fields:
        activity.reminder_sent_at = None
    activity.save()
    _touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id)
    return activity


def activity_postpone_to_tomorrow(*, activity_id, actor):
    """Reschedule to tomorrow (local date) at the same time of day; re-arms the reminder."""
    activity = Activity.objects.get(pk=activity_id)
    due = timezone.localtime(activity.due_at) if activity.due_at else timezone.localtime().replace(hour=9, minute=0)
    tomorrow = timezone.localdate() + timedelta(days=1)
    # The same wall-clock time, also across a daylight-saving change.
    new_due = timezone.make_aware(datetime.combine(tomorrow, due.time().replace(second=0, microsecond=0)))
    return activity_update(activity_id=activity_id, actor=actor, due_at=new_due)


@transaction.atomic
def activity_complete(*, activity_id, actor):
    """Mark done (idempotent: a second click keeps the first done time)."""
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    if activity.done_at is None:
        activity.done_at = timezone.now()
        activity.save(update_fields=["done_at", "updated_at"])
        _touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id, touched_at=activity.done_at)
    return activity


@transaction.atomic
def activity_reopen(*, activity_id, actor):
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    if activity.done_at is not None:
        activity.done_at = None
        activity.save(update_fields=["done_at", "updated_at"])
        _touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id)
    return activity


@transaction.atomic
def activity_log_done(
    *,
    actor,
    kind,
    subject,
    outcome="",
    note="",
    assignee=None,
    deal=None,
    lead=None,
    next_subject="",
    next_due_at=None,
    next_all_day=False,
):
    """Log a call or meeting that just happened, in one step: the done activity with its outcome
    and, when a next step is given, the follow-up activity — both or neither (one transaction).
    Returns (done activity, follow-up or None)."""
    if (deal is None) == (lead is None):
        raise ActivityError(_("An activity belongs to exactly one deal or one lead."))
    if bool(next_subject) != (next_due_at is not None):
        raise ActivityError(_("A next step needs both its subject and its due date."))
    now = timezone.now()
    activity = Activity.objects.create(
        kind=kind,
        subject=subject,
        note=note,
        outcome=outcome,
        due_at=now,
        done_at=now,
        assignee=assignee or actor,
        deal=deal,
        lead=lead,
        created_by=actor,
    )
    _touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id, touched_at=now)
    follow_up = None
    if next_subject:
        follow_up = activity_create(
            actor=actor,
            kind=Kind.FOLLOW_UP,
            subject=next_subject,
            due_at=next_due_at,
            all_day=next_all_day,
            assignee=activity.assignee,
            deal=deal,
            lead=lead,
        )
    return activity, follow_up


# --- notifications --------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id):
    """Mark one of the user's notifications read; another user's is not found."""
    updated = Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return updated


def notification_mark_all_read(*, user):
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- the e-mail outbox ----------------------------------------------------------------------
#
# Claim, send, mark: a deliverer claims rows under a lease (`claimed_at`, a claim token),
# takes the lease afresh right before each message (only while the token is still its own),
# hands the message to the mail server, then marks it sent with one conditional UPDATE
# (`sent_at IS NULL` and its token). So the lease only has to outlive one message, and the
# one message whose outcome is unknown when a deliverer dies is the one it was sending.


def _claim_lease():
    """Longer than one message may take (CRM_EMAIL_CLAIM_LEASE_SECONDS > 4 × EMAIL_TIMEOUT):
    a claim older than this belongs to a dead or stuck deliverer."""
    return timedelta(seconds=settings.CRM_EMAIL_CLAIM_LEASE_SECONDS)


def _run_clock(now):
    """The time during a run that started at `now` (tests pass a fixed one): a long run must
    write the times it acts at, not its start."""
    started, base = monotonic(), now or timezone.now()
    return lambda: base + timedelta(seconds=monotonic() - started)


def _claimable(now):
    """Queued e-mails that nobody holds, or whose holder's lease has expired."""
    return OutgoingEmail.objects.filter(sent_at__isnull=True, failed_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _claim_lease())
    )


def email_claim(*, email_id, now=None):
    """Claim one queued e-mail for delivery; returns the claim token or None.

    Conditional UPDATE: only an unsent row that nobody holds (or whose lease expired)
    is claimed, so two workers never deliver the same row at the same time.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    claimed = _claimable(now).filter(pk=email_id).update(claimed_at=now, claim_token=token)
    return token if claimed == 1 else None


def email_claim_batch(*, now=None, limit=50):
    """Claim up to `limit` queued e-mails under one token; returns (token, e-mails).

    SKIP LOCKED lets concurrent deliverers take different rows; the conditional UPDATE
    (checked again under the lock) sets the lease.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            _claimable(now)
            .select_for_update(skip_locked=True)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return token, []
        _claimable(now).filter(pk__in=ids).update(claimed_at=now, claim_token=token)
    return token, list(OutgoingEmail.objects.filter(claim_token=token).order_by("created_at", "id"))


def _email_release(*, token, email_ids):
    """Give claimed, untried e-mails back at once (the run stops before sending them)."""
    OutgoingEmail.objects.filter(pk__in=email_ids, claim_token=token, sent_at__isnull=True).update(
        claimed_at=None, claim_token=None
    )


def email_message(email):
    """The message of an outbox row: from the installation's address (with the row's sender
    name), Reply-To and the stored attachment when the row has them. Reading the attachment
    fails loudly (the delivery counts it as a failed attempt) rather than sending without it."""
    from_email = settings.DEFAULT_FROM_EMAIL
    if email.from_name:
        _name, address = parseaddr(from_email)
        name = " ".join(email.from_name.split())  # no line breaks in a header
        from_email = str(Address(display_name=name, addr_spec=address or from_email))
    message = mail.EmailMessage(
        email.subject, email.body, from_email, [email.to], reply_to=[email.reply_to] if email.reply_to else None
    )
    if email.attachment:
        with email.attachment.open("rb") as stored:
            content = stored.read()
        name = email.attachment_name or email.attachment.name.rsplit("/", 1)[-1]
        message.attach(name, content, email.attachment_type or "application/octet-stream")
    return message


def _email_send(connection, email, token, clock):
    """Send one claimed e-mail: True sent, False refused (released for a later attempt),
    None when the claim is no longer ours (the lease expired and another deliverer took it)."""
    renewed = OutgoingEmail.objects.filter(
        pk=email.pk, claim_token=token, sent_at__isnull=True, failed_at__isnull=True
    ).update(claimed_at=clock(), attempts=F("attempts") + 1)
    if not renewed:
        return None
    try:
        connection.send_messages([email_message(email)])
    except SoftTimeLimitExceeded:
        # The worker is stopping the task mid-send: whether the server took the message is
        # unknown, so it keeps its claim until the lease ends (then it is sent again).
        raise
    except Exception as exc:  # SMTP errors of every kind: release the claim, retry later
        logger.warning("E-mail %s failed: %s", email.pk, exc)
        give_up = email.attempts + 1 >= settings.CRM_EMAIL_MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=email.pk, claim_token=token).update(
            claimed_at=None,
            claim_token=None,
            last_error=str(exc)[:300],
            failed_at=timezone.now() if give_up else None,
        )
        return False
    OutgoingEmail.objects.filter(pk=email.pk, claim_token=token, sent_at__isnull=True).update(sent_at=clock())
    return True


def email_send_claimed(*, email_id, token, now=None):
    """Send one e-mail claimed with `token` (a stale token sends nothing)."""
    email = OutgoingEmail.objects.get(pk=email_id)
    if email.claim_token != token or email.sent_at is not None:
        return False
    with mail.mailers.default as connection:
        return bool(_email_send(connection, email, token, _run_clock(now)))


def email_deliver_pending(*, now=None, limit=500, batch_size=50):
    """Deliver queued e-mails in claimed batches over one mail-server session each.

    Each message is sent only while this run still holds it (its lease is renewed right
    before); when the run stops early (an exception, the task's soft time limit) the messages
    it had not tried yet are released at once. Returns how many were sent.
    """
    clock = _run_clock(now)
    sent = 0
    while sent < limit:
        token, emails = email_claim_batch(now=clock(), limit=min(batch_size, limit - sent))
        if not emails:
            break
        untried = [email.pk for email in emails]
        refused = False
        try:
            with mail.mailers.default as connection:
                for email in emails:
                    untried.remove(email.pk)
                    result = _email_send(connection, email, token, clock)
                    if result is False:
                        refused = True
                        break  # the mail server refuses: leave the rest for the next run
                    sent += bool(result)
        finally:
            if untried:
                _email_release(token=token, email_ids=untried)
        if refused:
            break
    return sent


# --- reminders ------------------------------------------------------------------------------


def _reminder_due_q(now):
    """Activities whose reminder time has come: due minus the activity's own reminder time
    (`remind_before_minutes`), else minus the assignee's lead time.

    One query for the distinct lead times of the users (few), then one condition per lead
    time inside a single SQL statement: the database picks the rows, never a Python loop over
    activities. The outer bound on `due_at` lets the partial index activity_reminder_pending
    (open, not yet reminded, by due time) serve the whole scan.
    """
    own_minutes = [choice.value for choice in Activity.RemindBefore]
    user_minutes = list(User.objects.order_by().values_list("reminder_lead_minutes", flat=True).distinct())
    due = Q(pk__in=[])
    for minutes in own_minutes:
        due |= Q(remind_before_minutes=minutes, due_at__lte=now + timedelta(minutes=minutes))
    for minutes in user_minutes:
        due |= Q(
            remind_before_minutes__isnull=True,
            assignee__reminder_lead_minutes=minutes,
            due_at__lte=now + timedelta(minutes=minutes),
        )
    horizon = now + timedelta(minutes=max([*own_minutes, *user_minutes]))
    return (
        Q(
            done_at__isnull=True,
            reminder_sent_at__isnull=True,
            all_day=False,
            due_at__gte=now - REMINDER_STALE_AFTER,
            due_at__lte=horizon,
        )
        & due
    )


def _reminder_content(activity):
    tz = user_time_zone(activity.assignee)
    target = activity.deal.title if activity.deal_id else str(activity.lead)
    when = _format_datetime(activity.due_at, tz)
    message = _("Reminder: %(subject)s at %(time)s (%(target)s)") % {
        "subject": activity.subject,
        "time": when,
        "target": target,
    }
    body = "\n".join(
        [
            message,
            "",
            f"{activity.get_kind_display()}: {activity.subject}",
            activity.note,
            "",
            _absolute_url(selectors.parent_url(deal_id=activity.deal_id, lead_id=activity.lead_id)),
            _absolute_url(reverse("activities:list")),
        ]
    )
    return message[:300], body


class _LostRace(Exception):
    """Another run claimed part of a batch between our SELECT and our UPDATE."""


def _reminder_claim_one(activity_id, now):
    """Claim one reminder: True when this conditional UPDATE changed the row (row count 1)."""
    return (
        Activity.objects.filter(pk=activity_id, reminder_sent_at__isnull=True, done_at__isnull=True).update(
            reminder_sent_at=now
        )
        == 1
    )


def _reminders_queue(activities, now):
    """The notification and the outbox e-mail of claimed reminders (inside the claim's transaction)."""
    notifications, emails = [], []
    for activity in activities:
        with translation.override(localization.user_language(activity.assignee)):
            message, body = _reminder_content(activity)
        key = f"reminder:{activity.pk}:{int(activity.due_at.timestamp())}"
        notifications.append(
            Notification(
                user=activity.assignee,
                kind=Notification.Kind.REMINDER,
                dedupe_key=key,
                message=message,
                activity=activity,
                deal_id=activity.deal_id,
                lead_id=activity.lead_id,
                created_at=now,
            )
        )
        if activity.assignee.email:
            emails.append(
                OutgoingEmail(
                    key=key,
                    user=activity.assignee,
                    to=activity.assignee.email,
                    subject=message,
                    body=body,
                    created_at=now,
                )
            )
    Notification.objects.bulk_create(notifications)
    OutgoingEmail.objects.bulk_create(emails)
    return len(notifications)


def reminders_claim_due(*, now=None, batch_size=200):
    """Claim the due reminders and queue their notification and e-mail, exactly once.

    One transaction per batch: rows are locked with SKIP LOCKED (PostgreSQL) so that a
    concurrent run takes other rows, then claimed with a conditional
    UPDATE … WHERE reminder_sent_at IS NULL AND done_at IS NULL whose row count must match
    the batch (the rows are locked; on SQLite the transaction holds the write lock). Should
    it not, the batch is rolled back and claimed row by row, each row going to the run
    whose UPDATE changed it. The notification and the outbox row are written in the same
    transaction as the claim, so a crash either loses the claim too (the next run retries)
    or keeps all three.
    """
    now = now or timezone.now()
    claimed = 0
    pending = Activity.objects.filter(reminder_sent_at__isnull=True, done_at__isnull=True)
    while True:
        batch = []
        try:
            with transaction.atomic():
                batch = list(
                    Activity.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(_reminder_due_q(now))
                    .select_related("assignee", "deal", "lead")
                    .order_by("due_at", "id")[:batch_size]
                )
                if not batch:
                    return claimed
                if pending.filter(pk__in=[a.pk for a in batch]).update(reminder_sent_at=now) != len(batch):
                    raise _LostRace
                claimed += _reminders_queue(batch, now)
        except _LostRace:
            with transaction.atomic():
                claimed += _reminders_queue([a for a in batch if _reminder_claim_one(a.pk, now)], now)
        if len(batch) < batch_size:
            return claimed


def reminders_run(*, now=None):
    """The every-minute service: claim due reminders, then deliver the outbox."""
    claimed = reminders_claim_due(now=now)
    sent = email_deliver_pending(now=now)
    return {"claimed": claimed, "sent": sent}


# --- the daily digest -----------------------------------------------------------------------


def _digest_activities(user, day_start, day_end):
    """The user's open activities that are overdue or due that local day."""
    return list(
        Activity.objects.filter(assignee=user, done_at__isnull=True, due_at__lt=day_end)
        .select_related("deal", "lead")
        .order_by("due_at", "id")[:200]
    )


def _digest_content(user, day, items, day_start, tz):
    overdue = [a for a in items if a.due_at < day_start]
    today = [a for a in items if a.due_at >= day_start]
    subject = _("Your activities for %(date)s: %(today)s today, %(overdue)s overdue") % {
        "date": formats.date_format(day, "SHORT_DATE_FORMAT"),
        "today": len(today),
        "overdue": len(overdue),
    }
    lines = []
    for title, group in ((_("Overdue"), overdue), (_("Today"), today)):
        if not group:
            continue
        lines += [title, "-" * len(title)]
        for a in group:
            target = a.deal.title if a.deal_id else str(a.lead)
            when = _("all day") if a.all_day else _format_datetime(a.due_at, tz)
            lines.append(f"- {when}: {a.get_kind_display()} · {a.subject} ({target})")
        lines.append("")
    lines.append(_absolute_url(reverse("activities:list")))
    return subject[:300], "\n".join(lines)


def _digest_days_handled(user_ids, around):
    """{(user_id, date)} of the digests already handled around a date (one query)."""
    rows = DigestLog.objects.filter(date__gte=around - timedelta(days=1), date__lte=around + timedelta(days=1))
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    return set(rows.order_by().values_list("user_id", "date"))


def digest_queue_for_user(*, user, now=None, handled=None):
    """Queue the user's digest for their local today if its hour has come; at most once per day.

    The unique (user, date) log row and the outbox row are written together.
    Returns True when this call handled the day (queued or found nothing to send).
    """
    now = now or timezone.now()
    tz = user_time_zone(user)
    local_now = now.astimezone(tz)
    if not user.digest_enabled or not user.email or local_now.hour < user.digest_hour:
        return False
    day = local_now.date()
    day_start = datetime.combine(day, time.min, tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    if (user.pk, day) in (handled if handled is not None else _digest_days_handled([user.pk], day)):
        return False
    items = _digest_activities(user, day_start, day_end)
    try:
        with transaction.atomic():
            DigestLog.objects.create(user=user, date=day, activity_count=len(items), created_at=now)
            if items:
                with translation.override(localization.user_language(user)):
                    subject, body = _digest_content(user, day, items, day_start, tz)
                OutgoingEmail.objects.create(
                    key=f"digest:{user.pk}:{day.isoformat()}",
                    user=user,
                    to=user.email,
                    subject=subject,
                    body=body,
                    created_at=now,
                )
    except IntegrityError:
        return False  # another run handled this day first
    return True


def digests_run(*, now=None):
    """The periodic digest service: every user whose digest hour has come, then the outbox."""
    now = now or timezone.now()
    queued = 0
    users = list(User.objects.filter(is_active=True, digest_enabled=True).exclude(email=""))
    # Users' local dates are within a day of the UTC date: one query finds the days handled.
    handled = _digest_days_handled(None, now.astimezone(ZoneInfo("UTC")).date())
    for user in users:
        queued += digest_queue_for_user(user=user, now=now, handled=handled)
    sent = email_deliver_pending(now=now)
    return {"queued": queued, "sent": sent}


# --- follow-up rules ------------------------------------------------------------------------


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
                _touch_parent(deal_id=deal.pk if deal else None, lead_id=lead.pk if lead else None)
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

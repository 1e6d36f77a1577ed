"""The follow-up rule trigger "no reply from the customer for N days" (docs/email.md), offered
to the rule engine through `activities.triggers` in MailConfig.ready().

An e-mail counts when it went out (written in the CRM and sent, or synced from the Sent
folder), is linked to an open deal, was sent at least N days ago (the rule's idle_days), and
nothing came after it: no later message in its thread, and no message answering it
(In-Reply-To its Message-ID, for a message not threaded yet). So a rep who writes again starts
a new wait from the new e-mail, and a customer's answer ends it. The rule fires once per e-mail
(occurrence "email:<id>:no_reply"); the query leaves out the e-mails it fired for with an
EXISTS on the firing's unique (rule, occurrence), at most BATCH per run.
"""

from datetime import timedelta

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from activities.models import FollowUpRule, RuleFiring
from deals.models import Deal
from mail.models import EmailMessage

BATCH = 1000
OUT = EmailMessage.Direction.OUTBOUND
GONE_OUT = (EmailMessage.Delivery.SENT, EmailMessage.Delivery.RECEIVED)


def occurrence_key(message_id):
    return f"email:{message_id}:no_reply"


def unanswered(cutoff):
    """Outbound e-mails on open deals sent before `cutoff` with nothing after them."""
    later_in_thread = EmailMessage.objects.filter(
        thread_id=OuterRef("thread_id"), thread__isnull=False, sent_at__gt=OuterRef("sent_at")
    )
    answered = EmailMessage.objects.filter(in_reply_to=OuterRef("message_id"), owner_id=OuterRef("owner_id"))
    return (
        EmailMessage.objects.filter(
            direction=OUT, delivery__in=GONE_OUT, deal__status=Deal.Status.OPEN, sent_at__lte=cutoff
        )
        .exclude(Exists(later_in_thread))
        .exclude(Exists(answered))
    )


def no_reply_occurrences(rule, now):
    if rule.idle_days is None:
        return
    days = timedelta(days=rule.idle_days)
    key = Concat(
        Value("email:"), Cast(OuterRef("pk"), output_field=CharField()), Value(":no_reply"), output_field=CharField()
    )
    messages = (
        unanswered(now - days)
        .exclude(Exists(RuleFiring.objects.filter(rule=rule, occurrence=key)))
        .select_related("deal__owner", "deal__organization", "deal__stage")
        .order_by("pk")[:BATCH]
    )
    for message in messages:
        yield {
            "occurrence": occurrence_key(message.pk),
            "stage_change": None,
            "deal": message.deal,
            "lead": None,
            "owner": message.deal.owner,
            "occurred_at": message.sent_at + days,
            "due_base": now,
        }


def register():
    from activities import triggers

    triggers.register(FollowUpRule.Trigger.EMAIL_NO_REPLY, no_reply_occurrences)

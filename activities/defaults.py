"""The follow-up rules a fresh installation starts with (used by the data migration).

Stages are looked up by name (English or translated); a rule whose stage does not exist is
skipped. Rule names and activity subjects are data written in the installation's language
(`LANGUAGE_CODE`, deals/defaults.py explains); the English texts are the message ids. A rule
counts as present under its English or its translated name. `only` names rules by English name.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

PROPOSAL_PIPELINE = "New business"
PROPOSAL_STAGE = "Negotiation & proposal"

# (name, trigger, stage name or None, idle days, activity kind, subject, due in days)
DEFAULT_RULES = [
    (
        gettext_noop("Proposal sent: follow up"),
        "stage_entered",
        PROPOSAL_STAGE,
        None,
        "follow_up",
        gettext_noop("Follow up on the proposal"),
        3,
    ),
    (gettext_noop("Won: post-sale check-in"), "deal_won", None, None, "call", gettext_noop("Post-sale check-in"), 14),
    (
        gettext_noop("Won: feedback and testimonial"),
        "deal_won",
        None,
        None,
        "email",
        gettext_noop("Ask for feedback and a testimonial"),
        30,
    ),
    (
        gettext_noop("Won: cross-sell / upsell"),
        "deal_won",
        None,
        None,
        "task",
        gettext_noop("Cross-sell / upsell review"),
        60,
    ),
    (gettext_noop("Lost: re-engage"), "deal_lost", None, None, "follow_up", gettext_noop("Re-engage"), 90),
    (
        gettext_noop("Nurturing lead idle"),
        "lead_idle",
        None,
        14,
        "email",
        gettext_noop("Nurture: send relevant content"),
        0,
    ),
    # Quotes (the triggers come from the quotes app; N is required).
    (
        gettext_noop("Quote not viewed: call"),
        "quote_not_viewed",
        None,
        3,
        "call",
        gettext_noop("Quote {quote} not opened yet: call about {deal}"),
        0,
    ),
    (
        gettext_noop("Quote viewed, no answer: follow up"),
        "quote_not_answered",
        None,
        5,
        "follow_up",
        gettext_noop("Follow up on quote {quote} for {deal}"),
        0,
    ),
    (
        gettext_noop("Quote expiring: follow up"),
        "quote_expiring",
        None,
        3,
        "follow_up",
        gettext_noop("Quote {quote} expires soon: follow up on {deal}"),
        0,
    ),
]
QUOTE_RULES = [rule[0] for rule in DEFAULT_RULES if rule[1].startswith("quote_")]


def ensure_default_rules(FollowUpRule, Stage, *, only=None, language=None):
    """Create the default rules that are missing (by name; `only`: of these English names),
    named and worded in `language` (default: the installation's); never touch edited ones."""
    with translation.override(language or settings.LANGUAGE_CODE):
        for name, trigger, stage_name, idle_days, kind, subject, due_in_days in DEFAULT_RULES:
            if only is not None and name not in only:
                continue
            if FollowUpRule.objects.filter(name__in={name, gettext(name)}).exists():
                continue
            stage = None
            if stage_name:
                stage = Stage.objects.filter(
                    pipeline__name__in={PROPOSAL_PIPELINE, gettext(PROPOSAL_PIPELINE)},
                    name__in={stage_name, gettext(stage_name)},
                ).first()
                if stage is None:
                    continue
            FollowUpRule.objects.create(
                name=gettext(name),
                trigger=trigger,
                stage=stage,
                idle_days=idle_days,
                action="create_activity",
                activity_kind=kind,
                subject_template=gettext(subject),
                due_in_days=due_in_days,
            )

"""The follow-up rules a fresh installation starts with (used by the data migration).

Stages are looked up by name; a rule whose stage does not exist is skipped.
"""

PROPOSAL_PIPELINE = "New business"
PROPOSAL_STAGE = "Negotiation & proposal"

# (name, trigger, stage name or None, idle days, activity kind, subject, due in days)
DEFAULT_RULES = [
    (
        "Proposal sent: follow up",
        "stage_entered",
        PROPOSAL_STAGE,
        None,
        "follow_up",
        "Follow up on the proposal",
        3,
    ),
    ("Won: post-sale check-in", "deal_won", None, None, "call", "Post-sale check-in", 14),
    ("Won: feedback and testimonial", "deal_won", None, None, "email", "Ask for feedback and a testimonial", 30),
    ("Won: cross-sell / upsell", "deal_won", None, None, "task", "Cross-sell / upsell review", 60),
    ("Lost: re-engage", "deal_lost", None, None, "follow_up", "Re-engage", 90),
    ("Nurturing lead idle", "lead_idle", None, 14, "email", "Nurture: send relevant content", 0),
    # Quotes (the triggers come from the quotes app; N is required).
    (
        "Quote not viewed: call",
        "quote_not_viewed",
        None,
        3,
        "call",
        "Quote {quote} not opened yet: call about {deal}",
        0,
    ),
    (
        "Quote viewed, no answer: follow up",
        "quote_not_answered",
        None,
        5,
        "follow_up",
        "Follow up on quote {quote} for {deal}",
        0,
    ),
    (
        "Quote expiring: follow up",
        "quote_expiring",
        None,
        3,
        "follow_up",
        "Quote {quote} expires soon: follow up on {deal}",
        0,
    ),
]
QUOTE_RULES = [rule[0] for rule in DEFAULT_RULES if rule[1].startswith("quote_")]


def ensure_default_rules(FollowUpRule, Stage, *, only=None):
    """Create the default rules that are missing (by name; `only`: of these names); never touch
    edited ones."""
    for name, trigger, stage_name, idle_days, kind, subject, due_in_days in DEFAULT_RULES:
        if only is not None and name not in only:
            continue
        stage = None
        if stage_name:
            stage = Stage.objects.filter(pipeline__name=PROPOSAL_PIPELINE, name=stage_name).first()
            if stage is None:
                continue
        FollowUpRule.objects.get_or_create(
            name=name,
            defaults={
                "trigger": trigger,
                "stage": stage,
                "idle_days": idle_days,
                "action": "create_activity",
                "activity_kind": kind,
                "subject_template": subject,
                "due_in_days": due_in_days,
            },
        )

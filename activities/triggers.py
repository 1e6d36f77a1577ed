"""Follow-up rule triggers that an app above activities provides (docs/activities.md).

The activities app sits below the apps whose records some triggers read (a quote that nobody
opened belongs to the quotes app), so it cannot import them. Instead it offers this registry:
the higher app registers, in its `AppConfig.ready()`, a function per trigger value,

    triggers.register(FollowUpRule.Trigger.QUOTE_NOT_VIEWED, occurrences)

and the rule engine (`services.rule_occurrences`) calls `occurrences(rule, now)` for every
active rule with that trigger. The function yields the same occurrence dicts as the built-in
triggers, and must read only what the rule has not fired for yet (set-based, at most a batch):

    {
        "occurrence": "quote:17:not_viewed",  # unique per rule: the rule fires once for it
        "stage_change": None,                 # or the StageChange it came from
        "deal": deal, "lead": None,           # exactly one; the deal with owner, organization, stage
        "owner": deal.owner,                  # who gets the activity or notification
        "occurred_at": when,                  # when the condition became true
        "due_base": now,                      # the activity is due `due_in_days` after this
        "values": {"quote": "AN-2026-0017"},  # optional: extra subject placeholders
    }

A trigger value nobody registered (the app is not installed) matches nothing.
"""

_occurrences = {}


def register(trigger, occurrences):
    """Let `occurrences(rule, now)` answer for the rules with `trigger` (one function per value)."""
    trigger = str(trigger)
    if _occurrences.get(trigger) not in (None, occurrences):
        raise ValueError(f"The trigger {trigger!r} is registered already.")
    _occurrences[trigger] = occurrences


def unregister(trigger):
    _occurrences.pop(str(trigger), None)


def occurrences_for(trigger):
    """The registered function of `trigger`, or None."""
    return _occurrences.get(str(trigger))


def registered():
    """The trigger values with a registered function."""
    return set(_occurrences)

"""Follow-up rule actions that an app above activities runs (docs/activities.md).

The rule engine creates activities and notifications itself. Other actions (send a template
e-mail, enrol in a sequence) belong to an app above that keeps their settings; it registers,
in its `AppConfig.ready()`, a function per action value,

    actions.register(FollowUpRule.Action.SEND_EMAIL, send_email)

and `services.rule_fire` calls `fn(rule=rule, occurrence=occurrence, owner=owner, now=now)`
inside its transaction, after the firing row is written: an exception rolls the firing back
with it (the rule fires again next run); returning normally consumes the occurrence. An action
value nobody registered (the app is not installed) does nothing but consume the occurrence.
"""

_actions = {}


def register(action, fn):
    """Let `fn` run the rules with `action` (one function per value)."""
    action = str(action)
    if _actions.get(action) not in (None, fn):
        raise ValueError(f"The action {action!r} is registered already.")
    _actions[action] = fn


def unregister(action):
    _actions.pop(str(action), None)


def action_for(action):
    """The registered function of `action`, or None."""
    return _actions.get(str(action))


def registered():
    return set(_actions)

"""The follow-up rule actions of this app, run by the rule engine (activities.actions):

- send a template e-mail: the rule's `RuleAction.template`, to the deal's contact or the lead,
  from the record's owner, through `sending.send_marketing` (consent and suppression hold);
- enrol in a sequence: the deal's contact or the lead into `RuleAction.sequence` (via "rule").

Both run inside the engine's transaction. A rule without its settings, or an occurrence without
a person (a deal without a contact), does nothing: the occurrence is consumed all the same.
"""

import logging

from nurturing import enrolment, sending
from nurturing.models import Enrolment, RuleAction

logger = logging.getLogger(__name__)


def _settings(rule):
    return RuleAction.objects.select_related("template", "sequence").filter(rule=rule).first()


def _person(occurrence):
    """(contact, lead) the occurrence is about: the lead, or the deal's contact."""
    if occurrence.get("lead") is not None:
        return None, occurrence["lead"]
    deal = occurrence.get("deal")
    return (deal.contact if deal is not None else None), None


def send_email(*, rule, occurrence, owner, now):
    settings = _settings(rule)
    contact, lead = _person(occurrence)
    if settings is None or settings.template is None or (contact is None and lead is None):
        logger.info("Rule %s: no template or nobody to write to for %s", rule.pk, occurrence["occurrence"])
        return None
    try:
        return sending.send_marketing(template=settings.template, sender=owner, contact=contact, lead=lead, rule=rule)
    except sending.SendRefused as refused:  # no consent, suppressed, a template error: nothing is written
        logger.info("Rule %s: no e-mail for %s (%s)", rule.pk, occurrence["occurrence"], refused)
        return None


def enrol(*, rule, occurrence, owner, now):
    settings = _settings(rule)
    contact, lead = _person(occurrence)
    if settings is None or settings.sequence is None or (contact is None and lead is None):
        logger.info("Rule %s: no sequence or nobody to enrol for %s", rule.pk, occurrence["occurrence"])
        return None
    people = {"contacts": [contact]} if contact is not None else {"leads": [lead]}
    return enrolment.enrol(sequence=settings.sequence, via=Enrolment.Via.RULE, rule=rule, **people)


def register():
    from activities import actions
    from activities.models import FollowUpRule

    actions.register(FollowUpRule.Action.SEND_EMAIL, send_email)
    actions.register(FollowUpRule.Action.ENROL, enrol)

"""The rule engine's new triggers and actions (docs/activities.md) and the retargeting set
(docs/nurturing.md, "Rules and retargeting")."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activities import actions
from activities import services as activity_services
from activities.models import Activity, FollowUpRule, RuleFiring
from customers.models import Consent
from deals.models import Deal, LostReason
from leads.models import Lead, LeadTouch
from mail.models import EmailTemplate
from nurturing import defaults
from nurturing.models import Enrolment, RuleAction, Send, Sequence, Step
from quotes.models import QuoteEvent
from tests import factories
from tests.nurturing import pages
from tests.quotes.followup_quotes import sent_quote

Trigger, Action = FollowUpRule.Trigger, FollowUpRule.Action
NOW = timezone.now()


@pytest.fixture(autouse=True)
def _only_the_rules_of_each_test(db):
    FollowUpRule.objects.update(is_active=False)


def rule(trigger, **fields):
    fields.setdefault("created_at", NOW - timedelta(days=400))
    fields.setdefault("subject_template", "Follow up {deal}")
    return factories.FollowUpRuleFactory(trigger=trigger, **fields)


def lost_deal(owner, *, days_ago, reason, contact=None):
    stage = factories.default_stages()[2]
    return factories.DealFactory(
        owner=owner,
        contact=contact,
        stage=stage,
        status=Deal.Status.LOST,
        lost_at=NOW - timedelta(days=days_ago),
        lost_reason=reason,
        lost_from_stage=stage,
    )


def fire(now=NOW):
    return activity_services.rules_apply(now=now)


def test_quote_sent_viewed_and_declined_fire_once_per_event(rep):
    deal = factories.DealFactory(owner=rep, title="Acme")
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=1))
    for kind in (QuoteEvent.Kind.VIEWED, QuoteEvent.Kind.DECLINED):
        QuoteEvent.objects.create(quote=quote, deal=deal, kind=kind, at=NOW - timedelta(hours=2))
    for trigger in (Trigger.QUOTE_SENT, Trigger.QUOTE_VIEWED, Trigger.QUOTE_DECLINED):
        rule(trigger, subject_template=f"{trigger} {{quote}}")
    assert fire() == 3
    assert fire() == 0
    subjects = sorted(Activity.objects.values_list("subject", flat=True))
    assert subjects == sorted(f"{t} {quote.display_number}" for t in ("quote_declined", "quote_sent", "quote_viewed"))


def test_web_form_leads_and_repeat_submissions_fire(rep):
    rule(Trigger.WEB_FORM_SUBMITTED, subject_template="Web form {lead}")
    web = factories.LeadFactory(owner=rep, source=Lead.Source.WEB_FORM, last_name="Webber")
    factories.LeadFactory(owner=rep, source=Lead.Source.TRADE_FAIR, last_name="Fairman")
    fair = Lead.objects.get(last_name="Fairman")
    LeadTouch.objects.create(lead=fair, source=Lead.Source.WEB_FORM)
    LeadTouch.objects.create(lead=fair, source=Lead.Source.COLD_CALL)
    assert fire() == 2
    assert fire() == 0
    assert set(Activity.objects.values_list("lead__last_name", flat=True)) == {web.last_name, "Fairman"}


def test_deal_lost_after_fires_n_days_later_for_the_reason_only(rep):
    price = LostReason.objects.get_or_create(name="Price too high")[0]
    timing = LostReason.objects.get_or_create(name="Bad timing")[0]
    rule(Trigger.DEAL_LOST_AFTER, idle_days=90, lost_reason=price)
    due = lost_deal(rep, days_ago=91, reason=price)
    lost_deal(rep, days_ago=30, reason=price)  # too early
    lost_deal(rep, days_ago=100, reason=timing)  # another reason
    assert fire() == 1
    assert Activity.objects.get().deal == due
    assert fire() == 0
    assert fire(NOW + timedelta(days=61)) == 1  # the second one's day came


def test_deal_lost_after_needs_its_days(rep):
    with pytest.raises(IntegrityError), transaction.atomic():
        rule(Trigger.DEAL_LOST_AFTER, idle_days=None)


def test_send_email_action_writes_a_marketing_send_to_the_deals_contact(rep):
    template = pages.template("Nachfassen")
    contact = factories.ContactFactory(owner=rep, email="kunde@example.com", email_consent=Consent.GRANTED)
    deal = factories.DealFactory(owner=rep, contact=contact)
    quote = sent_quote(deal, sent_at=NOW - timedelta(days=1))
    assert quote.pk
    sending = rule(Trigger.QUOTE_SENT, action=Action.SEND_EMAIL)
    RuleAction.objects.create(rule=sending, template=template)
    assert fire() == 1
    send = Send.objects.get()
    assert (send.contact, send.template, send.rule, send.sender) == (contact, template, sending, rep)
    assert not Activity.objects.exists()


def test_enrol_action_enrols_the_lead_through_the_registry(rep, manager):
    sequence = pages.sequence(manager, status=Sequence.Status.ACTIVE, steps=[{"kind": "wait", "wait_days": 1}])
    enrolling = rule(Trigger.WEB_FORM_SUBMITTED, action=Action.ENROL)
    RuleAction.objects.create(rule=enrolling, sequence=sequence)
    lead = factories.LeadFactory(owner=rep, source=Lead.Source.WEB_FORM, email_consent=Consent.GRANTED)
    assert fire() == 1
    enrolment = Enrolment.objects.get()
    assert (enrolment.lead, enrolment.via, enrolment.sequence) == (lead, "rule", sequence)


def test_an_action_without_its_settings_consumes_the_occurrence_quietly(rep):
    rule(Trigger.WEB_FORM_SUBMITTED, action=Action.ENROL)
    factories.LeadFactory(owner=rep, source=Lead.Source.WEB_FORM)
    assert fire() == 1 and RuleFiring.objects.count() == 1 and not Enrolment.objects.exists()


def test_a_failing_action_rolls_the_firing_back(rep, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setitem(actions._actions, "send_email", broken)
    rule(Trigger.WEB_FORM_SUBMITTED, action=Action.SEND_EMAIL)
    factories.LeadFactory(owner=rep, source=Lead.Source.WEB_FORM)
    with pytest.raises(RuntimeError):
        fire()
    assert not RuleFiring.objects.exists()


def test_the_admin_refuses_an_enrol_rule_without_a_sequence(client, admin):
    client.force_login(admin)
    data = {
        "name": "Enrol web leads",
        "is_active": "on",
        "trigger": "web_form_submitted",
        "action": "enrol",
        "activity_kind": "task",
        "subject_template": "Welcome {lead}",
        "due_in_days": "0",
        "created_at_0": "2026-01-01",
        "created_at_1": "10:00:00",
        "nurturing_action-TOTAL_FORMS": "1",
        "nurturing_action-INITIAL_FORMS": "0",
        "nurturing_action-MIN_NUM_FORMS": "0",
        "nurturing_action-MAX_NUM_FORMS": "1",
        "nurturing_action-0-template": "",
        "nurturing_action-0-sequence": "",
    }
    response = client.post(reverse("admin:activities_followuprule_add"), data)
    assert response.status_code == 200 and "needs its sequence" in response.content.decode()
    sequence = pages.sequence(admin, status=Sequence.Status.ACTIVE)
    response = client.post(
        reverse("admin:activities_followuprule_add"), data | {"nurturing_action-0-sequence": str(sequence.pk)}
    )
    assert response.status_code == 302, response.content.decode().split('class="errorlist')[1][:300]
    assert RuleAction.objects.get(rule__name="Enrol web leads").sequence == sequence


def test_the_retargeting_set_is_there_and_off(admin):
    rules = FollowUpRule.objects.filter(name__startswith="Retargeting")
    assert rules.count() == 3 and not rules.filter(is_active=True).exists()
    offer = rules.get(name=defaults.RULE_OFFER_EMAIL)
    assert offer.nurturing_action.template.language == "de"
    win_back = rules.get(name=defaults.RULE_WIN_BACK)
    assert win_back.trigger == "deal_lost_after" and win_back.idle_days == 90
    assert win_back.lost_reason is not None and win_back.lost_reason.name == "Price too high"
    # The test database had no admin at migration time: the command completes the set.
    sequence = defaults.ensure_retargeting_now()
    assert sequence.owner == admin and sequence.status == "active"
    assert list(sequence.steps.values_list("kind", flat=True)) == ["email", "wait", "email"]
    win_back.refresh_from_db()
    assert win_back.nurturing_action.sequence == sequence
    assert defaults.ensure_retargeting_now() == sequence  # idempotent
    assert EmailTemplate.objects.filter(name__in=defaults.TEMPLATES).count() == 3
    assert Step.objects.filter(sequence=sequence).count() == 3


def test_switched_on_the_win_back_enrols_contacts_lost_for_price(admin, rep):
    sequence = defaults.ensure_retargeting_now()
    FollowUpRule.objects.filter(name=defaults.RULE_WIN_BACK).update(
        is_active=True, created_at=NOW - timedelta(days=400)
    )
    contact = factories.ContactFactory(owner=rep, email_consent=Consent.GRANTED)  # sequences mail only with consent
    lost_deal(rep, days_ago=95, reason=LostReason.objects.get(name="Price too high"), contact=contact)
    fire()
    assert Enrolment.objects.get(sequence=sequence).contact == contact

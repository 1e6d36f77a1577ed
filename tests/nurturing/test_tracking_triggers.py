"""Counted clicks and downloads fire follow-up rules (the rule engine's registry)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities import services as rules
from activities import triggers
from activities.models import Activity, RuleFiring
from deals.models import Deal
from leads.models import Lead
from nurturing import tracking_services
from tests import factories
from tests.nurturing import builders

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"


def _rule(trigger, subject="Call {lead}{deal}"):
    rule = factories.FollowUpRuleFactory(trigger=trigger, subject_template=subject, due_in_days=1)
    rule.created_at = builders.T0 - timedelta(days=1)
    rule.save(update_fields=["created_at"])
    return rule


def _click(link, *, agent=BROWSER, minutes=5):
    return tracking_services.click_record(
        link=link, method="GET", user_agent=agent, now=builders.T0 + timedelta(minutes=minutes)
    )


def test_both_triggers_are_registered_with_the_rule_engine():
    assert {"link_clicked", "content_downloaded"} <= triggers.registered()


def test_a_counted_click_by_a_lead_creates_the_rules_activity_once(rep):
    lead = factories.LeadFactory(owner=rep, first_name="Lea", last_name="Lang")
    send = builders.send(lead=lead, sequence=builders.sequence(rep))
    link = builders.link(send, 1)
    rule = _rule("link_clicked")
    _click(link)
    _click(link, minutes=9)
    assert rules.rules_apply() == 1
    activity = Activity.objects.get(rule=rule)
    assert (activity.lead, activity.deal, activity.assignee, activity.subject) == (lead, None, rep, "Call Lea Lang")
    assert rules.rules_apply() == 0
    assert RuleFiring.objects.get().occurrence == f"nurture-click:{send.pk}"


def test_a_click_filtered_as_a_scanner_fires_nothing(rep):
    lead = factories.LeadFactory(owner=rep)
    link = builders.link(builders.send(lead=lead), 1)
    _rule("link_clicked")
    _click(link, agent="Mimecast URL Protect")
    _click(link, agent="")
    assert rules.rules_apply() == 0


def test_a_contacts_click_acts_on_their_newest_open_deal(rep, pipeline):
    contact = factories.ContactFactory(owner=rep)
    factories.DealFactory(contact=contact, owner=rep, title="Old", created_at=timezone.now() - timedelta(days=9))
    newest = factories.DealFactory(contact=contact, owner=rep, title="New")
    factories.DealFactory(contact=contact, owner=rep, title="Won", status=Deal.Status.WON, won_at=timezone.now())
    link = builders.link(builders.send(contact=contact), 1)
    _rule("link_clicked", subject="Follow up {deal}")
    _click(link)
    rules.rules_apply()
    assert Activity.objects.get().deal == newest


def test_a_contact_without_a_deal_falls_back_to_their_open_lead_and_else_is_no_occurrence(rep):
    with_lead, without = factories.ContactFactory(owner=rep), factories.ContactFactory(owner=rep)
    lead = factories.LeadFactory(owner=rep, contact=with_lead)
    factories.LeadFactory(owner=rep, contact=without, status=Lead.Status.DISQUALIFIED, disqualified_reason="No")
    _rule("link_clicked")
    _click(builders.link(builders.send(contact=with_lead), 1))
    _click(builders.link(builders.send(contact=without), 1))
    assert rules.rules_apply() == 1
    assert Activity.objects.get().lead == lead


def test_a_converted_leads_click_acts_on_its_deal(rep, pipeline):
    lead = factories.LeadFactory(owner=rep, status=Lead.Status.CONVERTED, converted_at=timezone.now())
    deal = factories.DealFactory(owner=rep, source_lead=lead)
    _rule("link_clicked")
    _click(builders.link(builders.send(lead=lead), 1))
    rules.rules_apply()
    assert (Activity.objects.get().deal, Activity.objects.get().lead) == (deal, None)


def test_a_download_fires_content_downloaded_once_per_document_and_a_page_link_does_not(rep):
    lead = factories.LeadFactory(owner=rep)
    send = builders.send(lead=lead)
    page = builders.link(send, 1, "https://example.org/pricing")
    paper = builders.link(send, 2, "https://example.org/whitepaper.pdf", is_download=True)
    deck = builders.link(send, 3, "https://example.org/deck.pptx", is_download=True)
    rule = _rule("content_downloaded", subject="Downloaded: {lead}")
    _click(page, minutes=5)
    _click(paper, minutes=6)
    _click(paper, minutes=7)
    assert rules.rules_apply() == 1
    assert RuleFiring.objects.get(rule=rule).occurrence == f"nurture-download:{paper.pk}"
    _click(deck, minutes=8)
    assert rules.rules_apply() == 1
    assert Activity.objects.filter(rule=rule).count() == 2


def test_clicks_before_the_rule_existed_do_not_fire_it(rep):
    lead = factories.LeadFactory(owner=rep)
    link = builders.link(builders.send(lead=lead), 1, "https://example.org/a.zip", is_download=True)
    _click(link)
    for trigger in ("link_clicked", "content_downloaded"):
        rule = factories.FollowUpRuleFactory(trigger=trigger, subject_template="x")
        assert list(rules.rule_occurrences(rule=rule, now=timezone.now())) == []

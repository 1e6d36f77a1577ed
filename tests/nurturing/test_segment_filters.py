"""The lists' filters a segment is made of: the ones the issue asks beyond what the contact and
lead lists had (company size, stage of a deal, lead source and persona for contacts; consent,
last activity and the converted deal's stage for leads)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Kind
from customers.models import Consent
from leads.models import Lead
from nurturing import segments
from tests import factories


def contacts(user, query):
    bound = segments.filterset(kind="contacts", query=query, user=user)
    assert bound.is_valid(), bound.errors
    return sorted(c.last_name for c in bound.qs)


def leads(user, query):
    bound = segments.filterset(kind="leads", query=query, user=user)
    assert bound.is_valid(), bound.errors
    return sorted(lead.last_name for lead in bound.qs)


@pytest.fixture
def people(rep, outsider, stages):
    small = factories.OrganizationFactory(size_band="10-49", owner=rep)
    large = factories.OrganizationFactory(size_band="250-999", owner=rep)
    return {
        "small": factories.ContactFactory(last_name="Small", organization=small, owner=rep),
        "large": factories.ContactFactory(last_name="Large", organization=large, owner=rep),
    }


def test_contacts_filter_by_the_size_of_their_organization(rep, people):
    assert contacts(rep, "size_band=10-49") == ["Small"]
    assert contacts(rep, "size_band=250-999") == ["Large"]


def test_contacts_filter_by_the_stage_of_an_open_deal_they_are_on(rep, outsider, people, stages):
    factories.DealFactory(owner=rep, contact=people["small"], stage=stages[2])
    factories.DealFactory(owner=rep, contact=people["large"], stage=stages[2], status="won", won_at=timezone.now())
    assert contacts(rep, f"deal_stage={stages[2].pk}") == ["Small"]
    assert contacts(rep, f"deal_stage={stages[0].pk}") == []


def test_a_deal_the_user_does_not_see_does_not_put_a_contact_in_a_stage(rep, outsider, people, stages):
    factories.DealFactory(owner=outsider, contact=people["small"], stage=stages[1])
    assert contacts(rep, f"deal_stage={stages[1].pk}") == []
    assert contacts(outsider, f"deal_stage={stages[1].pk}") == ["Small"]


def test_contacts_filter_by_the_source_and_persona_of_their_leads(rep, people):
    persona = factories.PersonaFactory(name="IT lead")
    factories.LeadFactory(owner=rep, contact=people["small"], source=Lead.Source.TRADE_FAIR, persona=persona)
    factories.LeadFactory(owner=rep, contact=people["large"], source=Lead.Source.WEBINAR)
    assert contacts(rep, "lead_source=trade_fair") == ["Small"]
    assert contacts(rep, "lead_source=webinar") == ["Large"]
    assert contacts(rep, f"persona={persona.pk}") == ["Small"]


def test_the_stage_choices_name_their_pipeline(client, rep, people, stages):
    client.force_login(rep)
    html = client.get(reverse("contacts:list")).content.decode()
    assert f"New business · {stages[0].name}" in html


def test_leads_filter_by_their_consent(rep):
    factories.LeadFactory(owner=rep, last_name="Granted", email_consent=Consent.GRANTED)
    factories.LeadFactory(owner=rep, last_name="Unknown")
    assert leads(rep, "email_consent=granted") == ["Granted"]
    assert leads(rep, "email_consent=unknown") == ["Unknown"]


def test_leads_filter_by_their_last_done_activity(rep):
    recent = factories.LeadFactory(owner=rep, last_name="Recent")
    old = factories.LeadFactory(owner=rep, last_name="Old")
    factories.LeadFactory(owner=rep, last_name="Never")
    now = timezone.now()
    factories.ActivityFactory(deal=None, lead=recent, kind=Kind.CALL, done_at=now - timedelta(days=3))
    factories.ActivityFactory(deal=None, lead=old, kind=Kind.CALL, done_at=now - timedelta(days=120))
    factories.ActivityFactory(deal=None, lead=old, kind=Kind.TASK, done_at=None, due_at=now)
    assert leads(rep, "activity=7") == ["Recent"]
    assert leads(rep, "activity=none90") == ["Never", "Old"]


def test_leads_filter_by_the_stage_of_the_deal_converted_from_them(rep, outsider, stages):
    converted = factories.LeadFactory(
        owner=rep, last_name="Converted", status=Lead.Status.CONVERTED, converted_at=timezone.now()
    )
    factories.LeadFactory(owner=rep, last_name="Open")
    factories.DealFactory(owner=rep, source_lead=converted, stage=stages[3])
    assert leads(rep, f"deal_stage={stages[3].pk}") == ["Converted"]
    assert leads(rep, f"deal_stage={stages[0].pk}") == []


def test_a_converted_deal_out_of_scope_hides_its_stage(rep, outsider, stages):
    converted = factories.LeadFactory(
        owner=rep, last_name="Converted", status=Lead.Status.CONVERTED, converted_at=timezone.now()
    )
    factories.DealFactory(owner=outsider, source_lead=converted, stage=stages[3])
    assert leads(rep, f"deal_stage={stages[3].pk}") == []


def test_the_lead_list_offers_the_new_filters(client, rep, stages):
    client.force_login(rep)
    html = client.get(reverse("leads:list")).content.decode()
    for name in ("email_consent", "activity", "deal_stage"):
        assert f'name="{name}"' in html

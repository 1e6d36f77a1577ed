"""The read-only organization page at /organizations/<id>/: visible to whoever sees one of
its deals or leads (admins: every one), with its deals, leads, contacts and timeline —
and nothing of the deals and leads the viewer may not see."""

import pytest
from django.urls import reverse

from activities import services as activity_services
from audit import context
from deals import services as deal_services
from leads import services as lead_services
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def acme(rep, outsider, stages):
    organization = factories.OrganizationFactory(name="Acme GmbH", industry="finance")
    factories.ContactFactory(organization=organization, first_name="Carla", last_name="Contact", job_title="CFO")
    factories.DealFactory(owner=rep, organization=organization, title="Acme rollout", stage=stages[1])
    won = factories.DealFactory(owner=rep, organization=organization, title="Acme pilot")
    deal_services.deal_win(deal_id=won.pk, version=1, actor=rep)
    factories.LeadFactory(owner=rep, organization=organization, first_name="Lena", last_name="Lead")
    secret = factories.DealFactory(owner=outsider, organization=organization, title="Secret expansion")
    with context.recorded_as(context.Source.WEB, actor=outsider):
        deal_services.deal_update(deal_id=secret.pk, version=1, actor=outsider, title="Secret expansion 2")
        activity_services.activity_create(actor=outsider, kind="call", subject="Hush call", deal=secret)
    factories.LeadFactory(owner=outsider, organization=organization, first_name="Hidden", last_name="Person")
    return organization


def page(client, organization):
    return client.get(reverse("organizations:detail", args=[organization.pk]))


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("rep", 200), ("teammate", 200), ("manager", 200), ("admin", 200), ("outsider", 200)],
)
def test_anyone_who_sees_one_of_its_deals_sees_the_organization(client, request, acme, viewer, status):
    client.force_login(request.getfixturevalue(viewer))
    assert page(client, acme).status_code == status


@pytest.mark.parametrize(("viewer", "status"), [("rep", 404), ("teammate", 404), ("manager", 404), ("admin", 200)])
def test_an_organization_without_visible_deals_or_leads_is_not_found(client, request, outsider, viewer, status):
    organization = factories.OrganizationFactory(name="Elsewhere AG")
    factories.DealFactory(owner=outsider, organization=organization)
    client.force_login(request.getfixturevalue(viewer))
    assert page(client, organization).status_code == status
    timeline = client.get(reverse("organizations:timeline", args=[organization.pk]), **HTMX)
    assert timeline.status_code == status


def test_a_visible_lead_is_enough(client, rep):
    organization = factories.OrganizationFactory()
    factories.LeadFactory(owner=rep, organization=organization)
    client.force_login(rep)
    assert page(client, organization).status_code == 200


def test_a_manager_sees_organizations_of_unassigned_leads(client, manager):
    organization = factories.OrganizationFactory()
    factories.LeadFactory(owner=None, organization=organization)
    client.force_login(manager)
    assert page(client, organization).status_code == 200


def test_the_page_lists_facts_deals_leads_and_contacts(client, rep, acme):
    client.force_login(rep)
    html = page(client, acme).content.decode()
    assert "Acme GmbH" in html and "Finance &amp; insurance" in html
    assert "Carla Contact" in html and "CFO" in html
    open_part = html.split('data-testid="organization-open-deals"')[1].split("</ul>")[0]
    closed_part = html.split('data-testid="organization-closed-deals"')[1].split("</ul>")[0]
    assert "Acme rollout" in open_part and "Acme pilot" not in open_part
    assert "Acme pilot" in closed_part and "Won" in closed_part
    assert "Lena Lead" in html
    assert 'data-testid="timeline"' in html


def test_nothing_of_a_hidden_deal_or_lead_leaks(client, rep, acme):
    client.force_login(rep)
    html = page(client, acme).content.decode()
    timeline = client.get(reverse("organizations:timeline", args=[acme.pk]), **HTMX).content.decode()
    for text in ("Secret expansion", "Hush call", "Hidden Person", "Charlie"):
        assert text not in html
        assert text not in timeline
    assert "Acme rollout" in timeline  # the visible deal's history is there


def test_the_owner_of_the_hidden_deal_sees_it(client, outsider, acme):
    client.force_login(outsider)
    timeline = client.get(reverse("organizations:timeline", args=[acme.pk]), **HTMX).content.decode()
    assert "Secret expansion 2" in timeline and "Hush call" in timeline
    assert "Acme rollout" not in timeline


def test_the_timeline_shows_the_organizations_and_its_contacts_changes(client, admin, rep, acme):
    with context.recorded_as(context.Source.ADMIN, actor=admin):
        acme.website = "https://acme.example"
        acme.save()
        contact = acme.contacts.get()
        contact.job_title = "CEO"
        contact.save()
    with context.recorded_as(context.Source.WEB, actor=rep):
        lead = acme.leads.get(first_name="Lena")
        lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="contacted")
    client.force_login(rep)
    html = client.get(reverse("organizations:timeline", args=[acme.pk]), **HTMX).content.decode()
    assert "<ins>https://acme.example</ins>" in html
    assert "<del>CFO</del> → <ins>CEO</ins>" in html and "Carla Contact" in html
    assert "<strong>Contacted</strong>" in html
    assert f'href="{reverse("leads:detail", args=[lead.pk])}"' in html


def test_an_unknown_organization_is_not_found(client, admin):
    client.force_login(admin)
    assert client.get("/organizations/999999/").status_code == 404

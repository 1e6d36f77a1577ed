"""The merged timeline of a deal and of a lead: field changes (readable and localised),
stage and status changes once, activities planned and done, newest first, keyset-paged."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from activities import services as activity_services
from audit import context
from deals import services as deal_services
from leads import services as lead_services
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def kinds(html):
    return re.findall(r'data-kind="(\w+)"', html)


def cursors(html):
    return re.findall(r"\?before=([\d.]+)", html)


@pytest.fixture
def deal(rep, stages):
    with context.recorded_as(context.Source.WEB, actor=rep):
        return deal_services.deal_create(
            title="Acme rollout", stage=stages[0], owner=rep, actor=rep, value=Decimal("1000"), organization=None
        )


def timeline(client, deal, **params):
    return client.get(reverse("timeline:deal", args=[deal.pk]), params, **HTMX).content.decode()


def test_deal_timeline_merges_every_kind_newest_first(client, rep, stages, deal):
    with context.recorded_as(context.Source.WEB, actor=rep):
        deal_services.deal_update(deal_id=deal.pk, version=1, actor=rep, value=Decimal("2500.50"))
        deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=2, actor=rep)
        activity = activity_services.activity_create(actor=rep, kind="call", subject="Kick-off call", deal=deal)
        activity_services.activity_complete(activity_id=activity.pk, actor=rep)
    client.force_login(rep)
    html = timeline(client, deal)
    # Done, planned, moved, the value change, created (fields), created (stage). The
    # activity's own audit entries belong to the activity: the planned and done items tell it.
    assert kinds(html) == ["done", "planned", "stage", "change", "change", "stage"]
    assert "Kick-off call" in html
    assert "Moved from Prospecting to First contact" in html


def test_field_changes_read_as_labels_names_and_local_formats(client, rep, teammate, manager, stages, deal):
    with context.recorded_as(context.Source.WEB, actor=manager):
        deal_services.deal_update(
            deal_id=deal.pk,
            version=1,
            actor=manager,
            value=Decimal("2500.50"),
            expected_close_date=date(2026, 12, 31),
            owner=teammate,
        )
    client.force_login(manager)
    english = timeline(client, deal)
    assert "<del>1,000.00 EUR</del> → <ins>2,500.50 EUR</ins>" in english
    assert "<del>Alice Adams</del> → <ins>Bob Brown</ins>" in english
    assert "<ins>31/12/2026</ins>" in english
    assert "Expected close date" in english
    german = client.get(reverse("timeline:deal", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="de", **HTMX).content.decode()
    assert "<del>1.000,00 EUR</del> → <ins>2.500,50 EUR</ins>" in german
    assert "Wert" in german and "Verantwortlicher" in german
    assert "<ins>31.12.2026</ins>" in german


def test_choices_show_their_labels(client, rep, deal):
    lead = factories.LeadFactory(owner=rep, industry="")
    with context.recorded_as(context.Source.WEB, actor=rep):
        lead_services.lead_update(lead_id=lead.pk, actor=rep, industry="finance", need=3)
    client.force_login(rep)
    html = client.get(reverse("timeline:lead", args=[lead.pk]), **HTMX).content.decode()
    assert "<del>—</del> → <ins>Finance &amp; insurance</ins>" in html
    assert "<del>unknown</del> → <ins>high</ins>" in html


def test_a_stage_change_shows_once(client, rep, stages, deal):
    deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    client.force_login(rep)
    html = timeline(client, deal)
    assert html.count("Moved from Prospecting to First contact") == 1
    assert kinds(html) == ["stage", "change", "stage"]  # moved, created (fields), created (stage)


def test_lead_timeline_shows_status_changes_field_changes_and_activities(client, rep):
    with context.recorded_as(context.Source.WEB, actor=rep):
        lead = lead_services.lead_create(actor=rep, owner=rep, last_name="Able", email="ann@able.example")
        lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="contacted")
        lead_services.lead_update(lead_id=lead.pk, actor=rep, job_title="CTO")
        activity_services.activity_create(actor=rep, kind="email", subject="Send the case study", lead=lead)
    client.force_login(rep)
    html = client.get(reverse("timeline:lead", args=[lead.pk]), **HTMX).content.decode()
    assert kinds(html) == ["planned", "change", "status", "change", "status"]
    assert "<del>—</del> → <ins>CTO</ins>" in html
    assert "<strong>Contacted</strong>" in html


def test_rule_and_import_entries_name_their_source(client, rep):
    raw = b"last_name,email\nAble,ann@able.example\n"
    lead_import = lead_services.lead_import_create(actor=rep, raw=raw, file_name="one.csv")
    lead_services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead = lead_import.created_by.leads.get()
    client.force_login(rep)
    html = client.get(reverse("timeline:lead", args=[lead.pk]), **HTMX).content.decode()
    assert re.search(r'data-testid="timeline-source">\s*Import', html)


@pytest.mark.parametrize(("viewer", "status"), [("rep", 200), ("teammate", 200), ("outsider", 404), ("admin", 200)])
def test_timelines_are_scoped_like_their_record(client, request, rep, deal, viewer, status):
    lead = factories.LeadFactory(owner=rep)
    client.force_login(request.getfixturevalue(viewer))
    assert client.get(reverse("timeline:deal", args=[deal.pk]), **HTMX).status_code == status
    assert client.get(reverse("timeline:lead", args=[lead.pk]), **HTMX).status_code == status


def test_paging_walks_every_item_once(client, rep, stages, deal, settings):
    settings.TIMELINE_PAGE_SIZE = 3
    for version, stage in enumerate(stages[1:5], start=1):
        deal_services.deal_move(deal_id=deal.pk, stage_id=stage.pk, version=version, actor=rep)
    for n in range(3):
        factories.ActivityFactory(deal=deal, subject=f"Task {n}", assignee=rep)
    client.force_login(rep)
    first = client.get(reverse("timeline:deal", args=[deal.pk]), **HTMX).content.decode()
    assert 'id="timeline-body"' in first  # the first page replaces the panel body
    seen, html = [], first
    while True:
        seen += re.findall(r'data-kind="\w+"', html)
        next_cursors = cursors(html)
        if not next_cursors:
            break
        html = timeline(client, deal, before=next_cursors[0])
        assert 'id="timeline-body"' not in html  # later pages are items appended to the list
    # 1 created (stage) + 1 created (fields) + 4 moves + 3 activities planned
    assert len(seen) == 9
    assert seen.count('data-kind="stage"') == 5


def test_older_entries_work_as_plain_pages_without_javascript(client, rep, stages, deal, settings):
    settings.TIMELINE_PAGE_SIZE = 2
    for version, stage in enumerate(stages[1:4], start=1):
        deal_services.deal_move(deal_id=deal.pk, stage_id=stage.pk, version=version, actor=rep)
    client.force_login(rep)
    page = client.get(reverse("timeline:deal", args=[deal.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" in html and "Older entries" in html
    assert len(kinds(html)) == 2
    older = client.get(reverse("timeline:deal", args=[deal.pk]), {"before": cursors(html)[0]}).content.decode()
    assert "<html" in older and len(kinds(older)) == 2
    assert set(re.findall(r"<time[^>]*>", older)).isdisjoint(re.findall(r"<time[^>]*>", html))


@pytest.mark.parametrize("cursor", ["junk", "1.2", "12.9.3", "1.1.-5"])
def test_a_broken_cursor_is_a_clear_400(client, rep, deal, cursor):
    client.force_login(rep)
    response = client.get(reverse("timeline:deal", args=[deal.pk]), {"before": cursor})
    assert response.status_code == 400
    assert "broken" in response.content.decode()


def test_deal_and_lead_pages_load_the_timeline_and_link_the_organization(client, rep, stages):
    organization = factories.OrganizationFactory(name="Acme GmbH")
    deal = factories.DealFactory(owner=rep, organization=organization)
    lead = factories.LeadFactory(owner=rep, organization=organization)
    client.force_login(rep)
    for url, timeline_url in (
        (reverse("deals:detail", args=[deal.pk]), reverse("timeline:deal", args=[deal.pk])),
        (reverse("leads:detail", args=[lead.pk]), reverse("timeline:lead", args=[lead.pk])),
    ):
        html = client.get(url).content.decode()
        assert f'hx-get="{timeline_url}"' in html
        assert f'<a href="{timeline_url}">' in html  # the link for browsers without JavaScript
        assert f'href="{reverse("organizations:detail", args=[organization.pk])}"' in html

"""Tags: filterable on every list and on the board (totals right), shown and changed on the
record pages (audited), managed by admins."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import LogEntry
from customers import services as customer_services
from customers.models import Tag
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hot():
    return factories.TagFactory(name="Hot", colour="red")


def test_the_organization_list_filters_by_tag(client, rep, hot):
    tagged = factories.OrganizationFactory(name="Tagged GmbH", owner=rep)
    factories.OrganizationFactory(name="Plain GmbH", owner=rep)
    tagged.tags.add(hot)
    client.force_login(rep)
    response = client.get(reverse("organizations:list"), {"tag": hot.pk})
    assert [o.name for o in response.context["page"]] == ["Tagged GmbH"]


def test_the_contact_list_filters_by_tag(client, rep, hot):
    tagged = factories.ContactFactory(last_name="Tagged", owner=rep)
    factories.ContactFactory(last_name="Plain", owner=rep)
    tagged.tags.add(hot)
    client.force_login(rep)
    response = client.get(reverse("contacts:list"), {"tag": hot.pk})
    assert [c.last_name for c in response.context["page"]] == ["Tagged"]


def test_the_lead_list_filters_by_tag(client, rep, hot):
    tagged = factories.LeadFactory(owner=rep, last_name="Tagged")
    factories.LeadFactory(owner=rep, last_name="Plain")
    tagged.tags.add(hot)
    client.force_login(rep)
    response = client.get(reverse("leads:list"), {"tag": hot.pk})
    assert [lead.last_name for lead in response.context["page"]] == ["Tagged"]


def test_the_deal_list_filters_by_tag(client, rep, hot, stages):
    tagged = factories.DealFactory(owner=rep, title="Tagged deal", stage=stages[0])
    factories.DealFactory(owner=rep, title="Plain deal", stage=stages[0])
    tagged.tags.add(hot)
    client.force_login(rep)
    response = client.get(reverse("deals:list"), {"tag": hot.pk})
    assert [d.title for d in response.context["page"]] == ["Tagged deal"]


def test_the_board_totals_follow_the_tag_filter(client, rep, hot, stages):
    """The summary table knows no tags: the board falls back to the aggregate over the deals."""
    first = factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("1000"))
    factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("5000"))
    second = factories.DealFactory(owner=rep, stage=stages[1], value=Decimal("300"))
    first.tags.add(hot)
    second.tags.add(hot, factories.TagFactory())  # two tags: still counted once
    client.force_login(rep)
    columns = client.get(reverse("deals:board"), {"tag": hot.pk}).context["columns"]
    by_stage = {c.stage.pk: c for c in columns}
    assert (by_stage[stages[0].pk].count, by_stage[stages[0].pk].total) == (1, Decimal("1000.00"))
    assert (by_stage[stages[1].pk].count, by_stage[stages[1].pk].total) == (1, Decimal("300.00"))
    assert sum(c.count for c in columns) == 2


def test_an_unknown_tag_filters_nothing_in(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(rep)
    response = client.get(reverse("deals:list"), {"tag": "999999"})
    assert response.status_code == 200
    assert len(response.context["page"]) == 0


def test_record_tags_are_added_and_removed_with_an_audit_entry(client, rep, hot, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(rep)
    url = reverse("lists:record_tags", args=["deals", deal.pk])
    response = client.post(url, {"add": hot.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'class="chip chip-red"' in response.content.decode()
    assert list(deal.tags.all()) == [hot]
    client.post(url, {"remove": hot.pk})
    assert not deal.tags.exists()
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(deal), object_id=deal.pk, changes__has_key="tags"
    ).order_by("pk")
    assert [e.changes["tags"] for e in entries] == [["", "Hot"], ["Hot", ""]]
    assert entries[0].actor == rep


def test_a_teammate_sees_the_tags_but_may_not_change_them(client, rep, teammate, hot, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    deal.tags.add(hot)
    client.force_login(teammate)
    url = reverse("lists:record_tags", args=["deals", deal.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Hot" in page.content.decode() and "tag-add" not in page.content.decode()
    assert client.post(url, {"remove": hot.pk}).status_code == 403
    assert list(deal.tags.all()) == [hot]


def test_record_tags_outside_the_scope_are_not_found(client, outsider, rep, hot, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(outsider)
    assert client.post(reverse("lists:record_tags", args=["deals", deal.pk]), {"add": hot.pk}).status_code == 404
    assert not deal.tags.exists()


@pytest.mark.parametrize("list_key", ["leads", "organizations", "contacts"])
def test_the_record_pages_load_their_tags(client, rep, hot, list_key):
    record = {
        "leads": lambda: factories.LeadFactory(owner=rep),
        "organizations": lambda: factories.OrganizationFactory(owner=rep),
        "contacts": lambda: factories.ContactFactory(owner=rep),
    }[list_key]()
    record.tags.add(hot)
    client.force_login(rep)
    response = client.get(reverse("lists:record_tags", args=[list_key, record.pk]))
    assert response.status_code == 200
    assert 'data-testid="tag-chip"' in response.content.decode()


def test_an_admin_creates_renames_and_deletes_a_tag(client, admin):
    client.force_login(admin)
    assert client.post(reverse("lists:tags"), {"name": "  Key   account ", "colour": "green"}).status_code == 302
    tag = Tag.objects.get()
    assert (tag.name, tag.colour) == ("Key account", "green")
    assert client.post(reverse("lists:tag_edit", args=[tag.pk]), {"name": "VIP", "colour": "purple"}).status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("VIP", "purple")
    assert client.post(reverse("lists:tag_delete", args=[tag.pk])).status_code == 302
    assert not Tag.objects.exists()


def test_tag_names_are_unique_whatever_their_case(client, admin, hot):
    client.force_login(admin)
    response = client.post(reverse("lists:tags"), {"name": "HOT", "colour": "blue"})
    assert response.status_code == 400
    assert Tag.objects.count() == 1


def test_a_colour_outside_the_palette_is_refused(client, admin):
    client.force_login(admin)
    assert client.post(reverse("lists:tags"), {"name": "Odd", "colour": "#ff00ff"}).status_code == 400
    assert not Tag.objects.exists()


def test_only_admins_manage_tags(rep, manager):
    for user in (rep, manager):
        with pytest.raises(PermissionDenied):
            customer_services.tag_create(actor=user, name="Mine")


def test_the_service_refuses_a_blank_name(admin):
    with pytest.raises(ValidationError):
        customer_services.tag_create(actor=admin, name="   ")

"""The deal detail page: edit form, outcome buttons, timeline, activities panel."""

from datetime import timedelta

import pytest
from django.urls import reverse

from deals import services
from deals.models import CloseDateChange
from tests import factories


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")


def edit(client, deal, **changes):
    data = {
        "title": deal.title,
        "organization": deal.organization_id,
        "value": str(deal.value),
        "expected_close_date": deal.expected_close_date.isoformat(),
        "probability": "",
        "version": deal.version,
        **changes,
    }
    return client.post(reverse("deals:detail", args=[deal.pk]), data)


@pytest.mark.parametrize(
    ("viewer", "status", "editable"),
    [
        ("rep", 200, True),
        ("teammate", 200, False),
        ("outsider", 404, False),
        ("manager", 200, True),
        ("admin", 200, True),
    ],
)
def test_detail_page_per_role(client, request, deal, viewer, status, editable):
    client.force_login(request.getfixturevalue(viewer))
    response = client.get(reverse("deals:detail", args=[deal.pk]))
    assert response.status_code == status
    if status == 200:
        assert ('class="form-stack deal-edit"' in response.content.decode()) is editable


def test_detail_page_loads_the_timeline_and_the_activities_panel(client, rep, deal, stages):
    services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    timeline_url = reverse("timeline:deal", args=[deal.pk])
    assert f'hx-get="{timeline_url}"' in page
    assert 'id="activities-panel"' in page
    timeline = client.get(timeline_url, headers={"HX-Request": "true"}).content.decode()
    assert f"Moved from {stages[0].name} to {stages[1].name}" in timeline


def test_edit_of_the_close_date_writes_a_close_date_change(client, rep, deal):
    client.force_login(rep)
    new_date = deal.expected_close_date + timedelta(days=10)
    response = edit(client, deal, expected_close_date=new_date.isoformat())
    assert response.status_code == 302
    assert CloseDateChange.objects.get(deal=deal).new_date == new_date


def test_edit_with_stale_version_changes_nothing_and_keeps_the_input(client, rep, manager, deal):
    services.deal_update(deal_id=deal.pk, version=1, actor=manager, title="Renamed elsewhere")
    client.force_login(rep)
    response = edit(client, deal, title="My title", version=1)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Maria Miller changed this deal while you were editing it" in page
    assert 'value="My title"' in page  # the user's input is not lost
    assert 'name="version" value="2"' in page  # a second save keeps it, knowingly
    deal.refresh_from_db()
    assert deal.title == "Renamed elsewhere"
    assert edit(client, deal, title="My title", version=2).status_code == 302
    deal.refresh_from_db()
    assert deal.title == "My title"


def test_edit_with_invalid_value_rerenders_the_form(client, rep, deal):
    client.force_login(rep)
    response = edit(client, deal, value="-3")
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_edit_by_a_teammate_is_forbidden(client, teammate, deal):
    client.force_login(teammate)
    assert edit(client, deal, title="Hijack").status_code == 403
    deal.refresh_from_db()
    assert deal.title == "Acme rollout"


def test_manager_reassigns_through_the_form(client, manager, teammate, deal):
    client.force_login(manager)
    response = edit(client, deal, owner=teammate.pk)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner == teammate


def test_rep_form_has_no_owner_field(client, rep, deal):
    client.force_login(rep)
    assert 'name="owner"' not in client.get(reverse("deals:detail", args=[deal.pk])).content.decode()


@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_edit_form_shows_the_close_date_in_the_date_pickers_iso_format(client, rep, stages, language):
    from datetime import date

    deal = factories.DealFactory(owner=rep, stage=stages[0], expected_close_date=date(2027, 2, 17))
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'type="date"' in page
    assert 'value="2027-02-17"' in page

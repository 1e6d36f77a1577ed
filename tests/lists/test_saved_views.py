"""Saved views: the list's filters and columns under a name, private or shared with the team."""

import pytest
from django.urls import reverse

from accounts import saved_views
from accounts.models import SavedView
from tests import factories

pytestmark = pytest.mark.django_db


def save(client, list_key="deals", name="Big ones", query="status=all&q=Big&cols=value&cols=owner", shared=False):
    data = {"name": name, "query": query}
    if shared:
        data["shared"] = "on"
    return client.post(reverse("lists:view_save", args=[list_key]), data)


def test_saving_keeps_the_lists_own_parameters_and_opens_the_list(client, rep):
    client.force_login(rep)
    response = save(client, query="status=all&q=Big&page=3&evil=1&cols=value&cols=owner&region=")
    view = SavedView.objects.get()
    assert (view.owner, view.list_key, view.name, view.shared) == (rep, "deals", "Big ones", False)
    assert view.query == "status=all&q=Big&cols=value&cols=owner"
    assert view.columns == ["value", "owner"]
    assert response["Location"] == reverse("deals:list") + "?" + view.query


def test_opening_a_view_shows_its_filtered_rows_and_columns(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0], title="Big deal")
    factories.DealFactory(owner=rep, stage=stages[0], title="Small deal")
    client.force_login(rep)
    save(client)
    view = SavedView.objects.get()
    response = client.get(reverse("lists:view_open", args=[view.pk]), follow=True)
    assert [d.title for d in response.context["page"]] == ["Big deal"]
    assert response.context["columns"] == ["value", "owner"]


@pytest.mark.parametrize("list_key", ["leads", "organizations", "contacts"])
def test_every_list_saves_its_views(client, rep, list_key):
    client.force_login(rep)
    response = save(client, list_key=list_key, query="q=Acme&cols=owner")
    assert response.status_code == 302
    view = SavedView.objects.get()
    assert view.query == "q=Acme&cols=owner"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["columns"] == ["owner"]


def test_a_private_view_is_its_owners_only(client, rep, teammate, manager, admin):
    client.force_login(rep)
    save(client)
    view = SavedView.objects.get()
    for user in (teammate, manager, admin):
        client.force_login(user)
        assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 404
        assert view.name not in client.get(reverse("lists:toolbar", args=["deals"])).content.decode()


def test_a_shared_view_is_seen_by_the_team_and_its_manager(client, rep, teammate, manager, outsider, manager_south):
    client.force_login(rep)
    save(client, shared=True)
    view = SavedView.objects.get()
    for user in (teammate, manager):
        assert [v.pk for v in saved_views.saved_views_for_user(user=user, list_key="deals")] == [view.pk]
        client.force_login(user)
        assert client.get(reverse("lists:view_open", args=[view.pk])).status_code == 302
    for user in (outsider, manager_south):
        assert not saved_views.saved_views_for_user(user=user, list_key="deals").exists()
    # …and only on its own list.
    assert not saved_views.saved_views_for_user(user=teammate, list_key="leads").exists()


def test_only_the_owner_renames_shares_or_deletes_a_view(client, rep, teammate):
    client.force_login(rep)
    save(client, shared=True)
    view = SavedView.objects.get()
    client.force_login(teammate)
    assert client.post(reverse("lists:view_update", args=[view.pk]), {"name": "Mine"}).status_code == 403
    assert client.post(reverse("lists:view_delete", args=[view.pk])).status_code == 403
    client.force_login(rep)
    assert client.post(reverse("lists:view_update", args=[view.pk]), {"name": "Renamed"}).status_code == 302
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Renamed", False)
    assert client.post(reverse("lists:view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_names_are_unique_per_owner_and_list_whatever_the_case(client, rep, teammate):
    client.force_login(rep)
    save(client)
    response = save(client, name="BIG ONES")
    assert response.status_code == 400
    assert "already" in response.content.decode()
    assert save(client, list_key="leads", query="", name="Big ones").status_code == 302
    client.force_login(teammate)
    assert save(client).status_code == 302
    assert SavedView.objects.count() == 3


def test_a_blank_name_is_refused(client, rep):
    client.force_login(rep)
    assert save(client, name="   ").status_code == 400
    assert not SavedView.objects.exists()


def test_an_unknown_list_is_not_found(client, rep):
    client.force_login(rep)
    assert save(client, list_key="nothing").status_code == 404

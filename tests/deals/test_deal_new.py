"""The header's "+ Deal" page: a new deal of the user's own in a chosen stage."""

import pytest
from django.urls import reverse

from deals.models import Deal
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages():
    return factories.default_stages()


def test_new_deal_page_preselects_the_stage_from_the_query(client, stages):
    rep = factories.UserFactory()
    client.force_login(rep)
    response = client.get(reverse("deals:new"), {"stage": stages[2].pk})
    assert response.status_code == 200
    assert response.context["form"]["stage"].value() == stages[2].pk
    assert f'<option value="{stages[2].pk}" selected>' in response.content.decode()


def test_new_deal_is_created_in_the_chosen_stage_for_the_user(client, stages):
    rep = factories.UserFactory()
    client.force_login(rep)
    response = client.post(
        reverse("deals:new"),
        {"title": "Header deal", "stage": stages[3].pk, "organization": "Newco", "value": "1200"},
    )
    deal = Deal.objects.get(title="Header deal")
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])
    assert (deal.stage, deal.owner, deal.organization.name, str(deal.value)) == (stages[3], rep, "Newco", "1200.00")


def test_new_deal_without_a_title_shows_the_form_again(client, stages):
    client.force_login(factories.UserFactory())
    response = client.post(reverse("deals:new"), {"title": "", "stage": stages[0].pk})
    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert not Deal.objects.exists()


def test_new_deal_refuses_a_stage_of_an_inactive_pipeline(client, stages):
    client.force_login(factories.UserFactory())
    stages[0].pipeline.__class__.objects.filter(pk=stages[0].pipeline_id).update(is_active=False)
    response = client.post(reverse("deals:new"), {"title": "X", "stage": stages[0].pk})
    assert response.status_code == 400
    assert response.context["form"].errors["stage"]


def test_new_deal_htmx_gets_the_form_only(client, stages):
    client.force_login(factories.UserFactory())
    response = client.get(reverse("deals:new"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'data-testid="new-deal-form"' in response.content


# --- the board's saved views (list key "deals") ----------------------------------------------


def test_board_views_menu_opens_deal_list_views_as_board_links(client, stages):
    from accounts import saved_views

    rep = factories.UserFactory()
    saved_views.saved_view_create(owner=rep, list_key="deals", name="Big ones", query="q=Acme&o=-value&cols=stage")
    client.force_login(rep)
    pipeline = stages[0].pipeline
    response = client.get(reverse("deals:board_views", args=[pipeline.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    board = reverse("deals:board_pipeline", args=[pipeline.pk])
    assert f'href="{board}?q=Acme" data-testid="board-saved-view">Big ones</a>' in response.content.decode()


def test_saving_the_board_filters_keeps_only_board_filters(client, stages):
    from accounts.models import SavedView

    rep = factories.UserFactory()
    client.force_login(rep)
    pipeline = stages[0].pipeline
    response = client.post(
        reverse("deals:board_views", args=[pipeline.pk]),
        {"name": "Mine", "query": "owner=me&q=&evil=1&page=2"},
    )
    view = SavedView.objects.get(owner=rep)
    assert (view.name, view.list_key, view.query) == ("Mine", "deals", "owner=me")
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:board_pipeline", args=[pipeline.pk]) + "?owner=me"


def test_saving_a_board_view_without_a_name_is_refused(client, stages):
    from accounts.models import SavedView

    client.force_login(factories.UserFactory())
    response = client.post(reverse("deals:board_views", args=[stages[0].pipeline.pk]), {"name": " "})
    assert response.status_code == 400
    assert not SavedView.objects.exists()


def test_another_teams_shared_view_is_not_offered_on_the_board(client, stages):
    from accounts import saved_views

    owner = factories.UserFactory(team=factories.TeamFactory())
    saved_views.saved_view_create(owner=owner, list_key="deals", name="Theirs", query="q=x", shared=True)
    client.force_login(factories.UserFactory(team=factories.TeamFactory()))
    response = client.get(reverse("deals:board_views", args=[stages[0].pipeline.pk]))
    assert b"Theirs" not in response.content

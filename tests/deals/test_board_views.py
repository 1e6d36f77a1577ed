"""The board page, its partials and the move endpoint over HTTP, for every role."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Deal, DealProduct, StageChange
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout", value=Decimal("1000"))


def board_url(pipeline, query=""):
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    return f"{url}?{query}" if query else url


def move(client, deal, stage, version=1, **extra):
    return client.post(reverse("deals:move", args=[deal.pk]), {"stage": stage.pk, "version": version, **extra}, **HTMX)


def html(response):
    return response.content.decode()


# --- the page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("rep", True), ("teammate", True), ("outsider", False), ("manager", True), ("admin", True)],
)
def test_board_shows_deals_in_the_viewers_scope(client, request, deal, viewer, sees):
    client.force_login(request.getfixturevalue(viewer))
    response = client.get(reverse("deals:board"))
    assert response.status_code == 200
    assert (f'data-deal-id="{deal.pk}"' in html(response)) is sees


def test_board_has_one_column_per_stage_in_order(client, rep, stages):
    client.force_login(rep)
    page = html(client.get(reverse("deals:board")))
    positions = [page.index(f'class="board-column" data-stage-id="{s.pk}"') for s in stages]
    assert positions == sorted(positions)


def test_board_htmx_request_gets_the_board_partial(client, rep, deal, pipeline):
    client.force_login(rep)
    response = client.get(board_url(pipeline), **HTMX)
    assert response.status_code == 200
    assert html(response).lstrip().startswith('<div id="board"')
    assert "<html" not in html(response)
    assert f'data-deal-id="{deal.pk}"' in html(response)


def test_board_of_unknown_pipeline_is_not_found(client, rep):
    client.force_login(rep)
    assert client.get(reverse("deals:board_pipeline", args=[999999])).status_code == 404


def test_board_redirects_anonymous_users_to_login(client, pipeline):
    response = client.get(reverse("deals:board"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_column_totals_cover_every_deal_not_only_the_loaded_cards(client, rep, stages, bulk_deals):
    bulk_deals(30, owner=rep, stages=[stages[0]])
    client.force_login(rep)
    response = client.get(reverse("deals:board"))
    column = next(c for c in response.context["columns"] if c.stage == stages[0])
    assert len(column.cards) == 25
    assert column.has_more
    assert (column.count, column.total, column.weighted) == (30, Decimal("30000.00"), Decimal("3000.00"))
    assert html(response).count("data-deal-id=") == 25


def test_weighted_value_uses_the_deals_probability_when_set(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("1000"), probability=50)
    factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("1000"))
    client.force_login(rep)
    column = client.get(reverse("deals:board")).context["columns"][0]
    assert column.weighted == Decimal("600.00")


def test_load_more_returns_the_next_page_by_cursor(client, rep, stages, pipeline, bulk_deals):
    deals = bulk_deals(30, owner=rep, stages=[stages[0]])
    client.force_login(rep)
    first = client.get(reverse("deals:board")).context["columns"][0]
    url = reverse("deals:column_more", args=[pipeline.pk, stages[0].pk])
    response = client.get(url, {"after": first.cursor}, **HTMX)
    assert response.status_code == 200
    assert [d.pk for d in response.context["cards"]] == [d.pk for d in deals[25:]]
    assert not response.context["has_more"]


def test_load_more_with_a_junk_cursor_is_a_bad_request(client, rep, stages, pipeline):
    client.force_login(rep)
    url = reverse("deals:column_more", args=[pipeline.pk, stages[0].pk])
    assert client.get(url, {"after": "junk"}, **HTMX).status_code == 400


def test_cards_show_owner_initials_value_and_signals(client, rep, deal):
    factories.ActivityFactory(deal=deal, due_at=deal.created_at.replace(year=2000))
    client.force_login(rep)
    page = html(client.get(reverse("deals:board")))
    assert ">AA<" in page
    assert 'data-signal="overdue"' in page
    assert "1,000 EUR" in page


def test_card_is_marked_rotting_after_the_stages_rotting_days(client, rep, deal):
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=deal.stage_entered_at.replace(year=2000))
    client.force_login(rep)
    assert 'data-testid="rotting"' in html(client.get(reverse("deals:board")))


def test_title_markup_is_escaped(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0], title="<img src=x onerror=alert(1)>")
    client.force_login(rep)
    page = html(client.get(reverse("deals:board")))
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- filters --------------------------------------------------------------------------------


def test_filter_owner_me_drives_cards_and_totals(client, rep, teammate, stages, pipeline):
    factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("100"))
    factories.DealFactory(owner=teammate, stage=stages[0], value=Decimal("900"))
    client.force_login(rep)
    column = client.get(board_url(pipeline, "owner=me")).context["columns"][0]
    assert (column.count, column.total, [d.owner_id for d in column.cards]) == (1, Decimal("100.00"), [rep.pk])


def test_filter_status_defaults_to_open_and_shows_closed_deals_on_request(client, rep, stages, pipeline):
    from django.utils import timezone

    won = factories.DealFactory(owner=rep, stage=stages[0], status="won", won_at=timezone.now())
    client.force_login(rep)
    assert f'data-deal-id="{won.pk}"' not in html(client.get(board_url(pipeline)))
    assert f'data-deal-id="{won.pk}"' in html(client.get(board_url(pipeline, "status=won")))


def test_filter_text_searches_title_and_organization(client, rep, stages, pipeline):
    by_title = factories.DealFactory(owner=rep, stage=stages[0], title="Globex rollout")
    by_org = factories.DealFactory(
        owner=rep, stage=stages[0], organization=factories.OrganizationFactory(name="Globex")
    )
    other = factories.DealFactory(owner=rep, stage=stages[0], title="Initech")
    client.force_login(rep)
    page = html(client.get(board_url(pipeline, "q=globex")))
    assert f'data-deal-id="{by_title.pk}"' in page and f'data-deal-id="{by_org.pk}"' in page
    assert f'data-deal-id="{other.pk}"' not in page


def test_filter_region_product_and_close_dates(client, rep, stages, pipeline):
    product = factories.ProductFactory()
    match = factories.DealFactory(
        owner=rep, stage=stages[0], organization=factories.OrganizationFactory(region="south")
    )
    DealProduct.objects.create(deal=match, product=product, unit_price=1)
    factories.DealFactory(owner=rep, stage=stages[0], organization=factories.OrganizationFactory(region="south"))
    close = match.expected_close_date.isoformat()
    client.force_login(rep)
    response = client.get(board_url(pipeline, f"region=south&product={product.pk}&close_from={close}&close_to={close}"))
    assert [d.pk for c in response.context["columns"] for d in c.cards] == [match.pk]


def test_filter_with_invalid_input_shows_nothing_rather_than_everything(client, rep, deal, pipeline):
    client.force_login(rep)
    response = client.get(board_url(pipeline, "close_from=not-a-date"))
    assert response.status_code == 200
    assert f'data-deal-id="{deal.pk}"' not in html(response)


# --- the move endpoint ------------------------------------------------------------------------


def test_move_answers_200_with_both_columns_out_of_band(client, rep, deal, stages):
    client.force_login(rep)
    response = move(client, deal, stages[1], from_stage=stages[0].pk)
    assert response.status_code == 200
    page = html(response)
    assert f'id="column-{stages[0].pk}"' in page and f'id="column-{stages[1].pk}"' in page
    assert page.count('hx-swap-oob="true"') == 2
    assert "moved" in page
    assert StageChange.objects.filter(deal=deal, kind="moved").count() == 1


def test_move_with_stale_version_answers_409_with_fresh_columns_and_who_changed_it(client, rep, manager, deal, stages):
    Deal.objects.filter(pk=deal.pk).update(stage=stages[2], version=3, updated_by=manager)
    client.force_login(rep)
    response = move(client, deal, stages[1], version=1, from_stage=stages[0].pk)
    assert response.status_code == 409
    page = html(response)
    assert "This deal was changed by Maria Miller" in page
    # The card lands where the server says it is: in stage 3's column, at version 3.
    column_2 = page[page.index(f'id="column-{stages[2].pk}"') :]
    assert f'data-deal-id="{deal.pk}" data-version="3"' in column_2
    assert not StageChange.objects.filter(deal=deal, kind="moved").exists()


@pytest.mark.parametrize(("actor", "status"), [("teammate", 403), ("outsider", 404), ("manager", 200), ("admin", 200)])
def test_move_answers_per_role(client, request, deal, stages, actor, status):
    client.force_login(request.getfixturevalue(actor))
    response = move(client, deal, stages[1])
    assert response.status_code == status
    assert StageChange.objects.filter(deal=deal, kind="moved").exists() is (status == 200)


def test_move_to_a_stage_of_another_pipeline_is_a_bad_request(client, rep, deal, other_pipeline_stage):
    client.force_login(rep)
    response = move(client, deal, other_pipeline_stage)
    assert response.status_code == 400
    assert "another pipeline" in html(response)
    deal.refresh_from_db()
    assert deal.version == 1


def test_move_of_a_closed_deal_is_a_bad_request_with_a_message(client, rep, stages):
    from django.utils import timezone

    deal = factories.DealFactory(owner=rep, stage=stages[0], status="won", won_at=timezone.now())
    client.force_login(rep)
    response = move(client, deal, stages[1])
    assert response.status_code == 400
    assert "closed" in html(response)


def test_move_without_version_is_a_bad_request(client, rep, deal, stages):
    client.force_login(rep)
    response = client.post(reverse("deals:move", args=[deal.pk]), {"stage": stages[1].pk}, **HTMX)
    assert response.status_code == 400


def test_move_without_javascript_redirects_to_the_board_with_the_filters(client, rep, deal, stages, pipeline):
    client.force_login(rep)
    response = client.post(reverse("deals:move", args=[deal.pk]) + "?owner=me", {"stage": stages[1].pk, "version": 1})
    assert response.status_code == 302
    assert response["Location"] == board_url(pipeline, "owner=me")
    deal.refresh_from_db()
    assert deal.stage == stages[1]


@pytest.mark.parametrize(("actor", "status"), [("rep", 200), ("teammate", 403), ("outsider", 404)])
def test_move_form_per_role(client, request, deal, actor, status):
    client.force_login(request.getfixturevalue(actor))
    assert client.get(reverse("deals:move", args=[deal.pk])).status_code == status


def test_move_form_htmx_partial_is_the_dialog(client, rep, deal):
    client.force_login(rep)
    response = client.get(reverse("deals:move", args=[deal.pk]), **HTMX)
    assert html(response).lstrip().startswith('<div class="move-dialog"')


# --- won, lost, reopen, quick add ---------------------------------------------------------------


def test_win_from_the_board_removes_the_card(client, rep, deal):
    client.force_login(rep)
    response = client.post(reverse("deals:win", args=[deal.pk]), {"version": 1, "from": "board"}, **HTMX)
    assert response.status_code == 200
    assert f'data-deal-id="{deal.pk}"' not in html(response)
    deal.refresh_from_db()
    assert deal.status == "won"


def test_lose_without_a_reason_is_a_bad_request(client, rep, deal):
    client.force_login(rep)
    response = client.post(reverse("deals:lose", args=[deal.pk]), {"version": 1, "from": "board"}, **HTMX)
    assert response.status_code == 400
    assert "lost" in html(response)
    deal.refresh_from_db()
    assert deal.status == "open"


def test_lose_from_the_detail_page_redirects_back(client, rep, deal):
    reason = factories.LostReasonFactory()
    client.force_login(rep)
    response = client.post(reverse("deals:lose", args=[deal.pk]), {"version": 1, "reason": reason.pk})
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])
    deal.refresh_from_db()
    assert deal.lost_reason == reason


def test_reopen_by_a_teammate_is_forbidden(client, rep, teammate, deal):
    reason = factories.LostReasonFactory()
    client.force_login(rep)
    client.post(reverse("deals:lose", args=[deal.pk]), {"version": 1, "reason": reason.pk})
    client.force_login(teammate)
    response = client.post(reverse("deals:reopen", args=[deal.pk]), {"version": 2, "from": "board"}, **HTMX)
    assert response.status_code == 403


def test_quick_add_creates_a_deal_owned_by_the_user_in_the_column(client, rep, stages, pipeline):
    client.force_login(rep)
    url = reverse("deals:quick_add", args=[pipeline.pk, stages[1].pk])
    response = client.post(url, {"title": "Fresh", "organization": "Hooli", "value": "2500"}, **HTMX)
    assert response.status_code == 200
    deal = Deal.objects.get(title="Fresh")
    assert (deal.owner, deal.stage, deal.value, deal.organization.name) == (rep, stages[1], Decimal("2500"), "Hooli")
    assert f'data-deal-id="{deal.pk}"' in html(response)


def test_quick_add_without_title_is_a_bad_request_and_adds_nothing(client, rep, stages, pipeline):
    client.force_login(rep)
    url = reverse("deals:quick_add", args=[pipeline.pk, stages[1].pk])
    response = client.post(url, {"title": "", "value": "-5"}, **HTMX)
    assert response.status_code == 400
    assert not Deal.objects.exists()


def test_cards_offer_move_won_and_lost_as_plain_links_and_forms(client, rep, deal):
    client.force_login(rep)
    page = html(client.get(reverse("deals:board")))
    assert f'action="{reverse("deals:win", args=[deal.pk])}"' in page
    assert f'href="{reverse("deals:move", args=[deal.pk])}?outcome=lost"' in page
    assert f'href="{reverse("deals:move", args=[deal.pk])}"' in page


def test_filter_segments_industry_size_decision_role_persona_and_source(client, rep, stages, pipeline):
    persona = factories.PersonaFactory(name="Head of Sales")
    lead = factories.LeadFactory(owner=rep, persona=persona, source="webinar")
    organization = factories.OrganizationFactory(industry="logistics", size_band="50-249")
    contact = factories.ContactFactory(organization=organization, decision_role="decision_maker")
    match = factories.DealFactory(
        owner=rep, stage=stages[0], organization=organization, contact=contact, source_lead=lead
    )
    factories.DealFactory(owner=rep, stage=stages[0], organization=factories.OrganizationFactory(industry="retail"))
    client.force_login(rep)
    for query in (
        "industry=logistics",
        "size=50-249",
        "decision_role=decision_maker",
        f"persona={persona.pk}",
        "source=webinar",
    ):
        response = client.get(board_url(pipeline, query))
        assert [d.pk for c in response.context["columns"] for d in c.cards] == [match.pk], query

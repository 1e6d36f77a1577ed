"""The board's column header and card actions of issue 16: the stage's description, no weighted
value for closed deals, "Add a deal" above the cards, the Won question."""

import pytest
from django.urls import reverse

from deals import services
from deals.models import Stage
from tests import factories

pytestmark = pytest.mark.django_db


def column_markup(page, stage):
    start = page.index(f'id="column-{stage.pk}"')
    return page[start : page.index("</section>", start)]


def test_column_header_shows_the_stage_description(client, rep, stages):
    Stage.objects.filter(pk=stages[0].pk).update(description="Find companies that need us.")
    Stage.objects.filter(pk=stages[1].pk).update(description="")  # an admin cleared the default one
    client.force_login(rep)
    page = client.get(reverse("deals:board")).content.decode()
    assert "Find companies that need us." in column_markup(page, stages[0])
    assert 'data-testid="stage-description"' not in column_markup(page, stages[1])


def test_deal_page_shows_what_to_do_in_its_stage_while_open(client, rep, stages):
    Stage.objects.filter(pk=stages[0].pk).update(description="Find companies that need us.")
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(rep)
    assert b"Find companies that need us." in client.get(reverse("deals:detail", args=[deal.pk])).content
    services.deal_win(deal_id=deal.pk, version=deal.version, actor=rep)
    assert b"Find companies that need us." not in client.get(reverse("deals:detail", args=[deal.pk])).content


@pytest.mark.parametrize("status", ["won", "lost", "all"])
def test_closed_deals_board_shows_no_weighted_value(client, rep, stages, status):
    client.force_login(rep)
    page = client.get(reverse("deals:board"), {"status": status}).content.decode()
    assert 'data-testid="column-weighted"' not in page
    assert 'data-testid="column-total"' in page


def test_open_board_shows_weighted_values(client, rep, stages):
    client.force_login(rep)
    page = client.get(reverse("deals:board")).content.decode()
    assert page.count('data-testid="column-weighted"') == len(stages)


def test_add_a_deal_sits_above_the_cards(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(rep)
    markup = column_markup(client.get(reverse("deals:board")).content.decode(), stages[0])
    assert markup.index('class="quick-add"') < markup.index('class="card-list"')


def test_header_offers_a_new_deal(client, rep, stages):
    client.force_login(rep)
    page = client.get(reverse("deals:list")).content.decode()
    assert f'href="{reverse("deals:new")}" data-testid="new-deal"' in page


def test_move_dialog_asks_before_marking_won(client, rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme")
    client.force_login(rep)
    page = client.get(reverse("deals:move", args=[deal.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-confirm="Mark “Acme” as won?"' in page

"""The board's read side: paging order, lazy loads, the ETag."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals import selectors
from deals.models import Deal
from tests import factories


def test_cards_carry_only_their_row_and_cannot_load_more(rep, stages):
    organization = factories.OrganizationFactory(name="Acme")
    factories.DealFactory(owner=rep, stage=stages[0], organization=organization)
    filterset = selectors.board_filter(user=rep, pipeline=stages[0].pipeline_id, data={})
    with CaptureQueriesContext(connection) as captured:
        (card,) = selectors.board_cards(filterset=filterset, stage_ids=[stages[0].pk])
        assert (card.owner.username, str(card.owner), card.owner.initials) == ("alice", str(rep), rep.initials)
        assert card.organization.name == "Acme"
    assert len(captured) == 1  # owner and organization joined
    with pytest.raises(AttributeError):
        _ = card.stage  # not a model instance: nothing to load lazily


def test_keyset_pages_neither_skip_nor_repeat_cards_with_equal_positions(rep, stages):
    deals = [factories.DealFactory(owner=rep, stage=stages[0], position=1.0) for _ in range(60)]
    filterset = selectors.board_filter(user=rep, pipeline=stages[0].pipeline_id, data={})
    seen = []
    column = selectors.board_columns(filterset=filterset, pipeline=stages[0].pipeline_id)[0]
    seen += [d.pk for d in column.cards]
    cursor, has_more = selectors.cursor_decode(column.cursor), column.has_more
    while has_more:
        cards, has_more = selectors.column_page(filterset=filterset, stage=stages[0], cursor=cursor)
        seen += [d.pk for d in cards]
        cursor = selectors.cursor_decode(selectors.cursor_encode(cards[-1]))
    assert seen == [d.pk for d in deals]


def test_cursor_decode_rejects_junk():
    assert selectors.cursor_decode("1.5_x") is None
    assert selectors.cursor_decode(None) is None
    assert selectors.cursor_decode("2.25_7") == (2.25, 7)


def test_page_and_poll_agree_on_the_signatures(rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0])
    factories.DealFactory(owner=rep, stage=stages[3])
    filterset = selectors.board_filter(user=rep, pipeline=stages[0].pipeline_id, data={})
    columns = selectors.board_columns(filterset=filterset, pipeline=stages[0].pipeline_id)
    from_page = {c.stage.pk: c.token for c in columns if c.token}
    assert from_page == selectors.board_signatures(filterset=filterset, pipeline_id=stages[0].pipeline_id)
    assert set(from_page) == {stages[0].pk, stages[3].pk}


def test_signature_changes_when_a_deal_is_touched(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    filterset = selectors.board_filter(user=rep, pipeline=stages[0].pipeline_id, data={})
    before = selectors.board_signatures(filterset=filterset, pipeline_id=stages[0].pipeline_id)
    Deal.objects.filter(pk=deal.pk).update(updated_at=deal.updated_at.replace(year=2100))
    assert selectors.board_signatures(filterset=filterset, pipeline_id=stages[0].pipeline_id) != before

"""quote_list_for_user: every quote of the deals the user sees, as a queryset with the lines."""

import pytest

from quotes import selectors, services
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_quotes_of_visible_deals_only(rep, teammate, outsider, manager, manager_south, admin, stages):
    mine = services.quote_create(deal_id=factories.DealFactory(owner=rep, stage=stages[0]).pk, actor=rep)
    south = services.quote_create(deal_id=factories.DealFactory(owner=outsider, stage=stages[0]).pk, actor=outsider)

    def ids(user):
        return set(selectors.quote_list_for_user(user=user).values_list("pk", flat=True))

    assert ids(rep) == ids(teammate) == ids(manager) == {mine.pk}
    assert ids(outsider) == ids(manager_south) == {south.pk}
    assert ids(admin) == {mine.pk, south.pk}


def test_lines_are_prefetched(rep, stages, django_assert_num_queries):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    for _ in range(3):
        quote = services.quote_create(deal_id=deal.pk, actor=rep)
        services.quote_line_add(quote_id=quote.pk, actor=rep, description="X", unit_price="1")
    with django_assert_num_queries(2):
        quotes = list(selectors.quote_list_for_user(user=rep))
        assert [len(q.lines.all()) for q in quotes] == [1, 1, 1]
        assert {q.deal.title for q in quotes} == {deal.title}

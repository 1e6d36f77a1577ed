"""The quote page and the deal's quotes panel read a fixed number of queries whatever the number
of lines (and, for the panel, of quotes)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quotes import services
from quotes.models import CompanyProfile, DiscountPolicy, QuoteLine
from tests import factories

HTMX = {"HX-Request": "true"}


def quote_with_lines(deal, rep, n):
    """A draft with n lines: half from the catalogue (some at 7 %), half free text."""
    quote = services.quote_create(deal_id=deal.pk, actor=rep)
    products = [factories.ProductFactory(name=f"Product {quote.pk}-{i}") for i in range(n // 2)]
    lines = [
        QuoteLine(quote=quote, position=i, product=p, description=p.name, unit_price=Decimal("10"), vat_rate=7)
        for i, p in enumerate(products)
    ]
    lines += [
        QuoteLine(quote=quote, position=100 + i, description=f"Service {i}", unit_price=Decimal("5"), vat_rate=19)
        for i in range(n - len(lines))
    ]
    QuoteLine.objects.bulk_create(lines)
    services.quote_line_update(quote_id=quote.pk, line_id=lines[0].pk, actor=rep, quantity=2)  # totals stored
    return quote


def count(client, url, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def warm(db):
    # The profile and the default policy exist in a running installation.
    CompanyProfile.current()
    DiscountPolicy.objects.get_or_create(team=None)


@pytest.mark.parametrize("viewer", ["rep", "teammate", "manager"])
def test_quote_page_queries_do_not_grow_with_lines(client, request, rep, stages, warm, viewer):
    # Expected for the owner's draft (8): the user, the quote with its deal, owner, customer and
    # answer, its lines with their products, the discount policy of the owner's team, the
    # company profile's VAT rates, the catalogue (one read for the add form and every line's
    # form), the events with their people, the revisions before and after it. A manager adds
    # the ids of their teams (9); the teammate reads no profile and no catalogue, as they get no
    # forms (6). The session is cached; the notification badge loads by its own request.
    user = request.getfixturevalue(viewer)
    small = quote_with_lines(factories.DealFactory(owner=rep, stage=stages[0]), rep, 2)
    large = quote_with_lines(factories.DealFactory(owner=rep, stage=stages[0]), rep, 20)
    client.force_login(user)
    count(client, reverse("quotes:detail", args=[small.pk]))  # warm the session and content types
    at_2 = count(client, reverse("quotes:detail", args=[small.pk]))
    at_20 = count(client, reverse("quotes:detail", args=[large.pk]))
    assert at_2 == at_20, (at_2, at_20)
    assert at_20 == {"rep": 8, "teammate": 6, "manager": 9}[viewer], at_20


def test_line_change_answers_with_the_same_queries_at_both_sizes(client, rep, stages, warm):
    small = quote_with_lines(factories.DealFactory(owner=rep, stage=stages[0]), rep, 2)
    large = quote_with_lines(factories.DealFactory(owner=rep, stage=stages[0]), rep, 20)
    client.force_login(rep)

    def add(quote):
        data = {"new_line-description": "Extra", "new_line-quantity": "1", "new_line-unit_price": "1"}
        data["new_line-vat_rate"] = "19"
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("quotes:line_add", args=[quote.pk]), data, headers=HTMX)
        assert response.status_code == 200
        return len(captured)

    add(small)
    # The service saves only the lines whose amounts changed (the new one), so both are equal.
    assert add(small) == add(large)


def test_panel_queries_do_not_grow_with_quotes_or_lines(client, rep, stages, warm):
    # Expected (4): the user, the deal, its quotes with their answers and people, their lines
    # (prefetched by the selector).
    small_deal = factories.DealFactory(owner=rep, stage=stages[0])
    large_deal = factories.DealFactory(owner=rep, stage=stages[0])
    for _ in range(2):
        quote_with_lines(small_deal, rep, 2)
    for _ in range(20):
        quote_with_lines(large_deal, rep, 20)
    client.force_login(rep)
    count(client, reverse("quotes:deal_panel", args=[small_deal.pk]), **HTMX)
    at_2 = count(client, reverse("quotes:deal_panel", args=[small_deal.pk]), **HTMX)
    at_20 = count(client, reverse("quotes:deal_panel", args=[large_deal.pk]), **HTMX)
    assert at_2 == at_20, (at_2, at_20)
    assert at_20 == 4, at_20

"""The deal page reads a fixed number of queries whatever the number of line items, contacts
and history rows (the timeline and the activities panel are frames loaded by their own
requests, with their own query tests)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import DealProduct, StageChange
from tests import factories

HTMX = {"HX-Request": "true"}


def grow(deal, *, n, rep):
    """n line items (half catalogue, half free text), n contacts of the deal's organization and
    n stage-history rows."""
    products = [factories.ProductFactory(name=f"Grow product {deal.pk}-{i}") for i in range(n // 2)]
    lines = [DealProduct(deal=deal, product=p, unit_price=Decimal("10"), vat_rate=19) for p in products]
    lines += [
        DealProduct(deal=deal, description=f"Service {i}", unit_price=Decimal("5")) for i in range(n - len(lines))
    ]
    for line in lines:
        line.compute_amounts()
    DealProduct.objects.bulk_create(lines)
    for i in range(n):
        factories.ContactFactory(organization=deal.organization, last_name=f"Person {i}")
    StageChange.objects.bulk_create(
        StageChange(
            deal=deal,
            pipeline_id=deal.pipeline_id,
            kind="moved",
            from_stage=deal.stage,
            to_stage=deal.stage,
            from_status="open",
            to_status="open",
            actor=rep,
            owner=rep,
            value=deal.value,
        )
        for _ in range(n)
    )


def queries(client, url, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("viewer", ["rep", "manager"])
def test_deal_page_queries_do_not_grow_with_line_items_contacts_or_history(client, request, rep, stages, viewer):
    # Expected for the owner (8): user, the deal with its relations, the current organization,
    # the contacts of it (the contact picker's options), the line items with their products, the
    # catalogue (one read for the add form and every line's edit form), the price lists, the lost
    # reasons. A manager adds the ids of their teams (scope) and the users they may hand the deal
    # to (owner select): 10. The session and the notification badge may add one each on a cold cache.
    user = request.getfixturevalue(viewer)
    small = factories.DealFactory(owner=rep, stage=stages[0])
    large = factories.DealFactory(owner=rep, stage=stages[0])
    grow(small, n=2, rep=rep)
    grow(large, n=20, rep=rep)
    client.force_login(user)
    at_2 = queries(client, reverse("deals:detail", args=[small.pk]))
    at_20 = queries(client, reverse("deals:detail", args=[large.pk]))
    assert at_2 == at_20, (at_2, at_20)
    assert at_20 <= (10 if viewer == "rep" else 12)


def test_line_items_partial_queries_do_not_grow(client, rep, stages):
    small = factories.DealFactory(owner=rep, stage=stages[0])
    large = factories.DealFactory(owner=rep, stage=stages[0])
    grow(small, n=2, rep=rep)
    grow(large, n=20, rep=rep)
    client.force_login(rep)

    def post(deal):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                reverse("deals:line_item_add", args=[deal.pk]),
                {"new_line-description": "Extra", "new_line-quantity": "1", "new_line-unit_price": "1"},
                headers=HTMX,
            )
        assert response.status_code == 200
        return len(captured)

    post(small)  # warm the content type cache of the audit trail
    assert post(small) == post(large)

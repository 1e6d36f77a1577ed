"""Line items on a deal: amounts, rounding, validation, the value that follows them, the
version, the audit trail and the board's totals (the summary triggers)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from audit.models import LogEntry
from deals import money, services, summary
from deals.models import Deal, DealProduct, DealSummary, PriceList
from tests import factories


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout", value=Decimal("500"))


@pytest.fixture
def licence(db):
    return factories.ProductFactory(name="Licence", unit="licence", unit_price=Decimal("120.00"), vat_rate=19)


@pytest.fixture
def following(deal, rep):
    return services.deal_update(deal_id=deal.pk, version=deal.version, actor=rep, value_follows_line_items=True)


def add(deal, actor, **fields):
    return services.deal_line_item_add(deal_id=deal.pk, actor=actor, **fields)


def test_line_amounts_round_half_up_to_cents():
    # 3 × 0.35 = 1.05, less 5 % = 0.9975 → 1.00; VAT 19 % of 1.00 = 0.19
    assert money.line_amounts(quantity=3, unit_price="0.35", discount_percent=5, vat_rate=19) == (
        Decimal("1.00"),
        Decimal("0.19"),
        Decimal("1.19"),
    )
    # 0.125 rounds up (half up, not to even)
    assert money.line_amounts(quantity=1, unit_price="0.125")[0] == Decimal("0.13")
    assert money.line_amounts(quantity="2.5", unit_price="10.01", vat_rate=7) == (
        Decimal("25.03"),
        Decimal("1.75"),
        Decimal("26.78"),
    )


def test_a_catalogue_line_takes_the_products_price_unit_and_vat(deal, rep, licence):
    _, line, _ = add(deal, rep, product=licence, quantity=3)
    line.refresh_from_db()
    assert (line.unit_price, line.unit, line.vat_rate) == (Decimal("120.00"), "licence", Decimal("19.00"))
    assert (line.net_amount, line.vat_amount, line.gross_amount) == (
        Decimal("360.00"),
        Decimal("68.40"),
        Decimal("428.40"),
    )
    assert line.label == "Licence"


def test_a_free_text_line_needs_a_text_and_a_price(deal, rep):
    with pytest.raises(services.DealError, match="Choose a product or describe"):
        add(deal, rep, quantity=1, unit_price=10)
    with pytest.raises(services.DealError, match="Enter a unit price"):
        add(deal, rep, description="Workshop", quantity=1)
    _, line, _ = add(deal, rep, description="Workshop day", quantity=2, unit="day", unit_price="900", vat_rate=19)
    assert line.product is None and line.net_amount == Decimal("1800.00")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": "-1"}, "quantity must be a number greater than 0"),
        ({"quantity": "0"}, "quantity must be a number greater than 0"),
        ({"quantity": "abc"}, "quantity must be a number greater than 0"),
        ({"unit_price": "-0.01"}, "unit price must be a number of at least 0"),
        ({"discount_percent": "100.5"}, "discount must be between 0 and 100"),
        ({"discount_percent": "-1"}, "discount must be between 0 and 100"),
        ({"vat_rate": "101"}, "VAT rate must be between 0 and 100"),
        ({"quantity": "NaN"}, "quantity must be a number greater than 0"),
    ],
)
def test_invalid_numbers_are_refused_and_nothing_is_written(deal, rep, fields, message):
    data = {"description": "Consulting", "quantity": 1, "unit_price": 100, **fields}
    with pytest.raises(services.DealError, match=message):
        add(deal, rep, **data)
    assert not DealProduct.objects.filter(deal=deal).exists()
    deal.refresh_from_db()
    assert deal.version == 1


def test_a_catalogue_product_is_on_a_deal_at_most_once(deal, rep, licence):
    add(deal, rep, product=licence, quantity=1)
    with pytest.raises(services.DealError, match="already on the deal"):
        add(deal, rep, product=licence, quantity=2)
    assert DealProduct.objects.filter(deal=deal).count() == 1


def test_free_text_lines_may_repeat(deal, rep):
    add(deal, rep, description="Travel", quantity=1, unit_price=50)
    add(deal, rep, description="Travel", quantity=1, unit_price=70)
    assert DealProduct.objects.filter(deal=deal, product=None).count() == 2


def test_a_deactivated_product_is_not_offered_but_stays_on_its_lines(deal, rep, admin, licence):
    _, line, _ = add(deal, rep, product=licence, quantity=1)
    services.product_set_active(actor=admin, product_id=licence.pk, active=False)
    licence.refresh_from_db()
    other = factories.DealFactory(owner=rep)
    with pytest.raises(services.DealError, match="no longer offered"):
        add(other, rep, product=licence, quantity=1)
    _, line, _ = services.deal_line_item_update(
        deal_id=deal.pk, line_id=line.pk, actor=rep, product=licence, quantity=4, unit_price="120"
    )
    assert line.quantity == 4


def test_value_follows_the_line_items_net_total(following, rep, licence):
    deal = following
    assert deal.value == Decimal("0.00")  # switching on with no lines: the total is 0
    add(deal, rep, product=licence, quantity=2)
    add(deal, rep, description="Setup", quantity=1, unit_price="99.99", discount_percent=10, vat_rate=19)
    deal.refresh_from_db()
    assert deal.value == Decimal("240.00") + Decimal("89.99")  # 99.99 less 10 % = 89.991 → 89.99
    line = DealProduct.objects.get(deal=deal, product=licence)
    services.deal_line_item_update(deal_id=deal.pk, line_id=line.pk, actor=rep, product=licence, quantity=1)
    deal.refresh_from_db()
    assert deal.value == Decimal("209.99")
    services.deal_line_item_remove(deal_id=deal.pk, line_id=line.pk, actor=rep)
    deal.refresh_from_db()
    assert deal.value == Decimal("89.99")


def test_switching_on_sets_the_value_and_ignores_a_typed_one(deal, rep, licence):
    add(deal, rep, product=licence, quantity=1)
    deal.refresh_from_db()
    assert deal.value == Decimal("500")  # off: the manual value stays
    deal = services.deal_update(
        deal_id=deal.pk, version=deal.version, actor=rep, value=Decimal("777"), value_follows_line_items=True
    )
    deal.refresh_from_db()
    assert deal.value == Decimal("120.00")


def test_switch_off_keeps_the_manual_value(following, rep, licence):
    deal = following
    add(deal, rep, product=licence, quantity=1)
    deal.refresh_from_db()
    deal = services.deal_update(
        deal_id=deal.pk, version=deal.version, actor=rep, value_follows_line_items=False, value=Decimal("1000")
    )
    add(deal, rep, description="Extra", quantity=1, unit_price=5)
    deal.refresh_from_db()
    assert deal.value == Decimal("1000.00")


def test_every_line_change_bumps_the_version(deal, rep, licence):
    _, line, old = add(deal, rep, product=licence, quantity=1)
    assert old == 1
    deal.refresh_from_db()
    assert deal.version == 2
    services.deal_line_item_update(deal_id=deal.pk, line_id=line.pk, actor=rep, product=licence, quantity=2)
    services.deal_line_item_remove(deal_id=deal.pk, line_id=line.pk, actor=rep)
    deal.refresh_from_db()
    assert deal.version == 4
    assert deal.updated_by == rep


def test_a_form_saved_on_the_version_before_a_line_change_is_stale(deal, rep, teammate, manager, licence):
    add(deal, manager, product=licence, quantity=1)
    with pytest.raises(services.DealStale):
        services.deal_update(deal_id=deal.pk, version=1, actor=rep, title="Old form")


def test_line_changes_are_audited_with_the_value_they_move(following, rep, licence):
    deal = following
    _, line, _ = add(deal, rep, product=licence, quantity=2)
    line_entries = LogEntry.objects.get_for_object(line)
    assert line_entries.filter(action=LogEntry.Action.CREATE).count() == 1
    value_entry = LogEntry.objects.get_for_object(deal).filter(action=LogEntry.Action.UPDATE).order_by("-pk").first()
    assert value_entry.changes["value"] == ["0.00", "240.00"]
    services.deal_line_item_remove(deal_id=deal.pk, line_id=line.pk, actor=rep)
    assert LogEntry.objects.get_for_object(line).filter(action=LogEntry.Action.DELETE).count() == 1


def test_summary_totals_follow_line_item_changes(following, rep, licence, stages):
    deal = following
    add(deal, rep, product=licence, quantity=5)
    assert summary.differences() == []
    row = DealSummary.objects.get(stage=stages[0], owner=rep, status=Deal.Status.OPEN, region=deal.organization.region)
    assert row.value_cents == 60000
    line = DealProduct.objects.get(deal=deal)
    services.deal_line_item_remove(deal_id=deal.pk, line_id=line.pk, actor=rep)
    row.refresh_from_db()
    assert row.value_cents == 0
    assert summary.differences() == []


def test_line_items_follow_the_deals_access_rules(deal, teammate, outsider, manager, licence):
    with pytest.raises(services.DealForbidden):
        add(deal, teammate, product=licence, quantity=1)
    with pytest.raises(Http404):
        add(deal, outsider, product=licence, quantity=1)
    _, line, _ = add(deal, manager, product=licence, quantity=1)
    with pytest.raises(services.DealError, match="no longer exists"):
        services.deal_line_item_remove(deal_id=factories.DealFactory(owner=manager).pk, line_id=line.pk, actor=manager)


def test_only_admins_manage_the_catalogue(rep, manager, admin):
    for user in (rep, manager):
        with pytest.raises(PermissionDenied):
            services.product_create(actor=user, name="Support", unit_price=Decimal("10"))
    product = services.product_create(actor=admin, name="Support", unit="month", unit_price=Decimal("10"), vat_rate=7)
    assert LogEntry.objects.get_for_object(product).filter(action=LogEntry.Action.CREATE).exists()
    services.product_update(actor=admin, product_id=product.pk, unit_price=Decimal("12.50"))
    product.refresh_from_db()
    assert product.unit_price == Decimal("12.50")


def test_line_items_added_in_django_admin_update_a_following_value(client, admin, following, licence, pipeline):
    deal = following
    client.force_login(admin)
    data = {
        "title": deal.title,
        "pipeline": deal.pipeline_id,
        "stage": deal.stage_id,
        "position": 0,
        "owner": deal.owner_id,
        "value": "0",
        "value_follows_line_items": "on",
        "probability": "",
        "status": "open",
        "line_items-TOTAL_FORMS": 1,
        "line_items-INITIAL_FORMS": 0,
        "line_items-0-product": licence.pk,
        "line_items-0-position": 1,
        "line_items-0-quantity": "2",
        "line_items-0-unit_price": "100",
        "line_items-0-discount_percent": "0",
        "line_items-0-vat_rate": "19",
        "stage_changes-TOTAL_FORMS": 0,
        "stage_changes-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:deals_deal_change", args=[deal.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert deal.value == Decimal("200.00")
    assert DealProduct.objects.get(deal=deal).gross_amount == Decimal("238.00")
    assert summary.differences() == []


# --- price lists ------------------------------------------------------------------------------


@pytest.fixture
def partners(licence):
    price_list = PriceList.objects.create(name="Partners")
    price_list.prices.create(product=licence, unit_price=Decimal("99.00"))
    return price_list


def test_a_deals_price_list_gives_new_lines_their_price(deal, rep, licence, partners):
    deal = services.deal_update(deal_id=deal.pk, version=deal.version, actor=rep, price_list=partners)
    _, line, _ = add(deal, rep, product=licence, quantity=2)
    assert line.unit_price == Decimal("99.00")
    other = factories.ProductFactory(name="Support", unit_price=Decimal("40"))
    _, line, _ = add(deal, rep, product=other)
    assert line.unit_price == Decimal("40")  # not on the list: the product's own price
    _, line, _ = add(deal, rep, description="Travel", unit_price="12.50")
    assert line.unit_price == Decimal("12.50")


def test_a_typed_price_wins_over_the_price_list(deal, rep, licence, partners):
    deal = services.deal_update(deal_id=deal.pk, version=deal.version, actor=rep, price_list=partners)
    _, line, _ = add(deal, rep, product=licence, unit_price="80")
    assert line.unit_price == Decimal("80")


def test_without_a_price_list_the_products_price_applies(deal, rep, licence, partners):
    _, line, _ = add(deal, rep, product=licence)
    assert line.unit_price == Decimal("120.00")

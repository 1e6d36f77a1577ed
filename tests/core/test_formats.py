"""Money, numbers and dates as the user's language writes them: one date format per language
(pipeline_crm/formats), amounts with the language's separators."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories

AT = datetime(2030, 6, 9, 22, 5, tzinfo=UTC)  # 00:05 on the 10th in Berlin

CASES = {
    "en-gb": {"money": "12,345.50", "vat": "19.50 %", "datetime": "10/06/2030 00:05", "date": "10/06/2030"},
    "de": {"money": "12.345,50", "vat": "19,50 %", "datetime": "10.06.2030 00:05", "date": "10.06.2030"},
}


@pytest.fixture(params=sorted(CASES))
def speaker(request, rep):
    rep.language = request.param
    rep.save()
    return rep, CASES[request.param]


def test_the_deal_page_writes_money_in_the_users_language(client, speaker):
    rep, expected = speaker
    deal = factories.DealFactory(owner=rep, value=Decimal("12345.50"))
    client.force_login(rep)
    html = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert f'<span data-testid="deal-value">{expected["money"]} EUR</span>' in html


def test_the_product_list_writes_percentages_in_the_users_language(client, speaker):
    rep, expected = speaker
    factories.ProductFactory(name="Licence", vat_rate=Decimal("19.5"))
    client.force_login(rep)
    assert expected["vat"] in client.get(reverse("products:list")).content.decode()


def test_activity_times_use_the_languages_short_format(client, speaker):
    rep, expected = speaker
    factories.ActivityFactory(deal__owner=rep, due_at=AT, subject="Call")
    factories.ActivityFactory(deal__owner=rep, due_at=AT, subject="Whole day", all_day=True)
    client.force_login(rep)
    html = client.get(reverse("activities:list")).content.decode()
    assert expected["datetime"] in html
    assert f"{expected['date']} · " in html


def test_notifications_use_the_same_date_and_time_format(client, speaker):
    rep, expected = speaker
    factories.NotificationFactory(user=rep, created_at=AT)
    client.force_login(rep)
    assert expected["datetime"] in client.get(reverse("activities:notifications")).content.decode()


def test_english_times_are_on_the_24_hour_clock(client, rep):
    factories.ActivityFactory(deal__owner=rep, due_at=datetime(2030, 6, 9, 13, 5, tzinfo=UTC), subject="Call")
    client.force_login(rep)
    html = client.get(reverse("activities:list")).content.decode()
    assert "09/06/2030 15:05" in html
    assert "p.m." not in html

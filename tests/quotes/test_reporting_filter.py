"""The deal filter "quotes expiring in 7 days" on the board and the deal list: a sent quote valid
until a day from today to today + 7, in the installation's time zone."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deals import quote_signal
from deals.models import Deal
from quotes.models import Quote
from tests import factories
from tests.quotes.reporting_data import make_quote

State = Quote.State


def deal_with_quote(owner, stage, state, valid_in_days):
    deal = factories.DealFactory(owner=owner, stage=stage, title=f"{state} {valid_in_days}")
    make_quote(deal, state, sent_at=timezone.now(), valid_until=timezone.localdate() + timedelta(days=valid_in_days))
    return deal


@pytest.fixture
def quoted(rep, stages):
    """Deals named after what their quote is: only the sent ones from today to today + 7 expire soon."""
    return {
        "today": deal_with_quote(rep, stages[0], State.SENT, 0),
        "in 7 days": deal_with_quote(rep, stages[1], State.SENT, 7),
        "in 3 days": deal_with_quote(rep, stages[4], State.SENT, 3),
        "in 8 days": deal_with_quote(rep, stages[0], State.SENT, 8),
        "yesterday": deal_with_quote(rep, stages[0], State.SENT, -1),
        "draft in 3 days": deal_with_quote(rep, stages[0], State.DRAFT, 3),
        "accepted in 3 days": deal_with_quote(rep, stages[0], State.ACCEPTED, 3),
        "superseded in 3 days": deal_with_quote(rep, stages[0], State.SUPERSEDED, 3),
        "no quote": factories.DealFactory(owner=rep, stage=stages[0]),
    }


EXPIRING = {"today", "in 7 days", "in 3 days"}


def ids_on(page):
    return {int(pk) for pk in re.findall(r'data-deal-id="(\d+)"', page)}


def test_board_filter_keeps_the_deals_with_a_quote_expiring_within_7_days(client, rep, quoted):
    client.force_login(rep)
    page = client.get(reverse("deals:board"), {"quote": "expiring"}).content.decode()
    assert ids_on(page) == {quoted[name].pk for name in EXPIRING}


def test_board_column_totals_follow_the_filter(client, rep, quoted, stages):
    quoted["in 3 days"].value = 1234
    quoted["in 3 days"].save()
    client.force_login(rep)
    response = client.get(reverse("deals:board"), {"quote": "expiring"})
    columns = {column.stage.pk: column for column in response.context["columns"]}
    assert columns[stages[0].pk].count == 1
    assert columns[stages[1].pk].count == 1
    assert columns[stages[4].pk].count == 1
    assert columns[stages[4].pk].total == 1234
    assert sum(column.count for column in columns.values()) == 3


def test_deal_list_filter_keeps_the_same_deals(client, rep, quoted):
    client.force_login(rep)
    page = client.get(reverse("deals:list"), {"quote": "expiring"}).content.decode()
    assert ids_on(page) == {quoted[name].pk for name in EXPIRING}


def test_filter_form_offers_it_on_the_board_and_the_deal_list(client, rep, stages):
    client.force_login(rep)
    for url in (reverse("deals:board"), reverse("deals:list")):
        page = client.get(url).content.decode()
        assert '<option value="expiring">Quotes expiring in 7 days</option>' in page


def test_filter_counts_as_an_active_filter_and_is_not_answered_by_the_summary(rep):
    from deals import filters, summary

    filterset = filters.BoardFilter({"quote": "expiring"}, user=rep)
    assert filterset.active_count() == 1
    assert not summary.answers(filterset)
    assert filterset.baseline_owner_q() is None


def test_an_unknown_filter_value_shows_no_deal_rather_than_every_deal(client, rep, quoted):
    client.force_login(rep)
    response = client.get(reverse("deals:list"), {"quote": "nonsense"})
    assert response.status_code == 200
    assert ids_on(response.content.decode()) == set()


def test_the_window_is_the_installations_day_not_utc(monkeypatch):
    # 23:30 UTC on 6 December is 00:30 on 7 December in Berlin.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    assert quote_signal.expiring_window() == (date(2026, 12, 7), date(2026, 12, 14))


def test_a_quote_valid_until_yesterday_in_berlin_no_longer_counts_at_half_past_midnight(monkeypatch, rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    make_quote(deal, State.SENT, sent_at=timezone.now(), valid_until=date(2026, 12, 6))
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    assert not Deal.objects.filter(quote_signal.expiring_quotes_exist()).exists()
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 6, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    assert Deal.objects.filter(quote_signal.expiring_quotes_exist()).exists()


def test_filter_honours_the_scope(client, outsider, quoted):
    client.force_login(outsider)
    page = client.get(reverse("deals:list"), {"quote": "expiring"}).content.decode()
    assert ids_on(page) == set()

"""The board's cards (deals.cards): escaped, localised, and drawn without a URL resolution per card."""

import re
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.urls.resolvers import URLResolver
from django.utils import timezone, translation

from accounts import avatar
from deals import cards
from deals.models import Deal
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def card_markup(page, deal):
    match = re.search(rf'<li class="deal-card[^"]*" data-deal-id="{deal.pk}".*?</li>', page, re.S)
    assert match, f"no card for deal {deal.pk}"
    return match.group(0)


def test_card_escapes_title_organization_and_owner(client, rep, teammate, stages):
    hostile = "<script>alert(\"x\")</script> & 'quoted'"
    org = factories.OrganizationFactory(name=hostile)
    teammate.first_name, teammate.last_name = '"Eve', "<b>"
    teammate.save()
    own = factories.DealFactory(owner=rep, stage=stages[0], title=hostile, organization=org)
    other = factories.DealFactory(owner=teammate, stage=stages[0], title=hostile, organization=org)
    client.force_login(rep)
    page = client.get(reverse("deals:board")).content.decode()
    assert "<script>alert" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;"
    mine = card_markup(page, own)
    assert f'<a class="deal-title" href="/deals/{own.pk}/" draggable="false">{escaped}</a>' in mine
    assert f'hx-confirm="Mark “{escaped}” as won?"' in mine
    assert f'<div class="deal-org">{escaped}</div>' in mine
    assert mine.count(f'<span class="sr-only"> {escaped}</span>') == 3  # Move to…, Won, Lost…
    theirs = card_markup(page, other)
    assert 'title="&quot;Eve &lt;b&gt;’s deal: you can open it but not change it."' in theirs
    assert f'class="avatar avatar-c{avatar.palette_index(teammate.username)}" title="&quot;Eve &lt;b&gt;"' in theirs
    assert "<b>" not in theirs


def test_card_links_carry_the_filters_escaped(client, rep, stages, pipeline):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme")
    client.force_login(rep)
    url = reverse("deals:board_pipeline", args=[pipeline.pk])
    page = client.get(url, {"q": "Ac", "status": "open"}).content.decode()
    card = card_markup(page, deal)
    move = reverse("deals:move", args=[deal.pk])
    assert f'href="{move}?q=Ac&amp;status=open" hx-get="{move}?q=Ac&amp;status=open"' in card
    assert f'href="{move}?outcome=lost&amp;q=Ac&amp;status=open"' in card
    assert f'action="{reverse("deals:win", args=[deal.pk])}?q=Ac&amp;status=open"' in card
    assert 'name="csrfmiddlewaretoken"' in card


@pytest.mark.parametrize(
    ("language", "amount", "close", "days", "signal", "readonly"),
    [
        ("en-gb", "1,234,568 EUR", "%d/%m/%Y", "3 days", "Activity overdue", "Read only: Bob Brown’s deal"),
        ("de", "1.234.568 EUR", "%d.%m.%Y", "3 Tage", "Aktivität überfällig", "Nur lesen: Deal von Bob Brown"),
    ],
)
def test_card_speaks_the_viewers_language(
    client, rep, teammate, stages, language, amount, close, days, signal, readonly
):
    closing = timezone.localdate() - timedelta(days=2)
    deal = factories.DealFactory(
        owner=teammate, stage=stages[0], value=Decimal("1234567.50"), expected_close_date=closing
    )
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - timedelta(days=3, hours=1))
    factories.ActivityFactory(deal=deal, due_at=timezone.now() - timedelta(days=1))
    client.force_login(rep)
    page = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    card = card_markup(page, deal)
    assert f'<span class="deal-value">{amount}</span>' in card
    assert closing.strftime(close) in card
    assert f">{days}</span>" in card
    assert f">{signal}</span>" in card
    assert readonly in card


@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_money_is_drawn_as_the_floatformat_filter_draws_it(language):
    values = ["0", "0.49", "0.5", "2.5", "999.5", "1000", "1234567.50", "99999999999.99", "-1500.5"]
    with translation.override(language):
        money = cards.money_formatter()
        assert [money(Decimal(v)) for v in values] == [floatformat(Decimal(v), "0g") for v in values]


@pytest.mark.parametrize("language", ["en-gb", "de"])
@pytest.mark.parametrize("fmt", ["SHORT_DATE_FORMAT", "DATE_FORMAT"])
def test_dates_are_drawn_as_the_date_filter_draws_them(language, fmt):
    days = [date(2026, 1, 5), date(2026, 12, 31), date(999, 3, 4)]
    with translation.override(language):
        draw = cards.date_formatter(fmt)
        assert [draw(d) for d in days] == [date_filter(d, fmt) for d in days]


@pytest.mark.parametrize("view", ["board", "load more"])
def test_no_url_is_resolved_per_card(client, rep, stages, pipeline, bulk_deals, view):
    """3 and 25 cards in a column (a full page, no "load more" button, which has a URL of its
    own) cost the same number of URL reversals: the ones of the page, none per card."""
    client.force_login(rep)

    def reversals(n):
        Deal.objects.all().delete()
        bulk_deals(n + 25 if view == "load more" else n, owner=rep, stages=stages[:1])
        if view == "board":
            request = lambda: client.get(reverse("deals:board"))  # noqa: E731
        else:
            column = client.get(reverse("deals:board")).context["columns"][0]
            more = reverse("deals:column_more", args=[pipeline.pk, stages[0].pk])
            request = lambda: client.get(more, {"after": column.cursor}, **HTMX)  # noqa: E731
        original = URLResolver._reverse_with_prefix
        with mock.patch.object(URLResolver, "_reverse_with_prefix", autospec=True, side_effect=original) as spy:
            response = request()
        assert response.content.decode().count("data-deal-id=") == n
        return spy.call_count

    assert reversals(3) == reversals(25)


def test_one_card_renderer_draws_every_column_of_a_board(client, rep, stages, bulk_deals):
    bulk_deals(12, owner=rep, stages=stages[:4])
    client.force_login(rep)
    with mock.patch.object(
        cards.CardRenderer, "__init__", autospec=True, side_effect=cards.CardRenderer.__init__
    ) as init:
        page = client.get(reverse("deals:board")).content.decode()
    assert page.count("data-deal-id=") == 12
    assert init.call_count == 1

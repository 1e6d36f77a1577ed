"""Quote numbers: AN-<year>-<seq>, unique in the installation and without gaps per year, also when
eight reps send at the same moment (PostgreSQL, real connections)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from deals.models import DealProduct
from quotes import numbering, services
from quotes.models import Quote, QuoteNumber
from tests import factories
from tests.concurrency import run_in_threads

BERLIN = ZoneInfo("Europe/Berlin")


def drafts(owner, stages, count):
    quotes = []
    for index in range(count):
        deal = factories.DealFactory(owner=owner, stage=stages[0], contact=None)
        deal.contact = factories.ContactFactory(organization=deal.organization, email=f"c{index}@customer.example")
        deal.save()
        DealProduct.objects.create(deal=deal, description="Service", quantity=Decimal("1"), unit_price=100, vat_rate=19)
        quotes.append(services.quote_create(deal_id=deal.pk, actor=owner))
    return quotes


def test_numbers_count_up_per_year_and_start_again_in_january(rep, stages):
    first, second, third = drafts(rep, stages, 3)
    services.quote_send(quote_id=first.pk, actor=rep, now=datetime(2026, 12, 31, 23, 30, tzinfo=BERLIN))
    services.quote_send(quote_id=second.pk, actor=rep, now=datetime(2026, 12, 31, 23, 59, tzinfo=BERLIN))
    # 1 January in Berlin is still 31 December in UTC: the installation's year counts.
    services.quote_update(quote_id=third.pk, actor=rep, valid_until=datetime(2027, 2, 1).date())
    services.quote_send(quote_id=third.pk, actor=rep, now=datetime(2027, 1, 1, 0, 30, tzinfo=BERLIN))
    numbers = list(Quote.objects.order_by("sent_at").values_list("number", flat=True))
    assert numbers == ["AN-2026-0001", "AN-2026-0002", "AN-2027-0001"]


def test_a_failed_send_gives_no_number_away(rep, stages, monkeypatch):
    first, second = drafts(rep, stages, 2)

    def broken_pdf(quote):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("quotes.pdf.render_quote_pdf", broken_pdf)
    with pytest.raises(RuntimeError):
        services.quote_send(quote_id=first.pk, actor=rep)
    first.refresh_from_db()
    assert (first.state, first.number) == (Quote.State.DRAFT, "")
    monkeypatch.undo()
    quote, _token = services.quote_send(quote_id=second.pk, actor=rep)
    assert quote.number.endswith("-0001")


def test_a_number_is_only_allocated_inside_the_sending_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        numbering.allocate()
    with transaction.atomic():
        assert numbering.allocate(datetime(2026, 5, 1, tzinfo=BERLIN))[2] == "AN-2026-0001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_sends_get_eight_numbers_without_gaps(team_north):
    stages = list(factories.default_pipeline().stages.order_by("order"))
    rep = factories.UserFactory(username="sender", team=team_north)
    quotes = drafts(rep, stages, 8)
    pending = list(quotes)

    def send_one():
        quote = pending.pop()
        services.quote_send(quote_id=quote.pk, actor=rep)

    run_in_threads(send_one, count=8)
    numbers = sorted(Quote.objects.values_list("number_seq", flat=True))
    assert numbers == list(range(1, 9))
    assert len(set(Quote.objects.values_list("number", flat=True))) == 8
    assert QuoteNumber.objects.get().last == 8

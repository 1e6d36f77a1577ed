"""Customers who click twice, or two people who answer at once: exactly one answer is kept, and
the deal is won once (real PostgreSQL connections racing each other)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from deals.models import Deal, StageChange
from quotes.models import Quote, QuoteEvent, QuoteResponse
from tests import factories
from tests.concurrency import run_in_threads
from tests.quotes.public_cast import TOKEN, reset_link_counters, sent_quote


@pytest.fixture
def race_quote(team_north, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reset_link_counters()
    stages = list(factories.default_pipeline().stages.order_by("order"))
    owner = factories.UserFactory(username="racer", team=team_north)
    deal = factories.DealFactory(owner=owner, stage=stages[4], value=Decimal("1"))
    return sent_quote(deal)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("answers", [("accept",) * 4, ("accept", "decline") * 2])
def test_concurrent_answers_keep_exactly_one(race_quote, answers):
    pending, codes = list(answers), []

    def answer():
        kind = pending.pop()
        data = (
            {"accept-name": "Klara Kunde", "accept-confirm": "on"}
            if kind == "accept"
            else {"decline-name": "Klaus Kunde", "decline-reason": "Zu spät"}
        )
        response = Client().post(reverse(f"quotes:public_{kind}", kwargs={"token": TOKEN}), data)
        codes.append(response.status_code)

    run_in_threads(answer, count=len(answers))
    assert sorted(codes) == [303] + [409] * (len(answers) - 1)
    response = QuoteResponse.objects.get()
    quote = Quote.objects.get()
    assert quote.state == response.kind  # accepted or declined, as the one answer says
    assert QuoteEvent.objects.filter(kind__in=[QuoteEvent.Kind.ACCEPTED, QuoteEvent.Kind.DECLINED]).count() == 1
    deal = Deal.objects.get(pk=race_quote.deal_id)
    won = StageChange.objects.filter(deal=deal, kind=StageChange.Kind.WON).count()
    assert won == (1 if response.kind == QuoteResponse.Kind.ACCEPTED else 0)
    reset_link_counters()

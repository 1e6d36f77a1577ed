"""The nightly expiry sweep: a beat entry after midnight in the installation's time zone, a thin
idempotent task, a management command, and a real worker running it."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command

from pipeline_crm.beat import BEAT_SCHEDULE
from quotes import services, tasks
from quotes.models import Quote, QuoteEvent
from tests import factories
from tests.quotes.followup_quotes import sent_quote

# 00:15 in Berlin on 8 December: 7 December is over.
AFTER_MIDNIGHT = datetime(2026, 12, 7, 23, 15, tzinfo=UTC)


@pytest.fixture
def deal(rep):
    return factories.DealFactory(owner=rep, title="Acme rollout")


def states(*quotes):
    return [Quote.objects.values_list("state", flat=True).get(pk=q.pk) for q in quotes]


def test_the_sweep_runs_nightly_just_after_midnight_in_the_installations_time_zone():
    entry = BEAT_SCHEDULE["quotes-expire-nightly"]
    assert entry["task"] == "quotes.expire_quotes"
    assert entry["schedule"] == crontab(hour=0, minute=15)
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "Europe/Berlin"
    assert entry["options"]["expires"] < 24 * 3600


def test_sweep_expires_quotes_whose_last_valid_day_is_over_and_keeps_the_others(deal):
    sent_at = AFTER_MIDNIGHT - timedelta(days=20)
    over = sent_quote(deal, sent_at=sent_at, valid_until=date(2026, 12, 7))
    last_day = sent_quote(deal, sent_at=sent_at, valid_until=date(2026, 12, 8))
    accepted = sent_quote(deal, sent_at=sent_at, valid_until=date(2026, 12, 1), state=Quote.State.ACCEPTED)

    assert services.quotes_expire_due(now=AFTER_MIDNIGHT) == 1

    assert states(over, last_day, accepted) == ["expired", "sent", "accepted"]
    event = QuoteEvent.objects.get(quote=over, kind=QuoteEvent.Kind.EXPIRED)
    assert (event.at, event.actor) == (AFTER_MIDNIGHT, None)
    over.refresh_from_db()
    assert over.closed_at == AFTER_MIDNIGHT


def test_sweep_before_midnight_in_berlin_leaves_the_quote_valid(deal):
    # 23:59 UTC on the 6th is 00:59 on the 7th in Berlin; 22:59 UTC is still the 6th there.
    quote = sent_quote(deal, sent_at=AFTER_MIDNIGHT - timedelta(days=20), valid_until=date(2026, 12, 6))

    assert services.quotes_expire_due(now=datetime(2026, 12, 6, 22, 59, tzinfo=UTC)) == 0
    assert services.quotes_expire_due(now=datetime(2026, 12, 6, 23, 0, tzinfo=UTC)) == 1
    assert states(quote) == ["expired"]


def test_the_task_is_idempotent(deal):
    quote = sent_quote(deal, sent_at=datetime(2026, 1, 2, tzinfo=UTC), valid_until=date(2026, 2, 1))

    assert tasks.expire_quotes.apply().get() == 1
    assert tasks.expire_quotes.apply().get() == 0

    assert states(quote) == ["expired"]
    assert QuoteEvent.objects.filter(quote=quote, kind=QuoteEvent.Kind.EXPIRED).count() == 1


def test_the_management_command_does_what_the_task_does(deal):
    quote = sent_quote(deal, sent_at=datetime(2026, 1, 2, tzinfo=UTC), valid_until=date(2026, 2, 1))
    out = StringIO()

    call_command("expire_quotes", stdout=out)

    assert out.getvalue().strip() == "1"
    assert states(quote) == ["expired"]

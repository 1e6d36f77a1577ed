"""The nightly expiry task run by a real Celery worker on Redis against the PostgreSQL test
database (tests/workers.py), twice: the second run expires nothing."""

from datetime import UTC, date, datetime

import pytest

from quotes.models import Quote, QuoteEvent
from tests import factories
from tests.quotes.followup_quotes import sent_quote
from tests.workers import Processes, worker_broker  # noqa: F401 (the worker's Redis database)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def processes(tmp_path, worker_broker):  # noqa: F811
    processes = Processes(tmp_path, CELERY_BROKER_URL=worker_broker)
    yield processes
    processes.stop_all()


def test_a_worker_expires_the_quotes_past_their_validity_once(processes, rep):
    deal = factories.DealFactory(owner=rep)
    over = sent_quote(deal, sent_at=datetime(2026, 1, 2, tzinfo=UTC), valid_until=date(2026, 2, 1))
    valid = sent_quote(deal, sent_at=datetime.now(UTC), valid_for_days=30)

    processes.start_worker("worker1")
    processes.call("quotes.expire_quotes")
    processes.wait_for_log("worker1", "succeeded", timeout=30)
    processes.call("quotes.expire_quotes")
    processes.wait_until(
        lambda: processes.log_text("worker1").count("succeeded") >= 2, timeout=30, what="the second run"
    )

    assert Quote.objects.get(pk=over.pk).state == Quote.State.EXPIRED
    assert Quote.objects.get(pk=valid.pk).state == Quote.State.SENT
    assert QuoteEvent.objects.filter(quote=over, kind=QuoteEvent.Kind.EXPIRED).count() == 1

"""The quote on the board card: the deal's most relevant quote with its state and a tooltip, read
in the cards' one query, and shown to other users at their next poll."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from quotes import services as quote_services
from quotes.models import Quote
from tests import factories
from tests.quotes.reporting_data import make_quote

State = Quote.State
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0])


def card_of(client, deal, **params):
    page = client.get(reverse("deals:board"), params).content.decode()
    match = re.search(rf'<li class="deal-card[^"]*" data-deal-id="{deal.pk}".*?</li>', page, re.S)
    assert match, f"no card for deal {deal.pk}"
    return match.group(0)


def quote_state(card):
    match = re.search(r'data-quote-state="([a-z_]+)" title="([^"]*)"', card)
    return (match.group(1), match.group(2)) if match else (None, None)


def test_card_without_quotes_shows_no_quote_icon(client, rep, deal):
    client.force_login(rep)
    assert quote_state(card_of(client, deal)) == (None, None)


def test_card_shows_a_sent_quote_with_its_number_and_validity(client, rep, deal):
    valid_until = timezone.localdate() + timedelta(days=12)
    make_quote(deal, State.SENT, number="AN-2026-0001", valid_until=valid_until, sent_at=timezone.now())
    client.force_login(rep)
    state, title = quote_state(card_of(client, deal))
    assert state == "sent"
    assert title == f"Quote AN-2026-0001 sent, valid until {valid_until:%d/%m/%Y}"
    assert ">Quote sent</span>" in card_of(client, deal)


def test_card_says_viewed_when_the_customer_opened_the_sent_quote(client, rep, deal):
    make_quote(deal, State.SENT, number="AN-2026-0002", sent_at=timezone.now(), first_viewed_at=timezone.now())
    client.force_login(rep)
    state, title = quote_state(card_of(client, deal))
    assert state == "viewed"
    assert title.startswith("Quote AN-2026-0002 sent and opened by the customer, valid until ")


def test_card_names_the_revision_of_a_revised_quote(client, rep, deal):
    make_quote(deal, State.SENT, number="AN-2026-0003", revision=2, sent_at=timezone.now())
    client.force_login(rep)
    assert quote_state(card_of(client, deal))[1].startswith("Quote AN-2026-0003-R2 sent")


@pytest.mark.parametrize(
    ("states", "shown"),
    [
        # created in this order; the open one wins over any answered one, sent before approval before draft
        ((State.ACCEPTED, State.DRAFT), "draft"),
        ((State.SENT, State.PENDING_APPROVAL, State.DRAFT), "sent"),
        ((State.DRAFT, State.PENDING_APPROVAL), "pending_approval"),
        ((State.DECLINED, State.SENT), "sent"),
        # nothing open: the latest answered or expired one
        ((State.DECLINED, State.ACCEPTED), "accepted"),
        ((State.ACCEPTED, State.EXPIRED), "expired"),
        ((State.EXPIRED, State.DECLINED, State.SUPERSEDED, State.CANCELLED), "declined"),
        # superseded and cancelled quotes are never shown
        ((State.SUPERSEDED, State.CANCELLED), None),
    ],
)
def test_card_shows_the_most_relevant_quote(client, rep, deal, states, shown):
    start = timezone.now() - timedelta(days=len(states))
    for index, state in enumerate(states):
        sent_at = None if state in (State.DRAFT, State.PENDING_APPROVAL, State.CANCELLED) else start
        make_quote(deal, state, sent_at=sent_at, created_at=start + timedelta(days=index))
    client.force_login(rep)
    assert quote_state(card_of(client, deal))[0] == shown


def test_card_shows_a_sent_quote_past_its_validity_as_expired_before_the_nightly_sweep(client, rep, deal):
    yesterday = timezone.localdate() - timedelta(days=1)
    make_quote(deal, State.SENT, number="AN-2026-0004", valid_until=yesterday, sent_at=timezone.now())
    client.force_login(rep)
    state, title = quote_state(card_of(client, deal))
    assert state == "expired"
    assert title == f"Quote AN-2026-0004 expired: it was valid until {yesterday:%d/%m/%Y}"


def test_draft_awaiting_approval_explains_itself(client, rep, deal):
    make_quote(deal, State.PENDING_APPROVAL)
    client.force_login(rep)
    assert quote_state(card_of(client, deal)) == (
        "pending_approval",
        "Draft quote: its discount awaits a manager’s approval",
    )


def test_card_tooltip_is_escaped(client, rep, deal):
    make_quote(deal, State.ACCEPTED, number='AN-<b>"x"', sent_at=timezone.now())
    client.force_login(rep)
    card = card_of(client, deal)
    assert "<b>" not in card
    assert "AN-&lt;b&gt;&quot;x&quot; accepted by the customer" in card


def test_card_in_german(client, rep, deal):
    valid_until = timezone.localdate() + timedelta(days=3)
    make_quote(deal, State.SENT, number="AN-2026-0005", valid_until=valid_until, sent_at=timezone.now())
    client.force_login(rep)
    page = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'title="Angebot AN-2026-0005 versendet, gültig bis {valid_until:%d.%m.%Y}"' in page
    assert ">Angebot versendet</span>" in page


def board_queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("deals:board")).status_code == 200
    return len(captured)


def test_quotes_cost_the_board_no_query(client, rep, stages):
    deals = [factories.DealFactory(owner=rep, stage=stages[i % len(stages)]) for i in range(30)]
    client.force_login(rep)
    board_queries(client)  # warm: content types, sessions
    without = board_queries(client)
    for index, deal in enumerate(deals):
        make_quote(deal, State.SENT if index % 2 else State.DRAFT, sent_at=timezone.now())
        make_quote(deal, State.DECLINED, sent_at=timezone.now())
    assert board_queries(client) == without


def test_the_quote_subquery_reads_the_deal_state_index(rep, deal):
    from deals import quote_signal

    make_quote(deal, State.SENT, sent_at=timezone.now())
    sql, params = Deal.objects.annotate(q=quote_signal.relevant_quote()).values("q").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index serves
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
    # quote_deal_state (deal_id, state) or the foreign key's own index on deal_id: a range per deal.
    assert "quote_deal_state" in plan or "quotes_quote_deal_id" in plan


# --- the poll -------------------------------------------------------------------------------


def poll(client, pipeline, etag):
    return client.get(reverse("deals:board_poll", args=[pipeline.pk]), HTTP_IF_NONE_MATCH=etag, **HTMX)


def test_poll_shows_a_new_quote_to_another_user(client, manager, rep, deal, pipeline):
    client.force_login(manager)
    etag = client.get(reverse("deals:board"))["ETag"]
    quote_services.quote_create(deal_id=deal.pk, actor=rep)
    response = poll(client, pipeline, etag)
    assert response.status_code == 200
    assert 'data-quote-state="draft"' in response.content.decode()


def test_poll_shows_a_cancelled_quote(client, manager, rep, deal, pipeline):
    quote = quote_services.quote_create(deal_id=deal.pk, actor=rep)
    client.force_login(manager)
    etag = client.get(reverse("deals:board"))["ETag"]
    assert poll(client, pipeline, etag).status_code == 304
    quote_services.quote_cancel(quote_id=quote.pk, actor=rep)
    response = poll(client, pipeline, etag)
    assert response.status_code == 200
    assert 'data-quote-state="' not in response.content.decode()


def test_a_quote_change_leaves_the_deals_version_alone(rep, deal):
    """An open edit form or a drag of the deal must not turn stale because of a quote."""
    before = Deal.objects.values_list("version", "updated_at").get(pk=deal.pk)
    quote = quote_services.quote_create(deal_id=deal.pk, actor=rep)
    quote_services.quote_cancel(quote_id=quote.pk, actor=rep)
    version, updated_at = Deal.objects.values_list("version", "updated_at").get(pk=deal.pk)
    assert version == before[0]
    assert updated_at > before[1]


# --- the deal list ---------------------------------------------------------------------------


def test_deal_list_shows_the_same_quote_state_as_the_card(client, rep, deal):
    make_quote(deal, State.SENT, number="AN-2026-0009", sent_at=timezone.now(), first_viewed_at=timezone.now())
    client.force_login(rep)
    page = client.get(reverse("deals:list")).content.decode()
    row = re.search(rf'<tr data-deal-id="{deal.pk}">.*?</tr>', page, re.S).group(0)
    assert 'data-quote-state="viewed"' in row
    assert "Quote AN-2026-0009 sent and opened by the customer" in row


def test_deal_list_quote_column_costs_no_query(client, rep, stages):
    client.force_login(rep)
    for _index in range(3):
        factories.DealFactory(owner=rep, stage=stages[0])
    client.get(reverse("deals:list"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("deals:list"))
    for deal in Deal.objects.all():
        make_quote(deal, State.ACCEPTED, sent_at=timezone.now())
    with CaptureQueriesContext(connection) as after:
        page = client.get(reverse("deals:list")).content.decode()
    assert page.count('data-quote-state="accepted"') == 3
    assert len(after) == len(before)


def test_deal_list_quote_column_can_be_hidden(client, rep, deal):
    make_quote(deal, State.DRAFT)
    client.force_login(rep)
    shown = client.get(reverse("deals:list")).content.decode()
    hidden = client.get(reverse("deals:list"), {"cols": ["organization", "stage"]}).content.decode()
    assert 'data-quote-state="draft"' in shown
    assert 'data-quote-state="draft"' not in hidden


def test_the_deals_app_does_not_import_the_quotes_app():
    """deals sits below quotes (docs/architecture.md): the card and the filter read the reverse relation."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "deals"
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "quotes"]
    assert offenders == []

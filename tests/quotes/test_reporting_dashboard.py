"""The quotes on the dashboard, against a small data set with hand-computed answers, per role.

The data (now = the test's moment; "n d" = n days ago, exact to the second):

alice (North): sent 10 d, accepted 4 d, list 1,000, net 900      → 6 days to acceptance
               sent 20 d, accepted 8 d, list 2,000, net 2,000    → 12 days
               sent 25 d, accepted 4 d, list 1,000, net 1,000    → 21 days
               sent 5 d, declined 2 d, list 1,000, net 800
               sent 40 d, expired (valid until 10 d), list 500, net 500
               sent 3 d, superseded since, list 1,000, net 1,000 (sent, never decided)
               sent 200 d, accepted 100 d (outside every period here), a draft (never sent)
bob (North):   sent 15 d, still "sent" but valid until yesterday (expired today), list 1,000, net 500
               sent 2 d, sent and valid, list 3,000, net 3,000
charlie (South): sent 6 d, accepted 1 d, list 2,000, net 1,800   → 5 days

Last 90 days — alice: 6 sent, 3 accepted, 1 declined, 1 expired → 60 %, discount 300 / 6,500,
days 6, 12, 21 → median 12, mean 13. bob: 2 sent, 1 expired → 0 %, discount 500 / 4,000 = 12.5 %.
charlie: 1 sent, 1 accepted → 100 %, discount 10 %, 5 days. North: 8 sent, 3 of 6 → 50 %,
discount 800 / 10,500. Everybody: 9 sent, 4 of 7, discount 1,000 / 12,500 = 8 %, days 5, 6, 12, 21 →
median 9, mean 11.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from analytics import filters
from analytics.selectors import dashboard
from quotes.models import Quote, QuoteEvent
from tests import factories
from tests.quotes.reporting_data import make_quote

State = Quote.State


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def quotes_data(rep, teammate, outsider, stages):
    now = timezone.now()
    today = timezone.localdate()

    def ago(days):
        return now - timedelta(days=days)

    def quote(owner, state, sent, *, answered=None, valid_until=None, list_total="1000", net_total="1000"):
        deal = factories.DealFactory(owner=owner, stage=stages[4])
        return make_quote(
            deal,
            state,
            sent_at=ago(sent) if sent is not None else None,
            answered_at=ago(answered) if answered is not None else None,
            valid_until=valid_until,
            list_total=list_total,
            net_total=net_total,
        )

    quote(rep, State.ACCEPTED, 10, answered=4, net_total="900")
    quote(rep, State.ACCEPTED, 20, answered=8, list_total="2000", net_total="2000")
    quote(rep, State.ACCEPTED, 25, answered=4)
    quote(rep, State.DECLINED, 5, answered=2, net_total="800")
    quote(rep, State.EXPIRED, 40, valid_until=today - timedelta(days=10), list_total="500", net_total="500")
    quote(rep, State.SUPERSEDED, 3)
    quote(rep, State.ACCEPTED, 200, answered=100)
    quote(rep, State.DRAFT, None)
    quote(teammate, State.SENT, 15, valid_until=today - timedelta(days=1), net_total="500")
    quote(teammate, State.SENT, 2, list_total="3000", net_total="3000")
    quote(outsider, State.ACCEPTED, 6, answered=1, list_total="2000", net_total="1800")


def table(user, **params):
    filterset = filters.DashboardFilter(params, user=user)
    assert filterset.is_valid(), filterset.errors
    section = dashboard.dashboard(user=user, filterset=filterset, only="quotes")["sections"][0]
    assert section.name == "quotes"
    return {(row[0], row[1]): row[2:] for row in section.rows}, [tuple(row[:2]) for row in section.rows]


def rounded(values):
    return [round(v, 4) if isinstance(v, (float, Decimal)) else v for v in values]


ALICE = [6, 3, 1, 1, 0.6, round(Decimal(300) / 6500, 4), 12.0, 13.0]
BOB = [2, 0, 0, 1, 0.0, Decimal("0.125"), None, None]
CHARLIE = [1, 1, 0, 0, 1.0, Decimal("0.1"), 5.0, 5.0]
NORTH = [8, 3, 1, 2, 0.5, round(Decimal(800) / 10500, 4), 12.0, 13.0]
EVERYBODY = [9, 4, 1, 2, round(4 / 7, 4), Decimal("0.08"), 9.0, 11.0]


def test_admin_sees_every_owner_every_team_and_everybody(quotes_data, admin):
    rows, order = table(admin)
    assert order == [
        ("North", "Alice Adams"),
        ("North", "Bob Brown"),
        ("South", "Charlie Clark"),
        ("North", "Team total"),
        ("South", "Team total"),
        ("All teams", "Total"),
    ]
    assert rounded(rows["North", "Alice Adams"]) == ALICE
    assert rounded(rows["North", "Bob Brown"]) == BOB
    assert rounded(rows["South", "Charlie Clark"]) == CHARLIE
    assert rounded(rows["North", "Team total"]) == NORTH
    assert rounded(rows["South", "Team total"]) == CHARLIE
    assert rounded(rows["All teams", "Total"]) == EVERYBODY


def test_manager_sees_their_team_only(quotes_data, manager):
    rows, order = table(manager)
    assert order == [("North", "Alice Adams"), ("North", "Bob Brown"), ("North", "Team total")]
    assert rounded(rows["North", "Team total"]) == NORTH


@pytest.mark.parametrize(
    ("who", "name", "figures"), [("rep", "Alice Adams", ALICE), ("outsider", "Charlie Clark", CHARLIE)]
)
def test_a_rep_sees_their_own_quotes_only(quotes_data, request, who, name, figures):
    rows, order = table(request.getfixturevalue(who))
    assert len(order) == 1
    assert rounded(rows[order[0]]) == figures
    assert order[0][1] == name


def test_team_filter_keeps_that_teams_owners(quotes_data, admin, team_south):
    _rows, order = table(admin, team=str(team_south.pk))
    assert order == [("South", "Charlie Clark")]


def test_shorter_period_counts_each_event_in_its_own_period(quotes_data, rep):
    """Last 30 days: the quote sent 40 days ago is no longer sent in the period, but it expired in it."""
    rows, _order = table(rep, period="30")
    sent, accepted, declined, expired, rate, discount, median, mean = rows["North", "Alice Adams"]
    assert (sent, accepted, declined, expired) == (5, 3, 1, 1)
    assert rate == 0.6
    assert round(discount, 4) == round(Decimal(300) / 6000, 4)
    assert (median, mean) == (12.0, 13.0)


def test_a_custom_range_reaches_old_answers(quotes_data, rep):
    today = timezone.localdate()
    rows, _order = table(
        rep, start=(today - timedelta(days=150)).isoformat(), end=(today - timedelta(days=50)).isoformat()
    )
    sent, accepted, declined, expired, rate, _discount, median, _mean = rows["North", "Alice Adams"]
    assert (sent, accepted, declined, expired) == (0, 1, 0, 0)  # sent 200 days ago, accepted 100 days ago
    assert rate == 1.0
    assert median == 100.0


def test_nothing_to_show_gives_an_empty_table(rep, stages):
    _rows, order = table(rep)
    assert order == []


def test_dashboard_page_shows_the_quotes_section_and_its_csv(quotes_data, client, manager):
    client.force_login(manager)
    page = client.get("/dashboard/").content.decode()
    assert 'id="section-quotes"' in page
    assert "How is this computed?" in page
    response = client.get(reverse("analytics:export", args=["quotes"]))
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Team", "Owner", "Sent", "Accepted"]
    assert lines[-1][:6] == ["North", "Team total", "8", "3", "1", "2"]
    assert lines[-1][6] == "0.5000"


def test_a_quote_answer_shows_on_a_cached_dashboard_at_once(quotes_data, client, rep, stages):
    client.force_login(rep)

    def alice_accepted():
        response = client.get(reverse("analytics:export", args=["quotes"]))
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1][3]

    version = dashboard.data_version()
    assert client.get("/dashboard/").status_code == 200
    deal = factories.DealFactory(owner=rep, stage=stages[4])
    quote = make_quote(deal, State.ACCEPTED, sent_at=timezone.now() - timedelta(days=1), answered_at=timezone.now())
    QuoteEvent.objects.create(quote=quote, deal=deal, kind=QuoteEvent.Kind.ACCEPTED)
    assert dashboard.data_version() != version
    assert alice_accepted() == "4"

"""The goals page, its forms, the dashboard's goals section and the board's goals indicator."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.goals import GoalPeriod, next_period_start
from analytics.models import Goal
from deals.models import Deal
from tests import factories

HTMX = {"HX-Request": "true"}
PAGE = reverse("analytics:goals")
NEW = reverse("analytics:goal_new")


def this_month():
    return GoalPeriod.current(Goal.Period.MONTH)


def goal(owner, metric=Goal.Metric.WON_VALUE, target=10000, period=None):
    period = period or this_month()
    kind = "team" if owner.__class__.__name__ == "Team" else "user"
    return Goal.objects.create(
        **{kind: owner}, metric=metric, period=period.period, period_start=period.first_day, target=target
    )


def won(owner, value):
    return factories.DealFactory(owner=owner, status=Deal.Status.WON, won_at=timezone.now(), value=Decimal(value))


def form_data(owner_key, **changes):
    return {
        "owner": owner_key,
        "metric": Goal.Metric.WON_DEALS,
        "period": Goal.Period.MONTH,
        "period_start": timezone.localdate().isoformat(),
        "target": "5",
    } | changes


@pytest.mark.django_db
def test_a_manager_adds_a_goal_for_a_member_and_the_start_becomes_the_first_of_the_month(client, manager, rep):
    client.force_login(manager)
    response = client.post(NEW, form_data(f"user:{rep.pk}"), headers=HTMX)
    assert response.status_code == 200
    saved = Goal.objects.get()
    assert (saved.user, saved.period_start, saved.target, saved.created_by) == (
        rep,
        timezone.localdate().replace(day=1),
        5,
        manager,
    )
    assert 'data-testid="goal-' in response.content.decode()


@pytest.mark.django_db
def test_a_duplicate_goal_re_renders_the_form_with_a_message(client, manager, rep):
    goal(rep, Goal.Metric.WON_DEALS, 3)
    client.force_login(manager)
    response = client.post(NEW, form_data(f"user:{rep.pk}"), headers=HTMX)
    assert response.status_code == 400
    assert "There is already a goal for this owner, measure and period." in response.content.decode()
    assert Goal.objects.get().target == 3


@pytest.mark.django_db
def test_a_manager_cannot_pick_a_member_of_another_team(client, manager, outsider):
    client.force_login(manager)
    response = client.post(NEW, form_data(f"user:{outsider.pk}"))
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_bad_target_re_renders_the_form(client, admin, rep):
    client.force_login(admin)
    response = client.post(NEW, form_data(f"user:{rep.pk}", target="1.5"))
    assert response.status_code == 400
    assert "This measure counts: give a whole number." in response.content.decode()


@pytest.mark.django_db
def test_a_rep_sees_their_goals_but_no_form(client, rep, teammate):
    goal(rep, target=20000)
    goal(teammate, target=30000)
    won(rep, "5000")
    client.force_login(rep)
    response = client.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="goal-form"' not in page
    assert "Alice Adams" in page and "Bob Brown" not in page
    assert "25 %" in page  # 5,000 of 20,000
    assert client.post(NEW, form_data(f"user:{rep.pk}")).status_code == 403


@pytest.mark.django_db
def test_a_manager_edits_and_deletes_a_goal(client, manager, rep):
    target = goal(rep)
    client.force_login(manager)
    edit = reverse("analytics:goal_edit", args=[target.pk])
    assert 'value="10000.00"' in client.get(edit).content.decode()
    data = form_data(f"user:{rep.pk}", metric=Goal.Metric.WON_VALUE, target="12000")
    assert client.post(edit, data).status_code == 302
    target.refresh_from_db()
    assert target.target == 12000
    assert client.post(reverse("analytics:goal_delete", args=[target.pk]), headers=HTMX).status_code == 200
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_the_period_picker_shows_the_chosen_month_and_the_next(client, admin, rep):
    month = this_month()
    later = GoalPeriod(Goal.Period.MONTH, next_period_start(Goal.Period.MONTH, month.after_day))
    goal(rep, period=later, target=777)
    client.force_login(admin)
    assert "777" not in client.get(PAGE).content.decode()
    response = client.get(PAGE, {"month": month.after_day.strftime("%Y-%m")}, headers=HTMX)
    assert "777" in response.content.decode()
    assert client.get(PAGE, {"month": "2026-13"}).status_code == 400


@pytest.mark.django_db
def test_the_dashboard_section_honours_the_owner_filter(client, manager, rep, teammate):
    goal(rep, target=20000)
    goal(teammate, target=40000)
    won(rep, "5000")
    client.force_login(manager)
    url = reverse("analytics:goals_dashboard")
    both = client.get(url, headers=HTMX).content.decode()
    assert "Alice Adams" in both and "Bob Brown" in both
    only = client.get(url, {"owner": rep.pk}, headers=HTMX).content.decode()
    assert "Alice Adams" in only and "Bob Brown" not in only
    assert "/dashboard/deals/?" in only and f"owner={rep.pk}" in only and "metric=won" in only


@pytest.mark.django_db
def test_the_drill_down_behind_a_won_value_goal_totals_its_achieved_value(client, manager, rep, teammate):
    goal(rep, target=20000)
    won(rep, "5000")
    won(rep, "2500")
    won(teammate, "9000")
    client.force_login(manager)
    section = client.get(reverse("analytics:goals_dashboard"), headers=HTMX)
    [row] = section.context["goals"]
    drill = client.get(row.drill_url)
    assert drill.status_code == 200
    assert drill.context["result"].total == row.achieved == Decimal("7500.00")


@pytest.mark.django_db
def test_a_rep_sees_only_their_own_goals_on_the_dashboard(client, rep, team_north):
    goal(rep, target=20000)
    goal(team_north, target=90000)
    client.force_login(rep)
    [row] = client.get(reverse("analytics:goals_dashboard"), headers=HTMX).context["goals"]
    assert row.goal.user == rep


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 15])
def test_the_dashboard_section_query_count_does_not_grow(size, client, admin, team_north):
    # 1 user (the session comes from the cache), 2–5 the filter form's choices that the FilterSet
    # validates against (owner, team: none given; pipeline and stage are read by the form only when
    # given), then 3 the goals with their user and team, 4 the deals (won value, won deals, new
    # deals), 5 the activities done, 6 the open deals' forecast.
    for _ in range(size):
        user = factories.UserFactory(team=team_north)
        for metric in Goal.Metric.values:
            goal(user, metric=metric, target=10)
        won(user, "100")
        factories.ActivityFactory(deal=factories.DealFactory(owner=user), assignee=user, done_at=timezone.now())
    client.force_login(admin)
    url = reverse("analytics:goals_dashboard")
    client.get(url, headers=HTMX)  # warm-up: SQLite probes its JSON support once per connection
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    assert len(response.context["goals"]) == 4 * size
    assert len(queries) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 15])
def test_the_board_indicator_query_count_does_not_grow(size, client, rep):
    for metric in Goal.Metric.values:
        goal(rep, metric=metric, target=10)
    for _ in range(size * 10):
        won(rep, "100")
    client.force_login(rep)
    url = reverse("analytics:goals_mine")
    client.get(url, headers=HTMX)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=HTMX)
    # 1 user, 2 the goals, 3 the deals, 4 the activities, 5 the forecast.
    assert len(queries) == 5
    assert response.content.decode().count("<progress") == 4


@pytest.mark.django_db
def test_the_board_loads_the_indicator_after_the_page(client, rep, stages):
    client.force_login(rep)
    page = client.get(reverse("deals:board")).content.decode()
    assert f'hx-get="{reverse("analytics:goals_mine")}"' in page


@pytest.mark.django_db
def test_the_board_indicator_shows_the_months_goals_and_the_quarters_only_when_the_month_has_none(client, rep):
    quarter = GoalPeriod.current(Goal.Period.QUARTER)
    goal(rep, metric=Goal.Metric.WON_DEALS, target=9, period=quarter)
    client.force_login(rep)
    url = reverse("analytics:goals_mine")
    only_quarter = client.get(url, headers=HTMX).content.decode()
    assert only_quarter.count("<progress") == 1 and "Quarter" in only_quarter

    goal(rep, metric=Goal.Metric.WON_VALUE, target=8000)
    goal(rep, metric=Goal.Metric.ACTIVITIES, target=40)
    with_month = client.get(url, headers=HTMX).content.decode()
    assert with_month.count("<progress") == 2  # no second "Won deals" chip from the quarter
    assert this_month().first_day.strftime("%B") in with_month

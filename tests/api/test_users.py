"""Users and teams (read only), scoped as the pages' owner filters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db


def _ids(user, path, **params):
    return {row["id"] for row in ApiClient(user).get(path, {"page_size": 200, **params}).json()["results"]}


def test_a_rep_sees_themself_and_their_team(rep, teammate, outsider, manager):
    assert _ids(rep, "/api/v1/users/") == {rep.pk, teammate.pk}


def test_a_manager_sees_the_teams_they_manage(rep, teammate, outsider, manager):
    assert _ids(manager, "/api/v1/users/") == {manager.pk, rep.pk, teammate.pk}


def test_an_admin_sees_everyone(rep, teammate, outsider, manager, admin):
    assert {rep.pk, teammate.pk, outsider.pk, manager.pk, admin.pk} <= _ids(admin, "/api/v1/users/")


def test_a_user_shows_name_email_role_and_team(rep, teammate):
    body = ApiClient(rep).get(f"/api/v1/users/{teammate.pk}").json()
    assert body["username"] == "bob" and body["name"] == "Bob Brown" and body["role"] == "rep"
    assert body["email"] == teammate.email and body["team"]["name"] == "North"
    assert "password" not in body and "calendar_token" not in body


def test_a_user_outside_the_scope_is_404(rep, outsider):
    is_problem(ApiClient(rep).get(f"/api/v1/users/{outsider.pk}"), 404)


def test_users_page_with_the_cursor(admin):
    made = {factories.UserFactory().pk for _ in range(4)}
    api = ApiClient(admin)
    first = api.get("/api/v1/users/", {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 3
    assert made | {admin.pk} == {row["id"] for row in first["results"] + second["results"]}


def test_the_user_list_costs_the_same_queries_for_3_and_for_30_users(admin, team_north):
    def count():
        api = ApiClient(admin)
        api.get("/api/v1/users/", {"page_size": 100})
        with CaptureQueriesContext(connection) as queries:
            api.get("/api/v1/users/", {"page_size": 100})
        return len(queries)

    for _ in range(3):
        factories.UserFactory(team=team_north)
    few = count()
    for _ in range(27):
        factories.UserFactory(team=team_north)
    assert count() == few


def test_teams_are_those_of_the_visible_users_with_their_managers(rep, outsider, manager, team_north, team_south):
    assert _ids(rep, "/api/v1/teams/") == {team_north.pk}
    body = ApiClient(rep).get(f"/api/v1/teams/{team_north.pk}").json()
    assert body["managers"] == [{"id": manager.pk, "name": "Maria Miller"}]
    is_problem(ApiClient(rep).get(f"/api/v1/teams/{team_south.pk}"), 404)


def test_teams_list_costs_the_same_queries_for_3_and_for_30_teams(admin):
    def count():
        api = ApiClient(admin)
        api.get("/api/v1/teams/", {"page_size": 100})
        with CaptureQueriesContext(connection) as queries:
            api.get("/api/v1/teams/", {"page_size": 100})
        return len(queries)

    for _ in range(3):
        factories.TeamFactory().managers.add(factories.UserFactory())
    few = count()
    for _ in range(27):
        factories.TeamFactory().managers.add(factories.UserFactory())
    assert count() == few


def test_there_are_no_writes(admin, rep):
    api = ApiClient(admin)
    assert api.post("/api/v1/users/", {"username": "x"}).status_code == 405
    assert api.patch(f"/api/v1/users/{rep.pk}", {"role": "admin"}).status_code == 405

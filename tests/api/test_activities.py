"""Activities through the API: the list with the activity list's filters and cursor paging, read,
plan on a deal or a lead (validated as the page's form), edit with the calendar's version,
done / reopen / postpone, scoping per role, 422 problems, and list queries that do not grow."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.calendar import activity_version
from activities.models import Activity, Kind
from audit.models import LogEntry
from events import representations
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")


@pytest.fixture
def activity(deal):
    return factories.ActivityFactory(deal=deal, subject="Call Acme")


def test_list_shows_visible_activities_newest_first(rep, deal, outsider, stages):
    first = factories.ActivityFactory(deal=deal)
    second = factories.ActivityFactory(deal=deal)
    factories.ActivityFactory(deal=factories.DealFactory(owner=outsider, stage=stages[0]))
    body = ApiClient(rep).get("/api/v1/activities/").json()
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    row = body["results"][0]
    assert row["deal"] == {"id": deal.pk, "name": "Acme rollout"}
    assert row["lead"] is None
    assert row["assignee"]["id"] == rep.pk
    assert row["version"] == activity_version(second)


def test_list_filters_by_kind_deal_done_and_owner(rep, teammate, manager, deal, stages):
    call = factories.ActivityFactory(deal=deal, kind=Kind.CALL)
    task = factories.ActivityFactory(deal=deal, kind=Kind.TASK, done_at=timezone.now())
    other_deal = factories.DealFactory(owner=teammate, stage=stages[0])
    theirs = factories.ActivityFactory(deal=other_deal, kind=Kind.CALL)
    api = ApiClient(rep)

    def ids(**params):
        response = api.get("/api/v1/activities/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(kind="call") == {call.pk, theirs.pk}
    assert ids(deal_id=deal.pk) == {call.pk, task.pk}
    assert ids(done="true") == {task.pk}
    assert ids(done="false", deal_id=deal.pk) == {call.pk}
    assert ids(assignee_id=teammate.pk) == {theirs.pk}
    managed = ApiClient(manager).get("/api/v1/activities/", {"owner": teammate.pk}).json()["results"]
    assert {row["id"] for row in managed} == {theirs.pk}


def test_a_bad_filter_value_is_a_422_problem(rep):
    body = is_problem(ApiClient(rep).get("/api/v1/activities/", {"kind": "party"}), 422)
    assert body["errors"][0]["field"] == "kind"
    is_problem(ApiClient(rep).get("/api/v1/activities/", {"deal_id": "x"}), 422)
    is_problem(ApiClient(rep).get("/api/v1/activities/", {"deal_id": 10**30}), 422)
    for owner in ("abc", str(10**30), "\x00"):
        is_problem(ApiClient(rep).get("/api/v1/activities/", {"owner": owner}), 422)


def test_the_list_pages_with_a_cursor(rep, deal):
    made = [factories.ActivityFactory(deal=deal).pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get("/api/v1/activities/", {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    seen = [row["id"] for row in first["results"] + second["results"]]
    assert seen == sorted(made, reverse=True)
    assert second["next"] is None


def _list_queries(api, expected):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/activities/", {"page_size": 100})
    assert len(response.json()["results"]) == expected
    return len(queries)


def test_list_queries_do_not_grow_with_the_rows(rep, stages):
    lead = factories.LeadFactory(owner=rep)

    def add(count):
        for _ in range(count):
            factories.ActivityFactory(deal=factories.DealFactory(owner=rep, stage=stages[0]))
            factories.ActivityFactory(deal=None, lead=lead, assignee=rep)

    api = ApiClient(rep)
    add(3)
    api.get("/api/v1/activities/")  # the first request of a token warms what is cached
    at_3 = _list_queries(api, 6)
    add(27)
    assert _list_queries(api, 60) == at_3


def test_read_and_scoping_per_role(activity, rep, teammate, outsider, manager, manager_south, admin):
    for user in (rep, teammate, manager, admin):
        assert ApiClient(user).get(f"/api/v1/activities/{activity.pk}").status_code == 200, user
    for user in (outsider, manager_south):
        is_problem(ApiClient(user).get(f"/api/v1/activities/{activity.pk}"), 404)
    is_problem(ApiClient(rep).get("/api/v1/activities/999999"), 404)


def test_plan_an_activity_on_a_deal(rep, deal):
    due = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = ApiClient(rep).post(
        "/api/v1/activities/",
        {"deal_id": deal.pk, "kind": "meeting", "subject": "Demo", "due_at": due.isoformat(), "note": "Bring slides"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    activity = Activity.objects.get(pk=body["id"])
    assert (activity.kind, activity.subject, activity.due_at, activity.note) == ("meeting", "Demo", due, "Bring slides")
    assert activity.assignee == rep and activity.deal == deal
    deal.refresh_from_db()
    assert deal.last_activity_at is not None
    entry = LogEntry.objects.get_for_object(activity).latest("timestamp")
    assert entry.source == "api" and entry.actor_id == rep.pk


def test_a_manager_plans_an_activity_on_a_lead_for_a_rep(rep, teammate, manager):
    lead = factories.LeadFactory(owner=rep)
    response = ApiClient(manager).post(
        "/api/v1/activities/",
        {"lead_id": lead.pk, "kind": "task", "subject": "Qualify", "assignee_id": teammate.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lead"]["id"] == lead.pk and body["assignee"]["id"] == teammate.pk
    # A rep hands activities to nobody else (the page's assignee choices).
    payload = {"lead_id": lead.pk, "kind": "task", "subject": "Qualify", "assignee_id": teammate.pk}
    body = is_problem(ApiClient(rep).post("/api/v1/activities/", payload), 422)
    assert body["errors"][0]["field"] == "assignee"


def test_an_all_day_activity_needs_its_day_as_on_the_page(rep, deal):
    body = is_problem(
        ApiClient(rep).post(
            "/api/v1/activities/", {"deal_id": deal.pk, "kind": "task", "subject": "X", "all_day": True}
        ),
        422,
    )
    assert body["errors"] == [{"field": "due_at", "message": "An all-day activity needs its day."}]


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "party", "subject": "X"},
        {"kind": "task", "subject": ""},
        {"kind": "task", "subject": "X" * 201},
        {"kind": "task", "subject": "X", "remind_before_minutes": 7},
        {"kind": "task", "subject": "X", "remind_before_minutes": 10**20},
        {"kind": "task", "subject": "X", "due_at": "tomorrow"},
        {"kind": "task", "subject": "X", "assignee_id": 2**31 - 2},
        {"kind": 5, "subject": None},
        {"kind": "task", "subject": "Nul\x00byte"},
    ],
)
def test_bad_input_for_a_new_activity_is_a_422_problem(rep, deal, payload):
    is_problem(ApiClient(rep).post("/api/v1/activities/", {"deal_id": deal.pk, **payload}), 422)
    assert not Activity.objects.exists()


def test_a_new_activity_needs_exactly_one_parent(rep, deal):
    lead = factories.LeadFactory(owner=rep)
    for parents in ({}, {"deal_id": deal.pk, "lead_id": lead.pk}):
        body = is_problem(ApiClient(rep).post("/api/v1/activities/", {"kind": "task", "subject": "X", **parents}), 422)
        assert "exactly one" in body["errors"][0]["message"]


def test_planning_on_a_deal_needs_the_right_to_change_it(deal, teammate, outsider):
    payload = {"deal_id": deal.pk, "kind": "task", "subject": "X"}
    is_problem(ApiClient(teammate).post("/api/v1/activities/", payload), 403)
    is_problem(ApiClient(outsider).post("/api/v1/activities/", payload), 404)
    is_problem(ApiClient(outsider).post("/api/v1/activities/", {**payload, "deal_id": 999999}), 404)
    assert not Activity.objects.exists()


def test_edit_changes_only_the_fields_sent(rep, activity):
    due = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = ApiClient(rep).patch(f"/api/v1/activities/{activity.pk}", {"due_at": due.isoformat()})
    assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert activity.due_at == due and activity.subject == "Call Acme" and activity.kind == Kind.CALL


def test_edit_with_a_stale_version_is_409_with_the_current_version(rep, activity):
    api = ApiClient(rep)
    old = api.get(f"/api/v1/activities/{activity.pk}").json()["version"]
    fresh = api.patch(f"/api/v1/activities/{activity.pk}", {"subject": "First", "version": old}).json()
    assert fresh["subject"] == "First" and fresh["version"] != old
    body = is_problem(api.patch(f"/api/v1/activities/{activity.pk}", {"subject": "Second", "version": old}), 409)
    assert body["current_version"] == fresh["version"]
    assert body["type"].endswith("stale-version")
    activity.refresh_from_db()
    assert activity.subject == "First"


def test_bad_edits_are_422(rep, activity):
    is_problem(ApiClient(rep).patch(f"/api/v1/activities/{activity.pk}", {"subject": ""}), 422)
    is_problem(ApiClient(rep).patch(f"/api/v1/activities/{activity.pk}", {"kind": None}), 422)


def test_only_who_may_change_it_edits_or_completes(activity, teammate, outsider, manager):
    for path, body in ((f"/api/v1/activities/{activity.pk}", {"subject": "X"}),):
        is_problem(ApiClient(teammate).patch(path, body), 403)
        is_problem(ApiClient(outsider).patch(path, body), 404)
    is_problem(ApiClient(teammate).post(f"/api/v1/activities/{activity.pk}/done"), 403)
    is_problem(ApiClient(outsider).post(f"/api/v1/activities/{activity.pk}/done"), 404)
    assert ApiClient(manager).post(f"/api/v1/activities/{activity.pk}/done").status_code == 200


def test_the_assignee_may_change_an_activity_on_someone_elses_deal(activity, teammate):
    Activity.objects.filter(pk=activity.pk).update(assignee=teammate)
    assert ApiClient(teammate).post(f"/api/v1/activities/{activity.pk}/done").status_code == 200


def test_done_reopen_and_postpone(rep, activity):
    api = ApiClient(rep)
    done = api.post(f"/api/v1/activities/{activity.pk}/done").json()
    assert done["done_at"] is not None
    again = api.post(f"/api/v1/activities/{activity.pk}/done").json()
    assert again["done_at"] == done["done_at"]
    assert api.post(f"/api/v1/activities/{activity.pk}/reopen").json()["done_at"] is None
    Activity.objects.filter(pk=activity.pk).update(due_at=timezone.now() - timedelta(days=3))
    postponed = api.post(f"/api/v1/activities/{activity.pk}/postpone")
    assert postponed.status_code == 200
    activity.refresh_from_db()
    assert timezone.localtime(activity.due_at).date() == timezone.localdate() + timedelta(days=1)


def test_fields_trims_each_activity(rep, activity):
    response = ApiClient(rep).get("/api/v1/activities/", {"fields": "subject,due_at"})
    assert set(response.json()["results"][0]) == {"id", "subject", "due_at"}


def test_there_is_no_delete(rep, activity):
    assert ApiClient(rep).delete(f"/api/v1/activities/{activity.pk}").status_code == 405
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_a_read_only_token_may_not_complete(rep, activity):
    from api.models import ApiToken

    is_problem(ApiClient(rep, scope=ApiToken.Scope.READ).post(f"/api/v1/activities/{activity.pk}/done"), 403)


def test_the_representation_is_the_read(rep, outsider, activity):
    body = ApiClient(rep).get(f"/api/v1/activities/{activity.pk}").json()
    represented = representations.represent("activity", activity.pk, user=rep)
    assert represented.keys() == body.keys()
    assert {k: represented[k] for k in ("id", "subject", "deal", "assignee", "version")} == {
        k: body[k] for k in ("id", "subject", "deal", "assignee", "version")
    }
    assert representations.represent("activity", activity.pk, user=outsider) is None

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Kind
from deals.models import Deal
from leads.models import Lead
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def users(rep, teammate, outsider, manager, admin):
    return {"rep": rep, "teammate": teammate, "outsider": outsider, "manager": manager, "admin": admin}


def login(client, user):
    client.force_login(user)
    return client


# --- My activities ----------------------------------------------------------------------


def test_my_activities_groups_overdue_today_upcoming_and_done(client, rep, deal, now):
    factories.ActivityFactory(deal=deal, subject="Overdue call", due_at=now - timedelta(days=2))
    factories.ActivityFactory(deal=deal, subject="Later meeting", due_at=now + timedelta(days=3))
    factories.ActivityFactory(deal=deal, subject="Finished task", due_at=now - timedelta(days=1), done_at=now)

    response = login(client, rep).get(reverse("activities:list"))

    assert response.status_code == 200
    sections = {key: [a.subject for a in items] for key, _, items in response.context["sections"]}
    assert sections["overdue"] == ["Overdue call"]
    assert sections["upcoming"] == ["Later meeting"]
    assert sections["done"] == ["Finished task"]
    assert b"<h1>My activities</h1>" in response.content


def test_my_activities_htmx_returns_only_the_sections(client, rep, deal, now):
    factories.ActivityFactory(deal=deal, subject="Call", due_at=now + timedelta(days=2), kind=Kind.CALL)
    factories.ActivityFactory(deal=deal, subject="Meet", due_at=now + timedelta(days=2), kind=Kind.MEETING)

    response = login(client, rep).get(reverse("activities:list"), {"kind": "meeting"}, **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="activity-sections"')
    assert "<html" not in content
    assert "Meet" in content and ">Call<" not in content


@pytest.mark.parametrize("role", ["rep", "teammate", "outsider", "manager", "admin"])
def test_my_activities_shows_only_the_users_own_by_default(client, users, role, deal, now):
    factories.ActivityFactory(deal=deal, subject="Alice's call", due_at=now + timedelta(hours=2))

    response = login(client, users[role]).get(reverse("activities:list"))

    assert response.status_code == 200
    assert ("Alice&#x27;s call" in response.content.decode()) == (role == "rep")


def test_manager_filters_by_the_deal_owner_of_their_team(client, manager, rep, deal, now):
    factories.ActivityFactory(deal=deal, subject="Alice's call", due_at=now + timedelta(hours=2))

    response = login(client, manager).get(reverse("activities:list"), {"owner": rep.pk}, **HTMX)

    assert "Alice&#x27;s call" in response.content.decode()


def test_manager_cannot_filter_by_an_owner_outside_their_teams(client, manager, outsider, now):
    factories.ActivityFactory(deal=factories.DealFactory(owner=outsider), subject="South call")

    response = login(client, manager).get(reverse("activities:list"), {"owner": outsider.pk}, **HTMX)

    assert "South call" not in response.content.decode()


def test_rep_cannot_use_the_owner_filter(client, rep, teammate, now):
    factories.ActivityFactory(deal=factories.DealFactory(owner=teammate), subject="Bob's call")

    response = login(client, rep).get(reverse("activities:list"), {"owner": teammate.pk}, **HTMX)

    assert "Bob" not in response.content.decode()


def test_my_activities_query_count_is_constant(client, rep, deal, now, django_assert_num_queries):
    # Expected queries: user with their team (the session comes from the cache), overdue,
    # today, upcoming, done (each with its deal, lead, assignee and owners joined). A rep has
    # no owner filter, so its choices are never queried.
    def page():
        with django_assert_num_queries(5):
            assert client.get(reverse("activities:list")).status_code == 200

    login(client, rep)
    factories.ActivityFactory.create_batch(2, deal=deal, due_at=now + timedelta(days=2))
    page()
    other = factories.LeadFactory(owner=rep)
    factories.ActivityFactory.create_batch(20, deal=deal, due_at=now - timedelta(days=2))
    factories.ActivityFactory.create_batch(10, deal=None, lead=other, due_at=now + timedelta(days=2), done_at=now)
    page()


# --- the deal panel ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "can_plan"),
    [
        ("rep", 200, True),
        ("teammate", 200, False),
        ("outsider", 404, False),
        ("manager", 200, True),
        ("admin", 200, True),
    ],
)
def test_deal_panel_access_by_role(client, users, role, status, can_plan, deal, now):
    factories.ActivityFactory(deal=deal, subject="Call Acme", due_at=now + timedelta(days=1))

    response = login(client, users[role]).get(reverse("activities:deal_panel", args=[deal.pk]), **HTMX)

    assert response.status_code == status
    if status == 200:
        content = response.content.decode()
        assert "Call Acme" in content
        assert ("Plan an activity" in content) == can_plan


@pytest.mark.parametrize(("role", "status"), [("teammate", 403), ("outsider", 404)])
def test_planning_on_a_deal_one_may_not_change_is_refused(client, users, role, status, deal):
    response = login(client, users[role]).post(
        reverse("activities:deal_panel", args=[deal.pk]), {"kind": "call", "subject": "Sneaky"}, **HTMX
    )

    assert response.status_code == status
    assert not Activity.objects.exists()


def test_rep_plans_a_follow_up_on_their_deal(client, rep, deal):
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = login(client, rep).post(
        reverse("activities:deal_panel", args=[deal.pk]),
        {"kind": "follow_up", "subject": "Send the offer", "due_at": due, "note": "With discount"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "activities-changed" in response["HX-Trigger"]
    activity = Activity.objects.get()
    assert (activity.subject, activity.assignee, activity.deal, activity.created_by) == (
        "Send the offer",
        rep,
        deal,
        rep,
    )
    assert "Send the offer" in response.content.decode()
    deal.refresh_from_db()
    assert deal.last_activity_at is not None


def test_planning_without_a_subject_rerenders_the_form_with_the_error(client, rep, deal):
    response = login(client, rep).post(
        reverse("activities:deal_panel", args=[deal.pk]), {"kind": "call", "subject": ""}, **HTMX
    )

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Activity.objects.exists()


def test_all_day_activity_needs_its_day(client, rep, deal):
    response = login(client, rep).post(
        reverse("activities:deal_panel", args=[deal.pk]), {"kind": "task", "subject": "Prep", "all_day": "on"}, **HTMX
    )

    assert "needs its day" in response.content.decode()
    assert not Activity.objects.exists()


def test_planning_without_htmx_redirects_to_the_deal(client, rep, deal):
    response = login(client, rep).post(
        reverse("activities:deal_panel", args=[deal.pk]), {"kind": "call", "subject": "Call"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])


def test_lead_panel_plans_on_the_lead_and_touches_it(client, rep, lead):
    response = login(client, rep).post(
        reverse("activities:lead_panel", args=[lead.pk]), {"kind": "call", "subject": "Qualify"}, **HTMX
    )

    assert response.status_code == 200
    assert Activity.objects.get().lead == lead
    assert Lead.objects.get(pk=lead.pk).last_touch_at is not None


def test_lead_panel_of_an_outsiders_lead_is_not_found(client, outsider, lead):
    response = login(client, outsider).get(reverse("activities:lead_panel", args=[lead.pk]), **HTMX)

    assert response.status_code == 404


# --- one activity -----------------------------------------------------------------------


def test_marking_done_resets_rotting_and_refreshes_the_board(client, rep, deal, now):
    activity = factories.ActivityFactory(deal=deal, due_at=now - timedelta(hours=1))
    Deal.objects.filter(pk=deal.pk).update(updated_at=now - timedelta(days=3))

    response = login(client, rep).post(reverse("activities:done", args=[activity.pk]), **HTMX)

    assert response.status_code == 200
    assert "is-done" in response.content.decode()
    activity.refresh_from_db()
    deal.refresh_from_db()
    assert activity.done_at is not None
    assert deal.last_activity_at == activity.done_at
    assert deal.updated_at > now - timedelta(minutes=1)


def test_marking_done_twice_keeps_the_first_done_time(client, rep, deal, now):
    activity = factories.ActivityFactory(deal=deal)
    login(client, rep).post(reverse("activities:done", args=[activity.pk]), **HTMX)
    first = Activity.objects.get().done_at

    client.post(reverse("activities:done", args=[activity.pk]), **HTMX)

    assert Activity.objects.get().done_at == first


@pytest.mark.parametrize(("role", "status"), [("teammate", 403), ("outsider", 404), ("manager", 200), ("admin", 200)])
def test_marking_done_by_role(client, users, role, status, deal):
    activity = factories.ActivityFactory(deal=deal)

    response = login(client, users[role]).post(reverse("activities:done", args=[activity.pk]), **HTMX)

    assert response.status_code == status
    assert (Activity.objects.get().done_at is not None) == (status == 200)


def test_assignee_may_complete_an_activity_on_someone_elses_deal(client, teammate, deal):
    activity = factories.ActivityFactory(deal=deal, assignee=teammate)

    response = login(client, teammate).post(reverse("activities:done", args=[activity.pk]), **HTMX)

    assert response.status_code == 200


def test_done_requires_post(client, rep, deal):
    activity = factories.ActivityFactory(deal=deal)

    assert login(client, rep).get(reverse("activities:done", args=[activity.pk])).status_code == 405


def test_reopen_undoes_done(client, rep, deal, now):
    activity = factories.ActivityFactory(deal=deal, done_at=now)

    response = login(client, rep).post(reverse("activities:reopen", args=[activity.pk]), **HTMX)

    assert response.status_code == 200
    assert Activity.objects.get().done_at is None


def test_edit_form_is_a_fragment(client, rep, deal):
    activity = factories.ActivityFactory(deal=deal, subject="Call Acme")

    response = login(client, rep).get(reverse("activities:edit", args=[activity.pk]), **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="activity-{activity.pk}"')
    assert 'value="Call Acme"' in content


def test_reschedule_moves_the_due_time_and_rearms_the_reminder(client, rep, deal, now):
    activity = factories.ActivityFactory(deal=deal, reminder_sent_at=now)
    new_due = timezone.localtime(now + timedelta(days=5)).replace(second=0)

    response = login(client, rep).post(
        reverse("activities:edit", args=[activity.pk]),
        {"kind": "call", "subject": "Call later", "due_at": new_due.strftime("%Y-%m-%dT%H:%M")},
        **HTMX,
    )

    assert response.status_code == 200
    activity.refresh_from_db()
    assert activity.due_at == new_due
    assert activity.subject == "Call later"
    assert activity.reminder_sent_at is None


@pytest.mark.parametrize(("role", "status"), [("teammate", 403), ("outsider", 404)])
def test_editing_by_role(client, users, role, status, deal):
    activity = factories.ActivityFactory(deal=deal, subject="Call Acme")

    response = login(client, users[role]).post(
        reverse("activities:edit", args=[activity.pk]), {"kind": "call", "subject": "Hijacked"}, **HTMX
    )

    assert response.status_code == status
    assert Activity.objects.get().subject == "Call Acme"


def test_item_of_another_teams_activity_is_not_found(client, outsider, deal):
    activity = factories.ActivityFactory(deal=deal)

    assert login(client, outsider).get(reverse("activities:item", args=[activity.pk]), **HTMX).status_code == 404


def test_anonymous_user_is_sent_to_login(client, deal):
    response = client.get(reverse("activities:list"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_deal_panel_query_count_is_constant(client, rep, deal, now, django_assert_num_queries):
    # Expected queries: user (the session comes from the cache), the deal (scoped), its
    # activities with their assignees, the assignee choices of the form.
    login(client, rep)
    for size in (1, 25):
        factories.ActivityFactory.create_batch(size, deal=deal, due_at=now + timedelta(days=1))
        with django_assert_num_queries(4):
            response = client.get(reverse("activities:deal_panel", args=[deal.pk]), **HTMX)
        assert response.content.decode().count('data-testid="activity-item"') == Activity.objects.count()


def test_my_activities_for_a_manager_query_count_is_constant(
    client, manager, rep, deal, now, django_assert_num_queries
):
    # Expected queries: user (the session comes from the cache), the managed teams (scoping),
    # the chosen owner (form validation), overdue, today, upcoming, done (with deal, lead,
    # assignee and owners joined), the owner choices (rendering the select).
    def page():
        with django_assert_num_queries(8):
            response = client.get(reverse("activities:list"), {"owner": rep.pk})
        assert response.status_code == 200
        return response

    login(client, manager)
    factories.ActivityFactory.create_batch(2, deal=deal, due_at=now + timedelta(days=2))
    page()
    factories.ActivityFactory.create_batch(20, deal=deal, due_at=now - timedelta(days=2))
    factories.ActivityFactory.create_batch(5, deal=deal, due_at=now, done_at=now)
    response = page()
    assert sum(len(items) for _, _, items in response.context["sections"]) == 27


def test_postpone_moves_to_the_same_time_tomorrow_and_rearms_the_reminder(client, rep, deal, now):
    due = timezone.localtime(now - timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
    activity = factories.ActivityFactory(deal=deal, due_at=due, reminder_sent_at=due)

    response = login(client, rep).post(reverse("activities:postpone", args=[activity.pk]), **HTMX)

    assert response.status_code == 200
    activity.refresh_from_db()
    local = timezone.localtime(activity.due_at)
    assert local.date() == timezone.localdate() + timedelta(days=1)
    assert (local.hour, local.minute) == (14, 30)
    assert activity.reminder_sent_at is None
    assert "is-overdue" not in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [("teammate", 403), ("outsider", 404)])
def test_postponing_by_role(client, users, role, status, deal, now):
    activity = factories.ActivityFactory(deal=deal, due_at=now)

    response = login(client, users[role]).post(reverse("activities:postpone", args=[activity.pk]), **HTMX)

    assert response.status_code == status
    assert Activity.objects.get().due_at == now

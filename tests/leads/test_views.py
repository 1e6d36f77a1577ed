import pytest

from leads import services
from leads.models import Lead, LeadStatusChange
from tests import factories

ROLES_SEEING_ALICES_LEAD = [("rep", True), ("teammate", True), ("manager", True), ("admin", True), ("outsider", False)]


@pytest.fixture
def alices_lead(rep, make_lead):
    return make_lead(owner=rep, last_name="Alicelead", email="a@alice.example")


@pytest.fixture
def unassigned_lead(db):
    return services.lead_create(actor=None, owner=None, last_name="Nobodys", email="n@nobody.example")


# Scoping -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), ROLES_SEEING_ALICES_LEAD)
def test_list_shows_a_lead_to_exactly_the_roles_in_scope(client, request, alices_lead, who, sees):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/leads/")
    assert response.status_code == 200
    assert ("Alicelead" in response.content.decode()) is sees


@pytest.mark.parametrize(
    ("who", "status"), [("rep", 200), ("teammate", 200), ("manager", 200), ("admin", 200), ("outsider", 404)]
)
def test_detail_answers_404_outside_the_scope(client, request, alices_lead, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/leads/{alices_lead.pk}/").status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("rep", 200), ("teammate", 403), ("manager", 200), ("admin", 200), ("outsider", 404)]
)
def test_edit_page_answers_403_to_those_who_only_see(client, request, alices_lead, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/leads/{alices_lead.pk}/edit/").status_code == status


@pytest.mark.parametrize(
    ("who", "sees"), [("rep", False), ("teammate", False), ("outsider", False), ("manager", True), ("admin", True)]
)
def test_unassigned_leads_are_seen_by_managers_and_admins(client, request, unassigned_lead, who, sees):
    client.force_login(request.getfixturevalue(who))
    assert ("Nobodys" in client.get("/leads/").content.decode()) is sees


def test_anonymous_is_sent_to_login(client, alices_lead):
    response = client.get("/leads/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# List: page, partial, filters, sort -------------------------------------------------------------


def test_list_full_page_has_filters_and_table(client, rep, alices_lead):
    client.force_login(rep)
    html = client.get("/leads/").content.decode()
    assert "<html" in html
    assert 'id="lead-table"' in html
    assert 'name="industry"' in html


def test_list_htmx_request_gets_only_the_table(client, rep, alices_lead):
    client.force_login(rep)
    html = client.get("/leads/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<div id="lead-table">')
    assert "Alicelead" in html


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("industry", "finance", {"industry": "finance"}),
        ("size_band", "50-249", {"size_band": "50-249"}),
        ("region", "at", {"region": "at"}),
        ("decision_role", "influencer", {"decision_role": "influencer"}),
        ("source", "trade_fair", {"source": "trade_fair"}),
        ("status", "new", {}),
        ("q", "needle", {"company_name": "Haystack needle AG"}),
        ("campaign", "spring", {"campaign": "Spring webinar"}),
    ],
)
def test_list_filters_by_segment_and_fields(client, rep, make_lead, param, value, match):
    make_lead(owner=rep, last_name="Wanted", email="w@w.example", **match)
    other = make_lead(owner=rep, last_name="Unwanted", email="u@u.example")
    if param == "status":
        Lead.objects.filter(pk=other.pk).update(status="contacted")
    client.force_login(rep)
    html = client.get("/leads/", {param: value}).content.decode()
    assert "Wanted" in html
    assert "Unwanted" not in html


def test_list_filters_by_persona(client, rep, make_lead):
    persona = factories.PersonaFactory(name="Cautious CFO")
    make_lead(owner=rep, last_name="Wanted", email="w@w.example", persona=persona)
    make_lead(owner=rep, last_name="Unwanted", email="u@u.example")
    client.force_login(rep)
    html = client.get("/leads/", {"persona": persona.pk}).content.decode()
    assert "Wanted" in html and "Unwanted" not in html


def test_list_filters_by_score_range_and_band(client, rep, make_lead):
    make_lead(owner=rep, last_name="Hotshot", email="h@h.example", need=3, budget=3, authority=3)
    make_lead(owner=rep, last_name="Coldfish", email="c@c.example", need=1)
    client.force_login(rep)
    html = client.get("/leads/", {"score_min": "50"}).content.decode()
    assert "Hotshot" in html and "Coldfish" not in html
    html = client.get("/leads/", {"band": "cold"}).content.decode()
    assert "Coldfish" in html and "Hotshot" not in html


def test_list_owner_filter_offers_only_visible_users(client, rep, outsider, alices_lead):
    client.force_login(rep)
    response = client.get("/leads/", {"owner": outsider.pk})
    assert "Alicelead" not in response.content.decode()
    assert "charlie" not in str(response.context["filter"].form["owner"])


def test_list_sorts_by_score_so_the_hottest_comes_first(client, rep, make_lead):
    make_lead(owner=rep, last_name="Middling", email="m@m.example", need=2)
    make_lead(owner=rep, last_name="Hottest", email="h@h.example", need=3, budget=3)
    make_lead(owner=rep, last_name="Coldest", email="c@c.example")
    client.force_login(rep)
    page = client.get("/leads/", {"o": "-score"}).context["page"]
    assert [lead.last_name for lead in page] == ["Hottest", "Middling", "Coldest"]


def test_list_paginates(client, rep, make_lead):
    for i in range(55):
        make_lead(owner=rep, last_name=f"L{i}", email=f"l{i}@x.example")
    client.force_login(rep)
    first = client.get("/leads/")
    second = client.get("/leads/", {"page": 2})
    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 5


@pytest.mark.parametrize("size", [5, 40])
def test_list_query_count_does_not_grow_with_the_leads(client, rep, django_assert_num_queries, size):
    persona = factories.PersonaFactory()
    for i in range(size):
        factories.LeadFactory(owner=rep, persona=persona, email=f"q{i}@x.example")
    client.force_login(rep)
    # 1 user with their team (the session comes from the cache), 2 count, 3 scoring settings
    # (bands), 4 the owner filter's user choices, 5 the persona choices, 6 the tag choices,
    # 7 the stage choices (with their pipelines) of the converted deal's stage filter,
    # 8 the page of leads with owner, organization and persona joined.
    with django_assert_num_queries(8):
        response = client.get("/leads/", {"o": "-score"})
    assert len(response.context["page"]) == size


# Create, edit, qualify, status -----------------------------------------------------------------


def test_rep_creates_a_lead_with_score_and_history(client, rep):
    client.force_login(rep)
    response = client.post(
        "/leads/new/",
        {
            "last_name": "Newman",
            "email": "n@new.example",
            "source": "trade_fair",
            "owner": rep.pk,
            "need": 3,
            "budget": 0,
            "authority": 0,
            "timing": 0,
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert (lead.owner, lead.source, lead.score) == (rep, "trade_fair", 30)
    assert LeadStatusChange.objects.get(lead=lead).to_status == "new"


def test_create_rerenders_with_messages_on_bad_input(client, rep):
    client.force_login(rep)
    response = client.post("/leads/new/", {"last_name": "", "email": "nope", "owner": rep.pk})
    assert response.status_code == 400
    assert Lead.objects.count() == 0
    assert "Enter a valid email address" in response.content.decode()


def test_rep_cannot_create_a_lead_for_a_teammate(client, rep, teammate):
    client.force_login(rep)
    response = client.post(
        "/leads/new/",
        {
            "last_name": "X",
            "email": "x@x.example",
            "owner": teammate.pk,
            "need": 0,
            "budget": 0,
            "authority": 0,
            "timing": 0,
            "source": "other",
        },
    )
    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_edit_saves_and_recomputes_the_score(client, rep, alices_lead):
    client.force_login(rep)
    data = {
        "last_name": "Renamed",
        "email": "a@alice.example",
        "source": "other",
        "owner": rep.pk,
        "need": 0,
        "budget": 3,
        "authority": 0,
        "timing": 0,
    }
    assert client.post(f"/leads/{alices_lead.pk}/edit/", data).status_code == 302
    alices_lead.refresh_from_db()
    assert (alices_lead.last_name, alices_lead.score) == ("Renamed", 25)


def test_manager_reassigns_a_lead_within_the_team(client, manager, teammate, alices_lead):
    client.force_login(manager)
    data = {
        "last_name": "X",
        "email": "a@alice.example",
        "source": "other",
        "owner": teammate.pk,
        "need": 0,
        "budget": 0,
        "authority": 0,
        "timing": 0,
    }
    assert client.post(f"/leads/{alices_lead.pk}/edit/", data).status_code == 302
    alices_lead.refresh_from_db()
    assert alices_lead.owner == teammate


def test_qualify_htmx_returns_the_qualification_card_with_the_explanation(client, rep, alices_lead):
    client.force_login(rep)
    response = client.post(
        f"/leads/{alices_lead.pk}/qualify/",
        {"need": 3, "budget": 2, "authority": 1, "timing": 0},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<section class="card" id="qualification">')
    assert "need: high → 30 of 30 points" in html
    assert "budget: medium → 17 of 25 points" in html
    alices_lead.refresh_from_db()
    assert alices_lead.score == 30 + 17 + 8


def test_qualify_without_htmx_redirects(client, rep, alices_lead):
    client.force_login(rep)
    response = client.post(f"/leads/{alices_lead.pk}/qualify/", {"need": 3, "budget": 0, "authority": 0, "timing": 0})
    assert response.status_code == 302


def test_qualify_rejects_a_value_off_the_scale(client, rep, alices_lead):
    client.force_login(rep)
    response = client.post(
        f"/leads/{alices_lead.pk}/qualify/",
        {"need": 7, "budget": 0, "authority": 0, "timing": 0},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    alices_lead.refresh_from_db()
    assert alices_lead.need == 0


@pytest.mark.parametrize(("who", "status"), [("teammate", 403), ("outsider", 404)])
def test_qualify_is_refused_out_of_rights(client, request, alices_lead, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.post(f"/leads/{alices_lead.pk}/qualify/", {"need": 3, "budget": 0, "authority": 0, "timing": 0})
    assert response.status_code == status


def test_detail_shows_breakdown_history_and_activities(client, rep, alices_lead):
    client.force_login(rep)
    html = client.get(f"/leads/{alices_lead.pk}/").content.decode()
    assert 'data-testid="score-breakdown"' in html
    assert 'id="activities-panel"' in html
    assert "History" in html


def test_status_view_changes_an_allowed_transition(client, rep, alices_lead):
    client.force_login(rep)
    response = client.post(f"/leads/{alices_lead.pk}/status/", {"to_status": "contacted"})
    assert response.status_code == 302
    alices_lead.refresh_from_db()
    assert alices_lead.status == "contacted"


def test_status_view_refuses_an_invalid_transition_with_a_message(client, rep, alices_lead):
    client.force_login(rep)
    response = client.post(f"/leads/{alices_lead.pk}/status/", {"to_status": "qualified"})
    assert response.status_code == 400
    assert "cannot go from New to Qualified" in response.content.decode()
    alices_lead.refresh_from_db()
    assert alices_lead.status == "new"


def test_status_view_requires_a_reason_to_disqualify(client, rep, alices_lead):
    client.force_login(rep)
    response = client.post(f"/leads/{alices_lead.pk}/status/", {"to_status": "disqualified", "reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()


def test_teammate_cannot_change_the_status(client, teammate, alices_lead):
    client.force_login(teammate)
    assert client.post(f"/leads/{alices_lead.pk}/status/", {"to_status": "contacted"}).status_code == 403


def test_list_filters_open_leads(client, rep, make_lead):
    make_lead(owner=rep, last_name="Wanted", email="w@w.example")
    other = make_lead(owner=rep, last_name="Unwanted", email="u@u.example")
    Lead.objects.filter(pk=other.pk).update(status="disqualified", disqualified_reason="x")
    client.force_login(rep)
    html = client.get("/leads/", {"status": "open"}).content.decode()
    assert "Wanted" in html and "Unwanted" not in html


def test_list_filters_unassigned_for_a_manager(client, manager, alices_lead, unassigned_lead):
    client.force_login(manager)
    html = client.get("/leads/", {"unassigned": "true"}).content.decode()
    assert "Nobodys" in html and "Alicelead" not in html


def test_list_with_an_invalid_filter_value_shows_no_rows_not_an_error(client, rep, alices_lead):
    client.force_login(rep)
    response = client.get("/leads/", {"score_min": "lots", "industry": "mining"})
    assert response.status_code == 200
    assert "Alicelead" not in response.content.decode()


def test_manager_assigns_an_unassigned_lead_to_a_team_member(client, manager, teammate, unassigned_lead):
    client.force_login(manager)
    data = {"last_name": "Nobodys", "email": "n@nobody.example", "source": "web_form", "owner": teammate.pk}
    data |= {"need": 0, "budget": 0, "authority": 0, "timing": 0}
    assert client.post(f"/leads/{unassigned_lead.pk}/edit/", data).status_code == 302
    unassigned_lead.refresh_from_db()
    assert unassigned_lead.owner == teammate


def test_manager_may_not_assign_outside_the_teams_they_manage(client, manager, outsider, unassigned_lead):
    client.force_login(manager)
    data = {"last_name": "Nobodys", "email": "n@nobody.example", "source": "web_form", "owner": outsider.pk}
    data |= {"need": 0, "budget": 0, "authority": 0, "timing": 0}
    assert client.post(f"/leads/{unassigned_lead.pk}/edit/", data).status_code == 400
    unassigned_lead.refresh_from_db()
    assert unassigned_lead.owner is None


@pytest.mark.parametrize(("who", "status"), [("rep", 404), ("manager", 200), ("admin", 200)])
def test_unassigned_lead_detail_by_role(client, request, unassigned_lead, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/leads/{unassigned_lead.pk}/").status_code == status


def test_list_rows_refuse_lazy_loads(rep, make_lead):
    from django.core.exceptions import FieldFetchBlocked

    from leads import selectors

    make_lead(owner=rep, contact=factories.ContactFactory())
    row = selectors.lead_filter_for_user(user=rep, params={}).qs[0]
    assert row.owner == rep  # joined
    with pytest.raises(FieldFetchBlocked):
        row.contact  # noqa: B018 - not joined: a per-row query would be a defect


def test_detail_shows_the_persona_profile(client, rep, make_lead):
    persona = factories.PersonaFactory(name="Cautious CFO", needs="Predictable costs", buying_motives="Risk reduction")
    lead = make_lead(owner=rep, persona=persona)
    client.force_login(rep)
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Predictable costs" in html and "Risk reduction" in html


@pytest.mark.parametrize("url", ["/leads/new/", "/leads/import/"])
def test_an_empty_post_is_a_bad_request_with_the_errors_not_an_empty_form(client, rep, url):
    client.force_login(rep)
    response = client.post(url, {})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()

"""Objections on a deal: who may record, change and remove them, the audit trail, and the deal
page's section (open in the close stage, read-only on closed deals, errors re-rendered)."""

import pytest
from django.http import Http404
from django.urls import reverse

from audit.models import LogEntry
from deals import objections, services
from deals.models import Deal, Objection
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[-1], title="Acme rollout")


@pytest.fixture
def early_deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Early talk")


def record(deal, actor, **fields):
    fields = {"kind": "price", "note": "Too expensive", **fields}
    return objections.objection_record(deal_id=deal.pk, actor=actor, **fields)


def test_a_rep_records_an_objection_in_the_deals_current_stage(deal, rep):
    objection = record(deal, rep, handling="resolved", response="Offered a three-year term")
    objection.refresh_from_db()
    assert (objection.stage_id, objection.kind, objection.handling, objection.raised_by) == (
        deal.stage_id,
        "price",
        "resolved",
        rep,
    )
    assert objection.response == "Offered a three-year term"


def test_recording_an_objection_leaves_the_deals_version_but_touches_it(deal, rep):
    before = Deal.objects.get(pk=deal.pk)
    record(deal, rep)
    after = Deal.objects.get(pk=deal.pk)
    assert after.version == before.version
    assert after.updated_at > before.updated_at


def test_a_handled_objection_needs_the_answer(deal, rep):
    with pytest.raises(services.DealError, match="how the objection was handled"):
        record(deal, rep, handling="unresolved", response="  ")
    assert not Objection.objects.exists()


def test_an_unknown_kind_is_refused(deal, rep):
    with pytest.raises(services.DealError):
        record(deal, rep, kind="weather")


def test_a_teammate_sees_but_may_not_record_on_a_reps_deal(deal, teammate):
    with pytest.raises(services.DealForbidden):
        record(deal, teammate)


def test_a_rep_of_another_team_does_not_find_the_deal(deal, outsider):
    with pytest.raises(Http404):
        record(deal, outsider)


def test_the_teams_manager_and_an_admin_may_record(deal, manager, admin):
    record(deal, manager)
    record(deal, admin, kind="timing")
    assert Objection.objects.filter(deal=deal).count() == 2


def test_another_teams_manager_does_not_find_the_deal(deal, manager_south):
    with pytest.raises(Http404):
        record(deal, manager_south)


def test_a_closed_deals_objections_cannot_be_changed(deal, rep):
    objection = record(deal, rep)
    services.deal_win(deal_id=deal.pk, version=deal.version, actor=rep)
    with pytest.raises(services.DealError, match="closed"):
        objections.objection_update(
            deal_id=deal.pk, objection_id=objection.pk, actor=rep, kind="price", note="", handling="open", response=""
        )
    with pytest.raises(services.DealError, match="closed"):
        objections.objection_delete(deal_id=deal.pk, objection_id=objection.pk, actor=rep)
    assert Objection.objects.filter(pk=objection.pk).exists()


def test_updating_handling_keeps_the_stage_it_was_raised_in(deal, rep, stages):
    objection = record(deal, rep)
    Deal.objects.filter(pk=deal.pk).update(stage=stages[2])
    objections.objection_update(
        deal_id=deal.pk,
        objection_id=objection.pk,
        actor=rep,
        kind="price",
        note="Too expensive",
        handling="resolved",
        response="Discount for prepayment",
    )
    objection.refresh_from_db()
    assert (objection.stage_id, objection.handling) == (stages[-1].pk, "resolved")


def test_an_objection_of_another_deal_is_not_changed_through_this_one(deal, early_deal, rep):
    other = record(early_deal, rep)
    with pytest.raises(services.DealError, match="no longer exists"):
        objections.objection_delete(deal_id=deal.pk, objection_id=other.pk, actor=rep)
    assert Objection.objects.filter(pk=other.pk).exists()


def test_recording_changing_and_removing_are_in_the_audit_trail(deal, rep):
    objection = record(deal, rep)
    objections.objection_update(
        deal_id=deal.pk,
        objection_id=objection.pk,
        actor=rep,
        kind="price",
        note="Too expensive",
        handling="resolved",
        response="Payment in instalments",
    )
    objections.objection_delete(deal_id=deal.pk, objection_id=objection.pk, actor=rep)
    actions = list(
        LogEntry.objects.filter(object_repr__startswith=f"{deal.pk}:", content_type__model="objection")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]


# --- the deal page's section ---------------------------------------------------------------------


def test_the_section_is_open_in_the_close_stage(client, rep, deal):
    client.force_login(rep)
    response = client.get(reverse("deals:objections", args=[deal.pk]), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="objections-details" open' not in html  # the attribute follows the class
    assert 'class="objections" open' in html
    assert 'data-testid="objection-add"' in html


def test_the_section_is_collapsed_but_usable_before_the_close_stage(client, rep, early_deal):
    client.force_login(rep)
    html = client.get(reverse("deals:objections", args=[early_deal.pk]), headers=HTMX).content.decode()
    assert 'class="objections" open' not in html
    assert 'data-testid="objection-add"' in html


def test_the_deal_page_holds_the_sections_frame(client, rep, deal):
    client.force_login(rep)
    html = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert reverse("deals:objections", args=[deal.pk]) in html


def test_a_closed_deal_shows_its_objections_read_only(client, rep, deal):
    record(deal, rep, note="Budget frozen until Q3")
    reason = factories.LostReasonFactory()
    services.deal_lose(deal_id=deal.pk, version=deal.version, actor=rep, reason_id=reason.pk)
    client.force_login(rep)
    html = client.get(reverse("deals:objections", args=[deal.pk])).content.decode()
    assert "Budget frozen until Q3" in html
    assert 'data-testid="objection-add"' not in html
    assert 'data-testid="objection-remove"' not in html


def test_posting_an_objection_answers_with_the_section(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        reverse("deals:objection_add", args=[deal.pk]),
        {"new_objection-kind": "product", "new_objection-note": "Needs SSO", "new_objection-handling": "open"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="objection"' in response.content.decode()
    assert Objection.objects.get(deal=deal).note == "Needs SSO"


def test_without_htmx_a_recorded_objection_redirects_to_the_deal(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        reverse("deals:objection_add", args=[deal.pk]),
        {"new_objection-kind": "timing", "new_objection-handling": "open"},
    )
    assert response.status_code == 302
    assert response.url == reverse("deals:detail", args=[deal.pk])


def test_a_handled_objection_without_an_answer_re_renders_with_the_message(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        reverse("deals:objection_add", args=[deal.pk]),
        {"new_objection-kind": "price", "new_objection-handling": "resolved", "new_objection-response": ""},
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say how the objection was handled." in html
    assert "The objection was not saved." in html
    assert not Objection.objects.exists()


def test_a_missing_kind_re_renders_the_form_without_htmx(client, rep, deal):
    client.force_login(rep)
    response = client.post(reverse("deals:objection_add", args=[deal.pk]), {"new_objection-handling": "open"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_teammate_posting_is_refused_with_403(client, teammate, deal):
    client.force_login(teammate)
    response = client.post(
        reverse("deals:objection_add", args=[deal.pk]),
        {"new_objection-kind": "price", "new_objection-handling": "open"},
        headers=HTMX,
    )
    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_a_teammates_invalid_post_is_refused_not_corrected(client, teammate, deal):
    client.force_login(teammate)
    response = client.post(reverse("deals:objection_add", args=[deal.pk]), {}, headers=HTMX)
    assert response.status_code == 403


def test_editing_an_objection_from_the_page(client, rep, deal):
    objection = record(deal, rep)
    client.force_login(rep)
    prefix = f"objection-{objection.pk}"
    response = client.post(
        reverse("deals:objection_edit", args=[deal.pk, objection.pk]),
        {
            f"{prefix}-kind": "price",
            f"{prefix}-note": "Too expensive",
            f"{prefix}-handling": "unresolved",
            f"{prefix}-response": "Could not go below list price",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    objection.refresh_from_db()
    assert objection.handling == "unresolved"


def test_an_objection_of_another_deal_answers_404(client, rep, deal, early_deal):
    other = record(early_deal, rep)
    client.force_login(rep)
    response = client.post(reverse("deals:objection_delete", args=[deal.pk, other.pk]), headers=HTMX)
    assert response.status_code == 404


def test_removing_an_objection_from_the_page(client, rep, deal):
    objection = record(deal, rep)
    client.force_login(rep)
    response = client.post(reverse("deals:objection_delete", args=[deal.pk, objection.pk]), headers=HTMX)
    assert response.status_code == 200
    assert not Objection.objects.exists()


def test_the_section_reads_a_fixed_number_of_queries(client, rep, deal, django_assert_num_queries):
    client.force_login(rep)
    url = reverse("deals:objections", args=[deal.pk])
    client.get(url, headers=HTMX)
    # user, the deal, its objections, the pipeline's last stage order (sessions live in the cache)
    with django_assert_num_queries(4):
        client.get(url, headers=HTMX)
    for n in range(20):
        record(deal, rep, kind=["price", "product", "timing", "other"][n % 4])
    with django_assert_num_queries(4):
        client.get(url, headers=HTMX)

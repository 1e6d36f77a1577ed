"""Discount approval per role, in the service and on the pages: a rep cannot approve; the manager
of the owner's team can; a manager of another team cannot (the quote is not even visible); an
admin can; nobody approves their own discount unless they are an admin. And where managers find
what waits for them: the quote page, the deal's panel and "Quotes to approve"."""

from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from activities.models import Notification
from deals.models import DealProduct
from quotes import services
from quotes.models import Quote, QuoteEvent
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def deal(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    DealProduct.objects.create(
        deal=deal,
        description="Consulting",
        quantity=Decimal("4"),
        unit_price=Decimal("1000"),
        discount_percent=Decimal("25"),
        vat_rate=19,
    )
    return deal


@pytest.fixture
def pending(deal, rep):
    """A rep's draft with a 25 % discount (the default limit is 10 %), submitted for approval."""
    quote = services.quote_create(deal_id=deal.pk, actor=rep)
    return services.quote_request_approval(quote_id=quote.pk, actor=rep, note="Strategic customer")


def url(name, *args):
    return reverse(f"quotes:{name}", args=args)


def decide(client, quote, decision, comment=""):
    return client.post(url("approval_decide", quote.pk), {"decision-decision": decision, "decision-comment": comment})


# --- the service -----------------------------------------------------------------------------------


def test_service_refuses_the_rep_and_the_teammate(pending, rep, teammate):
    for user in (rep, teammate):
        with pytest.raises(services.QuoteForbidden):
            services.quote_decide_approval(quote_id=pending.pk, actor=user, approve=True)
    assert Quote.objects.get(pk=pending.pk).state == Quote.State.PENDING_APPROVAL


def test_service_lets_the_manager_of_the_owners_team_approve(pending, manager):
    quote = services.quote_decide_approval(quote_id=pending.pk, actor=manager, approve=True, comment="OK")
    assert (quote.state, quote.approval, quote.approval_by) == (Quote.State.DRAFT, "approved", manager)


def test_service_hides_the_quote_from_a_manager_of_another_team(pending, manager_south):
    with pytest.raises(Http404):
        services.quote_decide_approval(quote_id=pending.pk, actor=manager_south, approve=True)


def test_service_lets_an_admin_approve(pending, admin):
    assert services.quote_decide_approval(quote_id=pending.pk, actor=admin, approve=True).approval == "approved"


def test_service_refuses_a_manager_their_own_discount_but_not_an_admin(team_north, manager, admin, stages):
    manager.team = team_north  # a manager who also sells in the team they manage
    manager.save()
    for owner, allowed in ((manager, False), (admin, True)):
        deal = factories.DealFactory(owner=owner, stage=stages[0])
        DealProduct.objects.create(deal=deal, description="X", unit_price=Decimal("100"), discount_percent=50)
        quote = services.quote_create(deal_id=deal.pk, actor=owner)
        services.quote_request_approval(quote_id=quote.pk, actor=owner)
        assert services.can_approve(owner, Quote.objects.select_related("deal__owner").get(pk=quote.pk)) is allowed
        if not allowed:
            with pytest.raises(services.QuoteForbidden):
                services.quote_decide_approval(quote_id=quote.pk, actor=owner, approve=True)


def test_service_needs_a_comment_to_reject(pending, manager):
    with pytest.raises(services.QuoteError):
        services.quote_decide_approval(quote_id=pending.pk, actor=manager, approve=False, comment="  ")


# --- the pages -------------------------------------------------------------------------------------


def test_rep_sees_what_the_discount_needs_and_asks_for_approval(client, rep, deal, manager):
    quote = services.quote_create(deal_id=deal.pk, actor=rep)
    client.force_login(rep)
    page = client.get(url("detail", quote.pk)).content.decode()
    assert 'data-testid="quote-needs-approval"' in page and 'data-testid="quote-send-form"' not in page
    response = client.post(url("approval_request", quote.pk), {"approval-note": "Strategic customer"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == Quote.State.PENDING_APPROVAL
    assert QuoteEvent.objects.get(quote=quote, kind="approval_requested").note == "Strategic customer"
    notice = Notification.objects.get(user=manager)
    assert "25.00 %" in notice.message and notice.deal_id == deal.pk


def test_asking_for_approval_without_need_is_refused(client, rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    DealProduct.objects.create(deal=deal, description="X", unit_price=Decimal("100"))
    quote = services.quote_create(deal_id=deal.pk, actor=rep)
    client.force_login(rep)
    response = client.post(url("approval_request", quote.pk))
    assert response.status_code == 400
    assert "need no approval" in response.content.decode()


@pytest.mark.parametrize("role", ["rep", "teammate"])
def test_reps_see_no_decision_and_may_not_decide(client, request, pending, role):
    client.force_login(request.getfixturevalue(role))
    assert 'data-testid="quote-decision-form"' not in client.get(url("detail", pending.pk)).content.decode()
    assert decide(client, pending, "approve").status_code == 403
    assert Quote.objects.get(pk=pending.pk).state == Quote.State.PENDING_APPROVAL


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_manager_of_the_team_and_admin_approve_on_the_page(client, request, pending, rep, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert 'data-testid="quote-decision-form"' in client.get(url("detail", pending.pk)).content.decode()
    assert decide(client, pending, "approve", "Fine this once").status_code == 302
    pending.refresh_from_db()
    assert (pending.state, pending.approval, pending.approval_by) == ("draft", "approved", user)
    assert Notification.objects.filter(user=rep, message__contains="approved").exists()
    # The owner can send it now.
    client.force_login(rep)
    page = client.get(url("detail", pending.pk)).content.decode()
    assert 'data-testid="quote-approved"' in page and 'data-testid="quote-send-form"' in page


def test_manager_of_another_team_does_not_find_the_quote(client, manager_south, pending):
    client.force_login(manager_south)
    assert decide(client, pending, "approve").status_code == 404
    assert Quote.objects.get(pk=pending.pk).state == Quote.State.PENDING_APPROVAL


def test_reject_needs_a_comment_and_is_re_rendered(client, manager, pending):
    client.force_login(manager)
    response = decide(client, pending, "reject")
    assert response.status_code == 400
    assert "Say why the discount is rejected." in response.content.decode()
    assert decide(client, pending, "reject", "Too much for a first order").status_code == 302
    pending.refresh_from_db()
    assert (pending.approval, pending.approval_comment) == ("rejected", "Too much for a first order")


def test_deciding_on_a_quote_not_waiting_is_a_conflict(client, manager, pending):
    client.force_login(manager)
    decide(client, pending, "approve")
    assert decide(client, pending, "approve").status_code == 409


def test_rep_withdraws_the_request_and_edits_again(client, rep, pending):
    client.force_login(rep)
    assert client.post(url("approval_withdraw", pending.pk)).status_code == 302
    pending.refresh_from_db()
    assert pending.state == Quote.State.DRAFT
    assert client.post(url("approval_withdraw", pending.pk)).status_code == 409


def test_a_pending_quote_cannot_be_edited(client, rep, pending):
    client.force_login(rep)
    response = client.post(url("line_remove", pending.pk, pending.lines.get().pk), headers=HTMX)
    assert response.status_code == 409


def test_panel_tells_the_manager_the_quote_awaits_them(client, manager, teammate, deal, pending):
    client.force_login(manager)
    panel = client.get(url("deal_panel", deal.pk), headers=HTMX).content.decode()
    assert 'data-testid="quote-awaits-you"' in panel
    client.force_login(teammate)
    assert 'data-testid="quote-awaits-you"' not in client.get(url("deal_panel", deal.pk), headers=HTMX).content.decode()


def test_approvals_page_lists_what_waits_for_each_manager(client, manager, manager_south, admin, pending):
    for user, shown in ((manager, True), (admin, True), (manager_south, False)):
        client.force_login(user)
        response = client.get(url("approvals"))
        assert response.status_code == 200
        page = response.content.decode()
        assert ('data-testid="approval-row"' in page) is shown, user
        assert 'data-testid="nav-approvals"' in page


def test_approvals_page_is_not_for_reps(client, rep, pending):
    client.force_login(rep)
    assert client.get(url("approvals")).status_code == 403
    assert 'data-testid="nav-approvals"' not in client.get(url("detail", pending.pk)).content.decode()

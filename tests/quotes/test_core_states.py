"""Every state change of a quote, allowed and refused (docs/quotes.md "States")."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from deals.models import DealProduct
from quotes import public, services
from quotes.models import CompanyProfile, DiscountPolicy, PipelineQuoteSettings, Quote, QuoteEvent
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
State = Quote.State


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    """The states do not depend on the PDF's content: a stand-in saves WeasyPrint's second per
    send over sixty tests. The real PDF of a sent quote is tests/quotes/test_pdf.py's subject,
    and test_core_numbering.py sends with the real renderer."""
    monkeypatch.setattr("quotes.pdf.render_quote_pdf", lambda quote: f"%PDF-1.7 {quote.display_number}".encode())


@pytest.fixture
def deal(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], contact=None)
    deal.contact = factories.ContactFactory(organization=deal.organization, email="kim@customer.example")
    deal.save()
    DealProduct.objects.create(
        deal=deal, description="Consulting", quantity=Decimal("3"), unit="day", unit_price=Decimal("1000"), vat_rate=19
    )
    return deal


@pytest.fixture
def draft(deal, rep):
    return services.quote_create(deal_id=deal.pk, actor=rep)


def send(quote, actor, **kwargs):
    return services.quote_send(quote_id=quote.pk, actor=actor, **kwargs)


def in_state(quote, state, actor, manager=None):
    """Bring a draft to `state` the way a user would."""
    if state == State.DRAFT:
        return quote, None
    if state == State.PENDING_APPROVAL:
        line = quote.lines.first()
        services.quote_line_update(quote_id=quote.pk, line_id=line.pk, actor=actor, discount_percent=30)
        return services.quote_request_approval(quote_id=quote.pk, actor=actor), None
    if state == State.CANCELLED:
        return services.quote_cancel(quote_id=quote.pk, actor=actor), None
    quote, token = send(quote, actor)
    if state == State.SENT:
        return quote, token
    if state == State.ACCEPTED:
        public.quote_accept(token, name="Kim Kunde", confirmed=True)
    elif state == State.DECLINED:
        public.quote_decline(token, name="Kim Kunde", reason="Too expensive")
    elif state == State.EXPIRED:
        services.quotes_expire_due(now=quote.expires_at())
    elif state == State.SUPERSEDED:
        revision = services.quote_revise(quote_id=quote.pk, actor=actor)
        send(revision, actor)
    quote.refresh_from_db()
    assert quote.state == state
    return quote, token


def test_a_draft_copies_the_deals_line_items_and_the_company_defaults(deal, rep):
    CompanyProfile.objects.update_or_create(pk=1, defaults={"default_validity_days": 14, "default_terms": "AGB"})
    quote = services.quote_create(deal_id=deal.pk, actor=rep, now=datetime(2026, 12, 6, 10, tzinfo=BERLIN))
    assert quote.state == State.DRAFT and quote.number == "" and quote.revision == 1
    assert quote.valid_until == date(2026, 12, 20)
    assert quote.terms == "AGB"
    assert [(line.description, line.quantity, line.unit, line.unit_price) for line in quote.lines.all()] == [
        ("Consulting", Decimal("3.000"), "day", Decimal("1000.00"))
    ]
    assert (quote.net_total, quote.vat_total, quote.gross_total) == (
        Decimal("3000.00"),
        Decimal("570.00"),
        Decimal("3570.00"),
    )
    assert not quote.prices_gross
    assert QuoteEvent.objects.filter(quote=quote, kind="created").count() == 1


def test_a_quote_to_a_consumer_states_gross_prices(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], organization=None)
    deal.contact = factories.ContactFactory(organization=None)
    deal.save()
    DealProduct.objects.create(
        deal=deal, description="Kit", quantity=Decimal("1"), unit_price=Decimal("100"), vat_rate=19
    )
    quote = services.quote_create(deal_id=deal.pk, actor=rep)
    assert quote.prices_gross
    assert quote.lines.get().unit_price == Decimal("119.00")
    assert (quote.net_total, quote.gross_total) == (Decimal("100.00"), Decimal("119.00"))


def test_the_contacts_language_chooses_the_quotes_language(deal, rep):
    deal.contact.language = "en-gb"
    deal.contact.save()
    quote = services.quote_create(deal_id=deal.pk, actor=rep)
    assert quote.language == "en-gb" and quote.title == deal.title


def test_a_teammate_may_not_write_quotes_and_an_outsider_does_not_see_the_deal(deal, teammate, outsider):
    with pytest.raises(services.QuoteForbidden):
        services.quote_create(deal_id=deal.pk, actor=teammate)
    with pytest.raises(services.Http404):
        services.quote_create(deal_id=deal.pk, actor=outsider)


@pytest.mark.parametrize("state", [s for s in State if s != State.DRAFT])
def test_only_a_draft_can_be_edited(draft, rep, manager, state):
    quote, _token = in_state(draft, state, rep, manager)
    with pytest.raises(services.QuoteConflict):
        services.quote_update(quote_id=quote.pk, actor=rep, title="Changed")
    with pytest.raises(services.QuoteConflict):
        services.quote_line_add(quote_id=quote.pk, actor=rep, description="More", unit_price=1)
    line = quote.lines.first()
    with pytest.raises(services.QuoteConflict):
        services.quote_line_update(quote_id=quote.pk, line_id=line.pk, actor=rep, quantity=9)
    with pytest.raises(services.QuoteConflict):
        services.quote_line_remove(quote_id=quote.pk, line_id=line.pk, actor=rep)


def test_a_draft_is_edited_and_its_totals_follow(draft, rep):
    quote, line = services.quote_line_add(
        quote_id=draft.pk, actor=rep, description="Licence", quantity="2", unit_price="49,50", vat_rate="7"
    )
    assert line.amount == Decimal("99.00")
    assert (quote.net_total, quote.vat_total) == (Decimal("3099.00"), Decimal("576.93"))
    quote = services.quote_update(
        quote_id=draft.pk, actor=rep, title="  Angebot Beratung ", valid_until=date(2027, 1, 31)
    )
    assert quote.title == "Angebot Beratung"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": "0"}, "more than 0"),
        ({"quantity": "abc"}, "must be a number"),
        ({"unit_price": "-1"}, "at least 0"),
        ({"discount_percent": "101"}, "at most 100"),
        ({"vat_rate": "16"}, "Choose one of the VAT rates"),
        ({"unit_price": "1.005"}, "decimal places"),
        ({"description": "  "}, "needs a description"),
    ],
)
def test_bad_line_input_is_refused_with_a_reason(draft, rep, fields, message):
    line = draft.lines.get()
    with pytest.raises(services.QuoteError, match=message):
        services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, **fields)


def test_a_discount_above_the_limit_cannot_be_sent_without_approval(draft, rep, manager):
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    with pytest.raises(services.QuoteError, match="approval"):
        send(draft, rep)
    services.quote_request_approval(quote_id=draft.pk, actor=rep, note="Key account")
    with pytest.raises(services.QuoteConflict):
        send(draft, rep)
    services.quote_decide_approval(quote_id=draft.pk, actor=manager, approve=True, comment="OK for Q4")
    quote, _token = send(draft, rep)
    assert quote.state == State.SENT and quote.approval == Quote.Approval.APPROVED
    assert quote.approval_by == manager


def test_a_change_after_approval_needs_a_new_approval(draft, rep, manager):
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    services.quote_request_approval(quote_id=draft.pk, actor=rep)
    services.quote_decide_approval(quote_id=draft.pk, actor=manager, approve=True)
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=40)
    draft.refresh_from_db()
    assert draft.approval == ""
    with pytest.raises(services.QuoteError, match="approval"):
        send(draft, rep)


def test_a_rejected_discount_goes_back_to_the_draft_with_the_comment(draft, rep, manager):
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    services.quote_request_approval(quote_id=draft.pk, actor=rep)
    with pytest.raises(services.QuoteError, match="why"):
        services.quote_decide_approval(quote_id=draft.pk, actor=manager, approve=False, comment=" ")
    quote = services.quote_decide_approval(quote_id=draft.pk, actor=manager, approve=False, comment="Max 15 %")
    assert (quote.state, quote.approval, quote.approval_comment) == (State.DRAFT, "rejected", "Max 15 %")
    with pytest.raises(services.QuoteError, match="approval"):
        send(quote, rep)


def test_a_discount_within_the_teams_limit_needs_no_approval(draft, rep, team_north):
    DiscountPolicy.objects.create(team=team_north, max_line_discount=30, max_total_discount=30)
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    with pytest.raises(services.QuoteError, match="need no approval"):
        services.quote_request_approval(quote_id=draft.pk, actor=rep)
    quote, _token = send(draft, rep)
    assert quote.state == State.SENT


def test_the_overall_limit_catches_many_small_discounts(draft, rep):
    DiscountPolicy.objects.create(team=None, max_line_discount=50, max_total_discount=5)
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=6)
    draft.refresh_from_db()
    assert services.discount_needs_approval(draft)


@pytest.mark.parametrize(
    ("approver", "allowed"),
    [("rep", False), ("teammate", False), ("manager", True), ("manager_south", False), ("admin", True)],
)
def test_who_may_approve_a_discount(request, draft, rep, approver, allowed):
    user = request.getfixturevalue(approver)
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    services.quote_request_approval(quote_id=draft.pk, actor=rep)
    if allowed:
        quote = services.quote_decide_approval(quote_id=draft.pk, actor=user, approve=True)
        assert quote.approval == Quote.Approval.APPROVED
    else:
        with pytest.raises((services.QuoteForbidden, services.Http404)):
            services.quote_decide_approval(quote_id=draft.pk, actor=user, approve=True)


def test_a_manager_does_not_approve_the_discount_on_their_own_deal(manager, stages, team_north, admin):
    deal = factories.DealFactory(owner=manager, stage=stages[0])
    DealProduct.objects.create(
        deal=deal, description="X", quantity=Decimal("1"), unit_price=100, vat_rate=19, discount_percent=20
    )
    quote = services.quote_create(deal_id=deal.pk, actor=manager)
    services.quote_request_approval(quote_id=quote.pk, actor=manager)
    with pytest.raises(services.QuoteForbidden):
        services.quote_decide_approval(quote_id=quote.pk, actor=manager, approve=True)
    assert services.quote_decide_approval(quote_id=quote.pk, actor=admin, approve=True).approval == "approved"


def test_the_approvers_are_notified_with_the_discounts_cost(draft, rep, manager):
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    services.quote_request_approval(quote_id=draft.pk, actor=rep)
    message = manager.notifications.get().message
    assert "25.00 %" in message and "750.00 EUR" in message


def test_sending_numbers_freezes_and_opens_the_link(draft, rep):
    now = datetime(2026, 12, 6, 9, tzinfo=BERLIN)
    quote, token = send(draft, rep, now=now)
    assert quote.number == "AN-2026-0001" and quote.issue_date == date(2026, 12, 6)
    assert quote.buyer["organization"] == draft.deal.organization.name
    assert quote.recipient_email == "kim@customer.example"
    assert len(quote.pdf_sha256) == 64 and quote.pdf.name
    assert public.quote_for_token(token, now=now) == quote


@pytest.mark.parametrize("state", [State.PENDING_APPROVAL, *[s for s in State if s not in Quote.OPEN_STATES]])
def test_only_a_draft_can_be_sent(draft, rep, state):
    quote, _token = in_state(draft, state, rep)
    with pytest.raises(services.QuoteConflict):
        send(quote, rep)


def test_a_quote_without_a_recipient_or_with_a_past_validity_is_not_sent(draft, rep):
    draft.deal.contact.email = ""
    draft.deal.contact.save()
    with pytest.raises(services.QuoteError, match="e-mail address"):
        send(draft, rep)
    with pytest.raises(services.QuoteError, match="not an e-mail address"):
        send(draft, rep, to="no-at-sign")
    services.quote_update(quote_id=draft.pk, actor=rep, valid_until=date(2020, 1, 1))
    with pytest.raises(services.QuoteError, match="validity"):
        send(draft, rep, to="kim@customer.example")
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.number == ""


def test_a_new_revision_supersedes_the_old_one_when_it_is_sent(draft, rep):
    quote, old_token = send(draft, rep)
    revision = services.quote_revise(quote_id=quote.pk, actor=rep)
    assert (revision.revision, revision.state, revision.revises_id) == (2, State.DRAFT, quote.pk)
    quote.refresh_from_db()
    assert quote.state == State.SENT  # still acceptable until the revision goes out
    revision, new_token = send(revision, rep)
    quote.refresh_from_db()
    assert quote.state == State.SUPERSEDED
    assert revision.number == quote.number and revision.display_number == f"{quote.number}-R2"
    with pytest.raises(services.QuoteConflict, match="newer version"):
        public.quote_accept(old_token, name="Kim Kunde", confirmed=True)
    public.quote_accept(new_token, name="Kim Kunde", confirmed=True)


@pytest.mark.parametrize(
    "state", [State.DRAFT, State.PENDING_APPROVAL, State.ACCEPTED, State.CANCELLED, State.SUPERSEDED]
)
def test_revisions_are_made_of_sent_declined_or_expired_quotes_only(draft, rep, state):
    quote, _token = in_state(draft, state, rep)
    with pytest.raises(services.QuoteConflict):
        services.quote_revise(quote_id=quote.pk, actor=rep)


@pytest.mark.parametrize("state", [State.SENT, State.DECLINED, State.EXPIRED])
def test_a_sent_declined_or_expired_quote_can_be_revised_once(draft, rep, state):
    quote, _token = in_state(draft, state, rep)
    services.quote_revise(quote_id=quote.pk, actor=rep)
    with pytest.raises(services.QuoteConflict, match="newer revision"):
        services.quote_revise(quote_id=quote.pk, actor=rep)


@pytest.mark.parametrize("state", [State.DRAFT, State.PENDING_APPROVAL, State.SENT])
def test_an_open_quote_can_be_cancelled_and_its_link_stops_working(draft, rep, state):
    quote, token = in_state(draft, state, rep)
    services.quote_cancel(quote_id=quote.pk, actor=rep)
    quote.refresh_from_db()
    assert quote.state == State.CANCELLED
    if token:
        with pytest.raises(services.QuoteConflict, match="withdrawn"):
            public.quote_accept(token, name="Kim Kunde", confirmed=True)


@pytest.mark.parametrize("state", [State.ACCEPTED, State.DECLINED, State.EXPIRED, State.SUPERSEDED, State.CANCELLED])
def test_a_closed_quote_cannot_be_cancelled(draft, rep, state):
    quote, _token = in_state(draft, state, rep)
    with pytest.raises(services.QuoteConflict):
        services.quote_cancel(quote_id=quote.pk, actor=rep)


def test_a_quote_expires_at_the_end_of_its_last_day_in_the_installations_time_zone(draft, rep):
    services.quote_update(quote_id=draft.pk, actor=rep, valid_until=date(2026, 12, 10))
    quote, token = send(draft, rep, now=datetime(2026, 12, 6, 9, tzinfo=BERLIN))
    last_second = datetime(2026, 12, 10, 23, 59, 59, tzinfo=BERLIN)  # 22:59:59 UTC
    assert services.quotes_expire_due(now=last_second) == 0
    assert public.quote_for_token(token, now=last_second).state == State.SENT
    midnight = datetime(2026, 12, 11, 0, 0, tzinfo=BERLIN)
    assert public.quote_for_token(token, now=midnight).state == State.EXPIRED
    quote.refresh_from_db()
    assert quote.state == State.EXPIRED
    assert services.quotes_expire_due(now=midnight) == 0  # already expired on access, counted once


def test_the_nightly_sweep_expires_every_quote_past_its_day(deal, rep):
    quotes = []
    for day in (10, 11, 12):
        quote = services.quote_create(deal_id=deal.pk, actor=rep)
        services.quote_update(quote_id=quote.pk, actor=rep, valid_until=date(2026, 12, day))
        quotes.append(send(quote, rep, now=datetime(2026, 12, 6, 9, tzinfo=BERLIN))[0])
    assert services.quotes_expire_due(now=datetime(2026, 12, 12, 0, 5, tzinfo=BERLIN)) == 2
    assert [Quote.objects.get(pk=q.pk).state for q in quotes] == [State.EXPIRED, State.EXPIRED, State.SENT]
    assert QuoteEvent.objects.filter(kind="expired").count() == 2


def test_accepting_marks_the_deal_won_with_the_quotes_net_total(draft, rep):
    quote, token = send(draft, rep)
    quote, response = public.quote_accept(
        token, name=" Kim   Kunde ", confirmed=True, ip="203.0.113.9", user_agent="UA"
    )
    assert quote.state == State.ACCEPTED
    assert (response.name, response.revision, response.pdf_sha256) == ("Kim Kunde", 1, quote.pdf_sha256)
    deal = quote.deal
    deal.refresh_from_db()
    assert deal.status == deal.Status.WON and deal.value == Decimal("3000.00")
    assert rep.notifications.filter(message__contains="accepted").exists()


def test_accepting_can_move_the_deal_to_the_closing_stage_instead(draft, rep, stages):
    PipelineQuoteSettings.objects.create(pipeline=stages[0].pipeline, on_acceptance="move", stage=stages[-1])
    _quote, token = send(draft, rep)
    public.quote_accept(token, name="Kim Kunde", confirmed=True)
    draft.deal.refresh_from_db()
    assert draft.deal.status == "open" and draft.deal.stage == stages[-1]


def test_an_answer_needs_a_name_a_confirmation_or_a_reason(draft, rep):
    _quote, token = send(draft, rep)
    with pytest.raises(services.QuoteError, match="confirm"):
        public.quote_accept(token, name="Kim Kunde", confirmed=False)
    with pytest.raises(services.QuoteError, match="name"):
        public.quote_accept(token, name=" ", confirmed=True)
    with pytest.raises(services.QuoteError, match="why"):
        public.quote_decline(token, name="Kim Kunde", reason="")
    draft.refresh_from_db()
    assert draft.state == State.SENT


def test_a_revoked_or_renewed_link_no_longer_opens_the_quote(draft, rep):
    quote, token = send(draft, rep)
    services.quote_link_revoke(quote_id=quote.pk, actor=rep)
    assert public.quote_for_token(token) is None
    with pytest.raises(services.QuoteConflict):
        public.quote_accept(token, name="Kim Kunde", confirmed=True)
    quote, new_token = services.quote_link_renew(quote_id=quote.pk, actor=rep)
    assert public.quote_for_token(token) is None
    assert public.quote_for_token(new_token) == quote


def test_every_step_is_an_event_of_the_deal(draft, rep, manager):
    line = draft.lines.get()
    services.quote_line_update(quote_id=draft.pk, line_id=line.pk, actor=rep, discount_percent=25)
    services.quote_request_approval(quote_id=draft.pk, actor=rep)
    services.quote_decide_approval(quote_id=draft.pk, actor=manager, approve=True)
    _quote, token = send(draft, rep, now=timezone.now())
    public.quote_accept(token, name="Kim Kunde", confirmed=True)
    kinds = list(QuoteEvent.objects.filter(deal=draft.deal).values_list("kind", flat=True))
    assert kinds == ["created", "approval_requested", "approved", "sent", "accepted"]


def test_a_deal_with_revised_quotes_can_still_be_deleted(draft, rep):
    quote, _token = send(draft, rep)
    send(services.quote_revise(quote_id=quote.pk, actor=rep), rep)
    draft.deal.delete()
    assert not Quote.objects.exists()

"""Quotes through the API: the list (visible quotes, by deal and state, cursor paging, constant
queries), the read with lines and totals as money strings, a new draft, the draft's header and
lines validated as on the quote page, sending with the e-mail queued as the page queues it, the
PDF, scoping per role and the services' refusals as problems with their messages."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiToken
from deals.models import Deal, DealProduct
from events import representations
from quotes import services
from quotes.models import Quote, QuoteEvent
from quotes.services import hash_token
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout", contact=None)
    deal.contact = factories.ContactFactory(
        organization=deal.organization, first_name="Kim", last_name="Kunde", email="kim@customer.example"
    )
    deal.save()
    DealProduct.objects.create(
        deal=deal, description="Consulting", quantity=Decimal("3"), unit="day", unit_price=Decimal("1000"), vat_rate=19
    )
    return deal


@pytest.fixture
def draft(deal, rep):
    return services.quote_create(deal_id=deal.pk, actor=rep)


def test_create_a_draft_from_the_deals_line_items(rep, deal):
    response = ApiClient(rep).post("/api/v1/quotes/", {"deal_id": deal.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft" and body["deal"] == {"id": deal.pk, "name": "Acme rollout"}
    assert body["number"] == "" and body["pdf_url"] is None
    [line] = body["lines"]
    assert line["description"] == "Consulting" and line["quantity"] == "3"
    assert line["unit_price"] == {"amount": "1000.00", "currency": "EUR"}
    assert body["net_total"] == {"amount": "3000.00", "currency": "EUR"}
    assert body["vat_total"] == {"amount": "570.00", "currency": "EUR"}
    assert body["gross_total"] == {"amount": "3570.00", "currency": "EUR"}
    assert body["vat_breakdown"] == [
        {"rate": "19", "net": {"amount": "3000.00", "currency": "EUR"}, "vat": {"amount": "570.00", "currency": "EUR"}}
    ]


def test_creating_needs_an_open_deal_you_may_change(rep, teammate, outsider, deal):
    is_problem(ApiClient(teammate).post("/api/v1/quotes/", {"deal_id": deal.pk}), 403)
    is_problem(ApiClient(outsider).post("/api/v1/quotes/", {"deal_id": deal.pk}), 404)
    is_problem(ApiClient(rep).post("/api/v1/quotes/", {"deal_id": 10**12}), 422)
    Deal.objects.filter(pk=deal.pk).update(status=Deal.Status.WON, won_at=timezone.now())
    body = is_problem(ApiClient(rep).post("/api/v1/quotes/", {"deal_id": deal.pk}), 400)
    assert body["detail"] == "Quotes are written for open deals."
    assert not Quote.objects.exists()


def test_list_shows_the_visible_quotes_filtered_by_deal_and_state(rep, outsider, deal, draft, stages):
    other_deal = factories.DealFactory(owner=rep, stage=stages[0])
    other = services.quote_create(deal_id=other_deal.pk, actor=rep)
    Quote.objects.filter(pk=other.pk).update(state=Quote.State.CANCELLED)
    api = ApiClient(rep)

    def ids(**params):
        response = api.get("/api/v1/quotes/", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [other.pk, draft.pk]
    assert ids(deal_id=deal.pk) == [draft.pk]
    assert ids(state="cancelled") == [other.pk]
    assert ApiClient(outsider).get("/api/v1/quotes/").json()["results"] == []
    is_problem(api.get("/api/v1/quotes/", {"state": "bogus"}), 422)


def test_the_list_pages_with_a_cursor(rep, deal):
    made = [services.quote_create(deal_id=deal.pk, actor=rep).pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get("/api/v1/quotes/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert [row["id"] for row in first["results"] + second["results"]] == sorted(made, reverse=True)[:4]


def _list_queries(api, expected):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/quotes/", {"page_size": 100})
    assert len(response.json()["results"]) == expected
    return len(queries)


def test_list_queries_do_not_grow_with_the_rows(rep, deal):
    api = ApiClient(rep)
    for _ in range(3):
        services.quote_create(deal_id=deal.pk, actor=rep)
    api.get("/api/v1/quotes/")
    at_3 = _list_queries(api, 3)
    for _ in range(27):
        services.quote_create(deal_id=deal.pk, actor=rep)
    assert _list_queries(api, 30) == at_3


def test_read_and_scoping_per_role(draft, rep, teammate, outsider, manager, manager_south, admin):
    for user in (rep, teammate, manager, admin):
        assert ApiClient(user).get(f"/api/v1/quotes/{draft.pk}").status_code == 200, user
    for user in (outsider, manager_south):
        is_problem(ApiClient(user).get(f"/api/v1/quotes/{draft.pk}"), 404)


def test_edit_the_drafts_header(rep, draft):
    response = ApiClient(rep).patch(f"/api/v1/quotes/{draft.pk}", {"title": "  Acme   phase 2 ", "language": "en-gb"})
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert (draft.title, draft.language) == ("Acme phase 2", "en-gb")


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"title": ""}, "title"), ({"valid_until": "2000-01-01"}, "valid_until"), ({"language": "xx"}, "language")],
)
def test_a_bad_header_is_a_422_with_the_pages_message(rep, draft, payload, field):
    body = is_problem(ApiClient(rep).patch(f"/api/v1/quotes/{draft.pk}", payload), 422)
    assert body["errors"][0]["field"] == field


def test_only_the_owner_side_may_change_and_only_a_draft(rep, teammate, manager, draft, queued_quote_mails):
    body = is_problem(ApiClient(teammate).patch(f"/api/v1/quotes/{draft.pk}", {"title": "X"}), 403)
    assert body["detail"] == "You may look at this quote but not change it."
    assert ApiClient(manager).patch(f"/api/v1/quotes/{draft.pk}", {"title": "By the manager"}).status_code == 200
    services.quote_send(quote_id=draft.pk, actor=rep)
    body = is_problem(ApiClient(rep).patch(f"/api/v1/quotes/{draft.pk}", {"title": "Late"}), 409)
    assert body["detail"] == "Only a draft can be edited."
    is_problem(ApiClient(rep).post(f"/api/v1/quotes/{draft.pk}/lines", {"description": "X", "unit_price": "1"}), 409)


def test_add_edit_and_remove_lines_with_live_totals(rep, draft):
    api = ApiClient(rep)
    response = api.post(
        f"/api/v1/quotes/{draft.pk}/lines",
        {"description": "Training", "quantity": "2", "unit_price": "500.00", "vat_rate": "7", "discount_percent": "10"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    added = body["lines"][-1]
    assert added["amount"] == {"amount": "900.00", "currency": "EUR"} and added["vat_rate"] == "7"
    assert body["net_total"]["amount"] == "3900.00"
    response = api.patch(f"/api/v1/quotes/{draft.pk}/lines/{added['id']}", {"quantity": "1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lines"][-1]["amount"]["amount"] == "450.00" and body["lines"][-1]["description"] == "Training"
    response = api.delete(f"/api/v1/quotes/{draft.pk}/lines/{added['id']}")
    assert response.status_code == 200
    assert [line["description"] for line in response.json()["lines"]] == ["Consulting"]
    is_problem(api.delete(f"/api/v1/quotes/{draft.pk}/lines/{added['id']}"), 404)


def test_a_line_from_the_catalogue_takes_the_products_values(rep, draft):
    product = factories.ProductFactory(name="Licence", unit="seat", unit_price=Decimal("49.90"), vat_rate=19)
    response = ApiClient(rep).post(f"/api/v1/quotes/{draft.pk}/lines", {"product_id": product.pk, "quantity": 10})
    assert response.status_code == 201, response.content
    line = response.json()["lines"][-1]
    assert line["product"]["id"] == product.pk and line["description"] == "Licence" and line["unit"] == "seat"
    assert line["unit_price"]["amount"] == "49.90" and line["amount"]["amount"] == "499.00"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"unit_price": "1"}, "description"),
        ({"description": "X"}, "unit_price"),
        ({"description": "X", "unit_price": "1", "vat_rate": "13"}, "vat_rate"),
        ({"description": "X", "unit_price": "1", "quantity": "0"}, "quantity"),
        ({"description": "X", "unit_price": "1", "quantity": "1e40"}, "quantity"),
        ({"description": "X", "unit_price": "-1"}, "unit_price"),
        ({"description": "X", "unit_price": "1", "discount_percent": "101"}, "discount_percent"),
        ({"description": "X", "unit_price": "NaN"}, "unit_price"),
        ({"description": "X", "unit_price": "1", "product_id": 2**31 - 2}, "product"),
        ({"description": "X", "unit_price": "1", "vat_rate": "1e999999999"}, "vat_rate"),
        ({"description": "X", "unit_price": "1", "quantity": "abc"}, "quantity"),
    ],
)
def test_a_bad_line_is_a_422_naming_the_field(rep, draft, payload, field):
    body = is_problem(ApiClient(rep).post(f"/api/v1/quotes/{draft.pk}/lines", {"vat_rate": "19", **payload}), 422)
    assert field in {error["field"] for error in body["errors"]}
    assert draft.lines.count() == 1


def test_send_queues_the_email_and_answers_the_link_once(rep, draft, queued_quote_mails):
    api = ApiClient(rep)
    response = api.post(
        f"/api/v1/quotes/{draft.pk}/send",
        {"to": "kim@customer.example", "subject": "Our quote", "message": "Hello Kim"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    [mail] = queued_quote_mails
    assert (mail["subject"], mail["message"]) == ("Our quote", "Hello Kim")
    assert body["customer_link"].endswith(f"/q/{mail['token']}/")
    draft.refresh_from_db()
    assert draft.state == Quote.State.SENT and draft.token_hash == hash_token(mail["token"])
    assert (
        body["state"] == "sent" and body["number"] == draft.number and body["recipient_email"] == draft.recipient_email
    )
    assert body["pdf_url"].endswith(f"/api/v1/quotes/{draft.pk}/pdf")
    read = api.get(f"/api/v1/quotes/{draft.pk}").json()
    assert "customer_link" not in read and mail["token"] not in str(read)
    pdf = api.get(f"/api/v1/quotes/{draft.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = is_problem(api.post(f"/api/v1/quotes/{draft.pk}/send", {}), 409)
    assert len(queued_quote_mails) == 1


def test_send_without_fields_uses_what_the_page_prefills(rep, draft, queued_quote_mails):
    response = ApiClient(rep).post(f"/api/v1/quotes/{draft.pk}/send", {})
    assert response.status_code == 200, response.content
    [mail] = queued_quote_mails
    draft.refresh_from_db()
    assert draft.recipient_email == "kim@customer.example"
    assert mail["subject"] == draft.title and "Kunde" in mail["message"]


def test_send_with_a_bad_address_is_422_and_keeps_the_draft(rep, draft, queued_quote_mails):
    body = is_problem(ApiClient(rep).post(f"/api/v1/quotes/{draft.pk}/send", {"to": "not-an-address"}), 422)
    assert body["errors"][0]["field"] == "to"
    draft.refresh_from_db()
    assert draft.state == Quote.State.DRAFT and not queued_quote_mails


def test_send_refused_by_the_rules_is_400_with_the_services_message(rep, draft, queued_quote_mails):
    services.quote_line_update(quote_id=draft.pk, line_id=draft.lines.get().pk, actor=rep, is_optional=True)
    body = is_problem(ApiClient(rep).post(f"/api/v1/quotes/{draft.pk}/send", {}), 400)
    assert body["detail"] == "A quote needs at least one line that is not optional."
    assert not queued_quote_mails


def test_only_who_may_change_it_sends(draft, teammate, outsider, rep, queued_quote_mails):
    is_problem(ApiClient(teammate).post(f"/api/v1/quotes/{draft.pk}/send", {}), 403)
    is_problem(ApiClient(outsider).post(f"/api/v1/quotes/{draft.pk}/send", {}), 404)
    is_problem(ApiClient(rep, scope=ApiToken.Scope.READ).post(f"/api/v1/quotes/{draft.pk}/send", {}), 403)
    assert not queued_quote_mails


def test_the_quotes_history_names_the_caller(rep, deal):
    body = ApiClient(rep).post("/api/v1/quotes/", {"deal_id": deal.pk}).json()
    event = QuoteEvent.objects.get(quote_id=body["id"])
    assert event.kind == QuoteEvent.Kind.CREATED and event.actor == rep


def test_a_drafts_pdf_is_not_there(rep, draft):
    is_problem(ApiClient(rep).get(f"/api/v1/quotes/{draft.pk}/pdf"), 404)


def test_the_representation_is_the_read(rep, outsider, draft):
    body = ApiClient(rep).get(f"/api/v1/quotes/{draft.pk}").json()
    represented = representations.represent("quote", draft.pk, user=rep)
    assert represented.keys() == body.keys()
    assert represented["lines"] == body["lines"] and represented["net_total"] == body["net_total"]
    assert representations.represent("quote", draft.pk, user=outsider) is None

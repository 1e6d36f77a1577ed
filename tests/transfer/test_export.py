"""Exports of the organization, contact, deal and activity lists: filters, scope, formats."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from customers.models import Organization
from deals.models import Deal
from tests import factories
from tests.csvpayloads import PAYLOADS, dangerous
from transfer import records
from transfer.models import ImportJob

pytestmark = pytest.mark.django_db


def _csv(response):
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_organization_export_follows_the_list_filters(client, rep):
    factories.OrganizationFactory(name="Nord GmbH", region="north", owner=rep)
    factories.OrganizationFactory(name="Süd AG", region="south", owner=rep)
    client.force_login(rep)
    header, *rows = _csv(client.get("/export/organizations.csv", {"region": "north"}))
    assert header == records.get("organizations").header
    assert [row[0] for row in rows] == ["Nord GmbH"]
    _sheet, (_xheader, *xrows) = _xlsx(client.get("/export/organizations.xlsx", {"region": "south", "o": "name"}))
    assert [row[0] for row in xrows] == ["Süd AG"]


def test_an_invalid_filter_answers_400(client, rep):
    client.force_login(rep)
    assert client.get("/export/organizations.csv", {"region": "atlantis"}).status_code == 400
    assert client.get("/export/deals.csv", {"pipeline": "x"}).status_code == 400
    assert client.get("/export/deals.pdf").status_code == 404
    assert client.get("/export/unicorns.csv").status_code == 404


@pytest.mark.parametrize(
    ("who", "count"),
    [("rep", 1), ("teammate", 1), ("manager", 1), ("admin", 1), ("outsider", 0), ("manager_south", 0)],
)
def test_exports_contain_only_what_the_user_sees(client, request, rep, who, count):
    deal = factories.DealFactory(owner=rep, title="Alices Deal")
    factories.ContactFactory(organization=deal.organization, owner=rep, last_name="Arndt")
    factories.ActivityFactory(deal=deal, assignee=rep, subject="Alices call")
    client.force_login(request.getfixturevalue(who))
    assert len(_csv(client.get("/export/organizations.csv"))) - 1 == count
    assert len(_csv(client.get("/export/contacts.csv"))) - 1 == count
    assert len(_csv(client.get("/export/deals.csv", {"pipeline": deal.pipeline_id}))) - 1 == count
    # Activities follow "My activities": the user's own, or by owner for managers and admins.
    user = request.getfixturevalue(who)
    params = {"owner": rep.pk} if who in ("manager", "admin") else {}
    expected = 1 if who in ("rep", "manager", "admin") else 0
    assert len(_csv(client.get("/export/activities.csv", params))) - 1 == expected, user


def test_deal_export_follows_the_board_filters(client, rep, stages):
    factories.DealFactory(owner=rep, title="Open one", stage=stages[0])
    factories.DealFactory(owner=rep, title="Won one", stage=stages[0], status=Deal.Status.WON, won_at=timezone.now())
    client.force_login(rep)
    pipeline = stages[0].pipeline_id
    assert [r[0] for r in _csv(client.get("/export/deals.csv", {"pipeline": pipeline}))[1:]] == ["Open one"]
    assert sorted(r[0] for r in _csv(client.get("/export/deals.csv", {"pipeline": pipeline, "status": "all"}))[1:]) == [
        "Open one",
        "Won one",
    ]
    assert _csv(client.get("/export/deals.csv", {"pipeline": pipeline, "q": "nothing"}))[1:] == []


def test_xlsx_export_is_typed(client, rep, stages):
    factories.DealFactory(
        owner=rep, title="Typed", stage=stages[0], value=Decimal("1234.50"), expected_close_date=date(2027, 3, 1)
    )
    client.force_login(rep)
    _sheet, (header, row) = _xlsx(client.get("/export/deals.xlsx", {"pipeline": stages[0].pipeline_id}))
    values = dict(zip(header, row, strict=True))
    assert values["value"] == 1234.5
    assert values["expected_close_date"] == datetime(2027, 3, 1)
    assert isinstance(values["created_at"], datetime)
    assert values["owner"] == rep.email


@pytest.mark.parametrize("payload", PAYLOADS)
def test_exports_are_formula_safe(client, rep, payload):
    factories.OrganizationFactory(name=payload, city=payload, owner=rep)
    client.force_login(rep)
    _header, row = _csv(client.get("/export/organizations.csv"))
    for cell in row:
        assert not dangerous(cell), (payload, cell)
    sheet, _rows = _xlsx(client.get("/export/organizations.xlsx"))
    for cell in sheet[2]:
        assert cell.data_type != "f", (payload, cell.value)  # a string cell, never a formula
    assert sheet["A2"].value == payload.replace("\r", "\n")  # the text as typed (XML reads CR as LF)


def test_xlsx_round_trip_imports_back_what_was_exported(client, rep, upload, dry_run):
    factories.OrganizationFactory(
        name="=Rund & Co",
        industry="software",
        size_band="10-49",
        region="south",
        website="https://rund.example",
        phone="+4930123456",
        vat_id="DE123456789",
        postal_code="01234",
        city="München",
        country="DE",
        owner=rep,
    )
    client.force_login(rep)
    exported = client.get("/export/organizations.xlsx").content
    before = list(Organization.objects.values(*_FIELDS))
    Organization.objects.all().delete()
    job = dry_run(upload("organizations", exported, name="organizations.xlsx"))
    assert job.error_rows == 0, job.report
    client.post(f"/imports/{job.pk}/confirm/")
    assert ImportJob.objects.get(pk=job.pk).status == "done"
    assert list(Organization.objects.values(*_FIELDS)) == before


def test_csv_round_trip_of_contacts(client, rep, upload, dry_run):
    acme = factories.OrganizationFactory(name="Acme", owner=rep)
    factories.ContactFactory(
        organization=acme, first_name="Jörg", last_name="+Plus", email="j@acme.example", owner=rep, job_title="CEO"
    )
    client.force_login(rep)
    exported = b"".join(client.get("/export/contacts.csv").streaming_content)
    before = list(acme.contacts.values("first_name", "last_name", "email", "job_title", "owner", "organization"))
    acme.contacts.all().delete()
    job = dry_run(upload("contacts", exported))
    assert job.error_rows == 0, job.report
    client.post(f"/imports/{job.pk}/confirm/")
    assert (
        list(acme.contacts.values("first_name", "last_name", "email", "job_title", "owner", "organization")) == before
    )


_FIELDS = (
    "name",
    "industry",
    "size_band",
    "region",
    "website",
    "phone",
    "vat_id",
    "postal_code",
    "city",
    "country",
    "owner",
)


def _export_queries(client, path, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/export/organizations.csv", lambda rep: factories.OrganizationFactory(owner=rep)),
        ("/export/contacts.xlsx", lambda rep: factories.ContactFactory(owner=rep)),
        ("/export/deals.csv", lambda rep: factories.DealFactory(owner=rep)),
        ("/export/activities.xlsx", lambda rep: factories.ActivityFactory(deal=factories.DealFactory(owner=rep))),
    ],
)
def test_export_queries_do_not_grow_with_the_rows(client, rep, path, make):
    """Session, user, the list's scoped query (and the FilterSet's owner choices): the same at 2 and 20 rows."""
    client.force_login(rep)
    for _ in range(2):
        make(rep)
    few = _export_queries(client, path)
    for _ in range(18):
        make(rep)
    assert _export_queries(client, path) == few

import csv
import io
import re

import pytest

from leads import importing, services
from leads.models import Lead
from tests import factories
from tests.csvpayloads import PAYLOADS, dangerous


def _rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the BOM as UTF-8
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_export_streams_the_filtered_list_as_csv(client, rep, make_lead):
    make_lead(owner=rep, last_name="Fair", email="fair@x.example", source="trade_fair", need=3)
    make_lead(owner=rep, last_name="Blog", email="blog@x.example", source="blog")
    client.force_login(rep)
    response = client.get("/leads/export.csv", {"source": "trade_fair"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    header, *rows = _rows(response)
    assert header == importing.EXPORT_HEADER
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert (row["last_name"], row["email"], row["source"], row["owner"], row["score"]) == (
        "Fair",
        "fair@x.example",
        "trade_fair",
        "alice",
        "30",
    )


@pytest.mark.parametrize(("who", "count"), [("rep", 1), ("teammate", 1), ("manager", 1), ("admin", 1), ("outsider", 0)])
def test_export_is_scoped_for_every_role(client, request, rep, make_lead, who, count):
    make_lead(owner=rep, last_name="Scoped", email="s@x.example")
    client.force_login(request.getfixturevalue(who))
    _header, *rows = _rows(client.get("/leads/export.csv"))
    assert len(rows) == count


@pytest.mark.parametrize("payload", PAYLOADS)
def test_export_defuses_every_owasp_payload_in_every_text_and_phone_column(client, rep, payload):
    persona = factories.PersonaFactory(name=payload)
    factories.LeadFactory(
        owner=rep,
        first_name=payload,
        last_name=payload,
        email=payload,
        phone=payload[:50],
        job_title=payload,
        company_name=payload,
        campaign=payload,
        persona=persona,
    )
    client.force_login(rep)
    header, row = _rows(client.get("/leads/export.csv"))
    cells = dict(zip(header, row, strict=True))
    for column in ("first_name", "last_name", "email", "job_title", "company", "campaign", "persona"):
        assert cells[column] == "'" + payload, column
    assert cells["phone"] == "'" + payload[:50]  # the phone field holds 50 characters
    assert not [cell for cell in row if dangerous(cell)]


@pytest.mark.parametrize(
    ("phone", "written"),
    [
        ("+49 30 1234567", "+49 30 1234567"),
        ("030 1234567", "+49 30 1234567"),
        ("(030) 123 45-67", "+49 30 1234567"),
        ("+1 (415) 555-2671", "+1 415-555-2671"),
        ("0800 12", "0800 12"),  # not a valid number: as typed
    ],
)
def test_export_writes_phone_numbers_internationally_with_spaces(client, rep, make_lead, phone, written):
    make_lead(owner=rep, phone=phone)
    client.force_login(rep)
    header, row = _rows(client.get("/leads/export.csv"))
    assert dict(zip(header, row, strict=True))["phone"] == written


def test_export_writes_numbers_as_numbers_and_the_date_in_iso(client, rep, make_lead):
    make_lead(owner=rep, need=3, budget=2, authority=0, timing=1)
    client.force_login(rep)
    header, row = _rows(client.get("/leads/export.csv"))
    cells = dict(zip(header, row, strict=True))
    assert [cells[c] for c in ("need", "budget", "authority", "timing", "score")] == ["3", "2", "0", "1", "54"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", cells["created_at"])


def test_a_defused_export_imports_back_as_typed(client, rep):
    factories.LeadFactory(owner=rep, last_name="=1+1", company_name="-Minus AG", email="defused@x.example")
    client.force_login(rep)
    body = b"".join(client.get("/leads/export.csv").streaming_content)
    Lead.objects.all().delete()
    lead_import = services.lead_import_create(actor=rep, raw=body, file_name="export.csv")
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    assert Lead.objects.values_list("last_name", "company_name").get() == ("=1+1", "-Minus AG")


def test_an_export_imports_back(client, rep, make_lead):
    make_lead(owner=rep, last_name="Round", email="round@trip.example", industry="retail", need=2)
    client.force_login(rep)
    body = b"".join(client.get("/leads/export.csv").streaming_content)
    Lead.objects.all().delete()
    lead_import = services.lead_import_create(actor=rep, raw=body, file_name="export.csv")
    assert lead_import.valid_rows == 1, lead_import.report
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead = Lead.objects.get()
    assert (lead.email, lead.industry, lead.need, lead.owner) == ("round@trip.example", "retail", 2, rep)


def test_export_with_an_invalid_filter_answers_400(client, rep):
    client.force_login(rep)
    assert client.get("/leads/export.csv", {"score_min": "lots"}).status_code == 400


def test_list_partial_carries_the_filters_into_the_export_link(client, rep):
    client.force_login(rep)
    html = client.get("/leads/", {"industry": "retail", "page": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'href="/leads/export.csv?industry=retail"' in html

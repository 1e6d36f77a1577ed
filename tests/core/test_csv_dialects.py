"""CSV exports in the dialect the user's spreadsheet reads: comma and decimal point in
English, semicolon and decimal comma in German (or one dialect for everybody by setting)."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from leads import services as lead_services
from leads.models import Lead
from pipeline_crm import csvexport
from tests import factories

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB"}


def _body(response):
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return body.lstrip("\ufeff")


def _deal_row(client, rep, stages, **headers):
    factories.DealFactory(
        owner=rep,
        title="Rollout, phase 2",
        stage=stages[0],
        value=Decimal("12345.50"),
        created_at=datetime(2026, 6, 9, 22, 30, tzinfo=UTC),
    )
    client.force_login(rep)
    return _body(client.get("/export/deals.csv", {"pipeline": stages[0].pipeline_id}, **headers))


def test_an_english_user_gets_commas_and_decimal_points(client, rep, stages):
    body = _deal_row(client, rep, stages, **ENGLISH)
    header, row = list(csv.reader(io.StringIO(body)))
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == "Rollout, phase 2"
    assert cells["value"] == "12345.50"
    assert cells["created_at"] == "2026-06-10T00:30:00+02:00"


def test_a_german_user_gets_semicolons_and_decimal_commas(client, rep, stages):
    rep.language = "de"
    rep.save()
    body = _deal_row(client, rep, stages, **ENGLISH)  # the user's language, not the browser's
    assert body.splitlines()[0].startswith("title;pipeline;stage;")
    header, row = list(csv.reader(io.StringIO(body), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == "Rollout, phase 2"
    assert cells["value"] == "12345,50"
    # A space before the time: German spreadsheets read it as a date and time.
    assert cells["created_at"] == "2026-06-10 00:30:00+02:00"


def test_a_german_browser_without_a_chosen_language_gets_the_german_dialect(client, rep, stages):
    body = _deal_row(client, rep, stages, **GERMAN)
    assert "12345,50" in body
    assert body.splitlines()[0].count(";") > 3


def test_the_setting_fixes_one_dialect_for_everybody(client, rep, stages, settings):
    settings.CRM_CSV_DIALECT = "comma"
    rep.language = "de"
    rep.save()
    body = _deal_row(client, rep, stages)
    assert "12345.50" in body
    assert body.splitlines()[0].startswith("title,pipeline,")


def test_a_streamed_export_keeps_the_users_time_zone(client, rep, stages):
    rep.time_zone = "Asia/Tokyo"
    rep.save()
    body = _deal_row(client, rep, stages, **ENGLISH)
    assert "2026-06-10T07:30:00+09:00" in body


def test_a_german_lead_export_imports_back(client, rep):
    rep.language = "de"
    rep.save()
    factories.LeadFactory(owner=rep, last_name="Rund; Lauf", email="rund@trip.example", need=2)
    client.force_login(rep)
    raw = b"".join(client.get("/leads/export.csv").streaming_content)
    assert b";" in raw.splitlines()[0]
    Lead.objects.all().delete()
    lead_import = lead_services.lead_import_create(actor=rep, raw=raw, file_name="export.csv")
    assert lead_import.valid_rows == 1, lead_import.report
    lead_services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    assert Lead.objects.values_list("last_name", "need").get() == ("Rund; Lauf", 2)


@pytest.mark.parametrize(("language", "dialect"), [("de", csvexport.SEMICOLON), ("en-gb", csvexport.COMMA)])
def test_auto_follows_the_active_language(language, dialect):
    with translation.override(language):
        assert csvexport.dialect_for_language() == dialect


@pytest.mark.parametrize(
    ("value", "comma", "semicolon"),
    [(Decimal("-12.50"), "-12.50", "-12,50"), (3, "3", "3"), (1.25, "1.25", "1,25"), ("7.5", "7.5", "7,5")],
)
def test_numbers_take_the_dialects_decimal_mark(value, comma, semicolon):
    assert csvexport.cell(value, csvexport.NUMBER, csvexport.COMMA) == comma
    assert csvexport.cell(value, csvexport.NUMBER, csvexport.SEMICOLON) == semicolon


def test_formulas_are_defused_in_both_dialects():
    for dialect in (csvexport.COMMA, csvexport.SEMICOLON):
        assert csvexport.cell("=1+1", csvexport.TEXT, dialect) == "'=1+1"
        assert csvexport.cell("=1+1", csvexport.NUMBER, dialect) == "'=1+1"

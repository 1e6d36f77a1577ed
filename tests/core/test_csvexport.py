"""The one CSV writer of the product: formulas defused per column kind, numbers, dates and
phone numbers kept as they are, and no other CSV writer anywhere in the code."""

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from pipeline_crm import csvexport
from tests.csvpayloads import PAYLOADS, dangerous


def test_payloads_are_dangerous_before_and_defused_after():
    for payload in PAYLOADS:
        assert dangerous(payload), payload
        out = csvexport.cell(payload, csvexport.TEXT)
        assert out == "'" + payload
        assert not dangerous(out)


@pytest.mark.parametrize("kind", [csvexport.TEXT, csvexport.NUMBER, csvexport.DATE, csvexport.PHONE])
def test_every_kind_defuses_the_payloads(kind):
    for payload in PAYLOADS:
        assert csvexport.cell(payload, kind) == "'" + payload


@pytest.mark.parametrize(
    "text",
    [
        "Müller GmbH",
        "a-b",
        "x=1",
        "mail@example.com",
        "Q3 + Q4",
        "",
        "12 % off",
        "Café „Zur Post“",
    ],
)
def test_ordinary_text_is_written_as_typed(text):
    assert csvexport.cell(text) == text


@pytest.mark.parametrize(
    ("phone", "written"),
    [
        ("+49 30 1234567", "+49 30 1234567"),
        ("+49 (0)30 1234567", "+49 30 1234567"),
        ("030 1234567", "+49 30 1234567"),
        ("0301234567", "+49 30 1234567"),
        ("+49301234567", "+49 30 1234567"),
        ("030/123 45-67", "+49 30 1234567"),
        ("(030) 123 45 67", "+49 30 1234567"),
        ("0049.30.1234567", "+49 30 1234567"),
        ("+1 (415) 555-2671", "+1 415-555-2671"),
        ("0171 2345678", "+49 171 2345678"),
    ],
)
def test_a_valid_phone_number_is_written_internationally_with_spaces(phone, written):
    assert csvexport.cell(phone, csvexport.PHONE) == written


@pytest.mark.parametrize("phone", ["12345", "030 12", "+999 12 34"])
def test_a_phone_number_that_is_not_valid_stays_as_typed(phone):
    assert csvexport.cell(phone, csvexport.PHONE) == phone


@pytest.mark.parametrize(
    ("phone", "written"),
    [("+49 30 CALL-NOW", "'+49 30 CALL-NOW"), ("-49 30", "'-49 30"), ("+", "'+"), ("ask reception", "ask reception")],
)
def test_a_phone_cell_with_more_than_phone_characters_is_text(phone, written):
    assert csvexport.cell(phone, csvexport.PHONE) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("1234.50"), "1234.50"),
        (Decimal("-1234.50"), "-1234.50"),
        (Decimal("1E+3"), "1000"),
        (-7, "-7"),
        (0, "0"),
        (0.1234, "0.1234"),
        (-0.5, "-0.5"),
        (1e-05, "0.00001"),
        (True, "1"),
        ("-12.50", "-12.50"),
        ("0.5000", "0.5000"),
        ("not enough data", "not enough data"),
        ("-1+1", "'-1+1"),
        ("-1e5", "'-1e5"),
        (float("nan"), "nan"),
    ],
)
def test_numbers_stay_numbers_and_negative_ones_too(value, written):
    assert csvexport.cell(value, csvexport.NUMBER) == written


def test_dates_are_iso_8601_and_datetimes_local(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert csvexport.cell(date(2026, 3, 1), csvexport.DATE) == "2026-03-01"
    assert csvexport.cell(datetime(2026, 3, 1, 11, 0, tzinfo=UTC), csvexport.DATE) == "2026-03-01T12:00:00+01:00"


def test_none_is_an_empty_cell_in_every_kind():
    assert {csvexport.cell(None, kind) for kind in csvexport.KINDS} == {""}


def test_a_typed_apostrophe_before_a_formula_sign_gets_one_more():
    assert csvexport.cell("'=1+1") == "''=1+1"
    assert csvexport.cell("'quoted'") == "'quoted'"


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown CSV column kind"):
        csvexport.cell("x", "money")
    with pytest.raises(ValueError, match="unknown CSV column kind"):
        list(csvexport.lines(header=["a"], kinds=["money"], rows=[]))


def test_a_row_with_the_wrong_number_of_cells_is_a_programming_error():
    with pytest.raises(ValueError):
        csvexport.row(["a", "b"], [csvexport.TEXT])


def test_response_is_a_utf8_attachment_with_bom_and_defused_header():
    response = csvexport.response(
        filename="x ä.csv",
        header=["Name", "=evil"],
        kinds=[csvexport.TEXT, csvexport.NUMBER],
        rows=[["Ärger „AG“", Decimal("-3.10")]],
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x__.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [["Name", "'=evil"], ["Ärger „AG“", "-3.10"]]


def test_streaming_response_reads_rows_lazily():
    seen = []

    def rows():
        for i in range(3):
            seen.append(i)
            yield [i]

    response = csvexport.response(filename="s.csv", header=["n"], kinds=[csvexport.NUMBER], rows=rows(), streaming=True)
    assert seen == []
    assert b"".join(response.streaming_content).decode() == "\ufeffn\r\n0\r\n1\r\n2\r\n"


def _product_python_files():
    root = Path(settings.BASE_DIR)
    packages = [path.parent for path in root.glob("*/apps.py")] + [root / "pipeline_crm"]
    for package in packages:
        yield from package.rglob("*.py")


def test_no_csv_is_written_outside_the_export_helper():
    """Every export to come goes through pipeline_crm.csvexport: a csv.writer, DictWriter or
    text/csv response anywhere else in the product code fails this test."""
    writers = re.compile(r"csv\.(writer|DictWriter)\(|text/csv")
    helper = Path(csvexport.__file__).resolve()
    files = list(_product_python_files())
    assert any(path.name == "views.py" and path.parent.name == "leads" for path in files)
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in files
        if path.resolve() != helper and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_import_side_drops_exactly_the_apostrophe_the_export_added():
    for text in [*PAYLOADS, "'=1+1", "'quoted'", "Müller", "-", "'"]:
        assert csvexport.text_from_cell(csvexport.cell(text)) == text
    assert csvexport.text_from_cell("'hello") == "'hello"

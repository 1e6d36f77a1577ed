"""The dashboard's table cells drawn in Python (analytics.tables): the same text as Django's own
formatting in each language, every cell escaped, highlighted and empty tables marked."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation
from django.utils.formats import date_format, number_format

from analytics.sections import Column, Section
from analytics.tables import CellFormatter, table_body

NUMBERS = [
    0,
    1,
    7,
    999,
    1000,
    1234.5,
    99999.949,
    1234567.891,
    -4321.5,
    -0.04,
    -999.96,
    Decimal("0.005"),
    Decimal("1234567.50"),
    Decimal("-1000000"),
    10**15,
]


def half_up(value, places):
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(Decimal(10) ** -places, ROUND_HALF_UP)


@pytest.mark.parametrize("language", ["en", "de"])
def test_numbers_read_as_djangos_number_format_gives_them_rounded_half_up(language):
    with translation.override(language):
        formatter = CellFormatter()
        for value in NUMBERS:
            money = number_format(half_up(value, 0), 0, use_l10n=True, force_grouping=True)
            assert formatter.cell(value, "money") == f"{money} {settings.CRM_CURRENCY}"
            percent = number_format(half_up(half_up(value, 6) * 100, 1), 1, use_l10n=True)
            assert formatter.cell(value, "percent") == f"{percent} %"
            assert formatter.cell(value, "days") == number_format(half_up(value, 1), 1, use_l10n=True)
            assert formatter.cell(value, "int") == number_format(
                half_up(value, 0), 0, use_l10n=True, force_grouping=True
            )
        assert formatter.cell(date(2027, 2, 17), "date") == date_format(date(2027, 2, 17), "SHORT_DATE_FORMAT")


def test_german_cells_use_german_separators():
    with translation.override("de"):
        formatter = CellFormatter()
        assert formatter.cell(Decimal("1234567.50"), "money") == f"1.234.568 {settings.CRM_CURRENCY}"
        assert formatter.cell(0.1234, "percent") == "12,3 %"
        assert formatter.cell(0.1235, "percent") == "12,4 %"  # half up, not cut off
        assert formatter.cell(2.25, "days") == "2,3"
        assert formatter.cell(date(2027, 2, 17), "date") == "17.02.2027"


def test_missing_values_show_a_dash_and_text_stays_text():
    formatter = CellFormatter()
    assert formatter.cell(None, "money") == "—"
    assert formatter.cell("", "int") == "—"
    assert formatter.cell("Qualified", "text") == "Qualified"


def section(rows, highlight=()):
    return Section(
        name="s",
        title="S",
        explanation="",
        columns=[Column("Stage"), Column("Deals", "int"), Column("Value", "money")],
        rows=rows,
        highlight=list(highlight),
    )


def test_every_cell_is_escaped_and_numbers_are_right_aligned():
    with translation.override("en"):
        html = table_body(section([["<b>Won & lost</b>", 1200, Decimal("5000")]]), CellFormatter())
    assert html == (
        '<tr><td data-label="Stage">&lt;b&gt;Won &amp; lost&lt;/b&gt;</td>'
        '<td class="num" data-label="Deals">1,200</td>'
        f'<td class="num" data-label="Value">5,000 {settings.CRM_CURRENCY}</td></tr>'
    )


def test_cells_with_deals_behind_them_link_to_the_drill_down():
    table = section([["A", 3, Decimal("10")]])
    table.cell_links = {(0, 1): "/dashboard/deals/?metric=open&a=1"}
    html = table_body(table, CellFormatter())
    assert (
        '<td class="num" data-label="Deals"><a href="/dashboard/deals/?metric=open&amp;a=1" class="drill">3</a></td>'
        in html
    )
    assert '<td data-label="Stage">A</td>' in html


def test_highlighted_rows_carry_the_bottleneck_class():
    html = table_body(section([["A", 1, 1], ["B", 2, 2]], highlight=[False, True]), CellFormatter())
    first, second = html.split("\n")
    assert first.startswith('<tr><td data-label="Stage">A</td>')
    assert second.startswith('<tr class="bottleneck"><td data-label="Stage">B</td>')


def test_a_table_without_rows_says_so_across_all_columns():
    with translation.override("de"):
        html = table_body(section([]), CellFormatter())
    assert html == '<tr><td colspan="3" class="muted">Keine Daten für diese Filter.</td></tr>'


def test_irregular_groups_get_djangos_own_grouping():
    # No locale of Django's groups irregularly; a project setting can (India: 12,34,567).
    with override_settings(NUMBER_GROUPING=(3, 2, 0), THOUSAND_SEPARATOR=","), translation.override("hi"):
        formatter = CellFormatter()
        assert formatter.grouping == (3, 2, 0)
        assert formatter.cell(Decimal("1234567.2"), "money") == f"12,34,567 {settings.CRM_CURRENCY}"

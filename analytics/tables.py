"""The dashboard's table cells, formatted in Python with the active language's formats read once.

A dashboard at 100,000 deals shows eight tables with about 1,300 cells. Through the template
(`{% for %}` over (value, kind) pairs and the `cell` filter, which asked Django for the decimal
and thousand separators and the grouping again for every number), drawing them was most of a
cached dashboard's time. `CellFormatter` reads the formats once per request and gives exactly
what `django.utils.formats.number_format` / `date_format` give (but rounded half up, as the
board rounds its amounts); `table_body` joins a section's
rows, escaping every cell. docs/metrics.md ("How the dashboard is drawn") has the figures.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import formats, numberformat
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from deals.cards import date_formatter

EMPTY = "—"
STEPS = {0: Decimal(1), 1: Decimal("0.1")}


def exact(value):
    """A number as a Decimal; a float by its shortest repr (0.12345 is 0.12345, not 0.1234499…)."""
    return value if isinstance(value, Decimal) else Decimal(repr(value))


class CellFormatter:
    """Table cells by column kind in the active language: money with grouping and the currency,
    shares as percentages with one decimal, days with one decimal, counts grouped, dates short."""

    def __init__(self):
        language = get_language()
        self.decimal_separator = formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
        self.grouping = formats.get_format("NUMBER_GROUPING", language, use_l10n=True)
        self.thousand_separator = formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
        self.date = date_formatter()

    def number(self, value, decimals, grouped=False):
        """`value` rounded half up to `decimals` places (Django's number_format cuts the digits
        off: 1,234,567.50 showed as 1,234,567 here while the board showed 1,234,568), then
        grouped and separated as number_format does."""
        rounded = exact(value).quantize(STEPS[decimals], ROUND_HALF_UP)
        if rounded.is_zero():
            rounded = rounded.copy_abs()  # no "-0.0", as number_format
        group = grouped or settings.USE_THOUSAND_SEPARATOR
        if not isinstance(self.grouping, int):  # a locale with irregular groups: Django's own code
            return numberformat.format(
                rounded,
                self.decimal_separator,
                decimals,
                self.grouping,
                self.thousand_separator,
                force_grouping=group,
                use_l10n=True,
            )
        text = f"{rounded:f}"
        sign = "-" if text[0] == "-" else ""
        whole, _point, fraction = text.lstrip("-").partition(".")
        if group and 0 < self.grouping < len(whole):
            size = self.grouping
            head = len(whole) % size or size
            whole = self.thousand_separator.join(
                [whole[:head], *(whole[i : i + size] for i in range(head, len(whole), size))]
            )
        return f"{sign}{whole}{self.decimal_separator}{fraction}" if fraction else f"{sign}{whole}"

    def cell(self, value, kind):
        """The text of one cell (not escaped)."""
        if value is None or value == "":
            return EMPTY
        if isinstance(value, (str, Promise)):
            return str(value)
        if kind == "money":
            return f"{self.number(Decimal(value), 0, grouped=True)} {settings.CRM_CURRENCY}"
        if kind == "percent":
            return f"{self.number(exact(value) * 100, 1)} %"
        if kind == "days":
            return self.number(value, 1)
        if kind == "int":
            return self.number(value, 0, grouped=True)
        if kind == "date" and isinstance(value, date):
            return self.date(value)  # escaped already; a date's text holds nothing to escape
        return str(value)


def table_body(section, formatter):
    """The `<tr>` rows of a section's table: numeric cells right-aligned (`class="num"`), each cell
    labelled with its column (`data-label`: a phone shows each row as a card), the highlighted rows
    (the bottleneck) marked, the cells with deals behind them linked to the drill-down
    (`section.cell_links`), a single explaining row when there are none."""
    numeric = [column.kind != "text" for column in section.columns]
    kinds = [column.kind for column in section.columns]
    labels = [escape(str(column.label)) for column in section.columns]
    links = section.cell_links
    if not section.rows:
        empty = escape(gettext("No data for these filters."))
        out = [f'<tr><td colspan="{len(section.columns)}" class="muted">{empty}</td></tr>']
    else:
        out = []
    for index, row in enumerate(section.rows):
        highlighted = bool(section.highlight and section.highlight[index])
        cells = []
        for column, (value, kind, is_numeric, label) in enumerate(zip(row, kinds, numeric, labels, strict=True)):
            text = escape(formatter.cell(value, kind))
            link = links.get((index, column)) if links else None
            if link:
                text = f'<a href="{escape(link)}" class="drill">{text}</a>'
            css = ' class="num"' if is_numeric else ""
            cells.append(f'<td{css} data-label="{label}">{text}</td>')
        cells = "".join(cells)
        out.append(f'<tr class="bottleneck">{cells}</tr>' if highlighted else f"<tr>{cells}</tr>")
    return SafeString("\n".join(out))

"""Formatting of dashboard table cells by column kind, localised."""

from datetime import date
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise

register = template.Library()


@register.filter
def cell(value, kind):
    """Render one table cell: money with grouping and currency, percentages, days, dates."""
    if value is None or value == "":
        return "—"
    if isinstance(value, (str, Promise)):
        return str(value)
    if kind == "money":
        return f"{number_format(Decimal(value), 0, use_l10n=True, force_grouping=True)} {settings.CRM_CURRENCY}"
    if kind == "percent":
        return f"{number_format(value * 100, 1, use_l10n=True)} %"
    if kind == "days":
        return number_format(value, 1, use_l10n=True)
    if kind == "int":
        return number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "date" and isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)

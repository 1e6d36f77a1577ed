"""Formatting of dashboard cells by column kind, localised (analytics.tables)."""

from django import template

from analytics.tables import CellFormatter, table_body

register = template.Library()
FORMATTER = "analytics_cell_formatter"


def _formatter(context):
    """One formatter per template render (the language does not change within one)."""
    formatter = context.render_context.get(FORMATTER)
    if formatter is None:
        formatter = context.render_context[FORMATTER] = CellFormatter()
    return formatter


@register.simple_tag(takes_context=True)
def cell(context, value, kind):
    """One cell or tile value: money with grouping and currency, percentages, days, dates."""
    return _formatter(context).cell(value, kind)


@register.simple_tag(takes_context=True)
def section_rows(context, section):
    """The rows of a section's table (analytics.tables.table_body)."""
    return table_body(section, _formatter(context))

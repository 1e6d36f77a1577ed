import csv
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from analytics import filters, selectors

PAGE = "analytics/dashboard.html"


def dashboard(request):
    """The manager dashboard; an htmx request (a filter changed) gets only #dashboard-body."""
    filterset = filters.DashboardFilter(request.GET, user=request.user)
    template = f"{PAGE}#dashboard-body" if request.htmx else PAGE
    if not filterset.is_valid():
        return render(request, template, {"filterset": filterset, "data": None}, status=400)
    data = selectors.dashboard(user=request.user, filterset=filterset)
    query = urlencode(data["criteria"].query_items())
    return render(request, template, {"filterset": filterset, "data": data, "query": query})


def export_csv(request, section):
    """One chart's table as CSV, with the same scope and filters as the dashboard."""
    if section not in selectors.SECTIONS:
        raise Http404("No such chart.")
    filterset = filters.DashboardFilter(request.GET, user=request.user)
    if not filterset.is_valid():
        return HttpResponseBadRequest(filterset.errors.as_text(), content_type="text/plain; charset=utf-8")
    chart = selectors.dashboard(user=request.user, filterset=filterset, only=section)["sections"][0]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{section}-{timezone.localdate().isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow([str(column.label) for column in chart.columns])
    for row in chart.rows:
        writer.writerow([_csv_value(value, column.kind) for value, column in zip(row, chart.columns, strict=True)])
    return response


def _csv_value(value, kind):
    if value is None:
        return ""
    if kind == "percent" and isinstance(value, (float, int, Decimal)):
        return f"{value:.4f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from analytics import filters
from analytics.selectors import dashboard as dashboard_selectors
from analytics.selectors import drilldown
from pipeline_crm import csvexport

PAGE = "analytics/dashboard.html"
DRILLDOWN = "analytics/drilldown.html"
DRILLDOWN_PAGE_SIZE = 50


def dashboard(request):
    """The manager dashboard; an htmx request (a filter changed) gets only #dashboard-body."""
    filterset = filters.DashboardFilter(request.GET, user=request.user)
    template = f"{PAGE}#dashboard-body" if request.htmx else PAGE
    if not filterset.is_valid():
        return render(request, template, {"filterset": filterset, "data": None}, status=400)
    trend_grain = request.GET.get("trend", "")
    data = dashboard_selectors.dashboard(user=request.user, filterset=filterset, trend_grain=trend_grain)
    query = urlencode([*data["criteria"].query_items(), *([("trend", trend_grain)] if trend_grain else [])])
    return render(request, template, {"filterset": filterset, "data": data, "query": query})


@require_safe
def deals_behind(request):
    """The deals behind one dashboard figure (same scope and filters), with their count and total;
    an htmx request (a page link) gets only #drilldown-body. Bad filters or buckets answer 400."""
    filterset = filters.DashboardFilter(request.GET, user=request.user)
    bucket_form = drilldown.BucketForm(request.GET)
    template = f"{DRILLDOWN}#drilldown-body" if request.htmx else DRILLDOWN
    if not (filterset.is_valid() & bucket_form.is_valid()):
        context = {"filterset": filterset, "bucket_form": bucket_form, "result": None}
        return render(request, template, context, status=400)
    result = drilldown.deals_behind(user=request.user, filterset=filterset, bucket_form=bucket_form)
    page = Paginator(result.deals, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    dashboard_query = urlencode(filterset.criteria().query_items())
    context = {
        "filterset": filterset,
        "bucket_form": bucket_form,
        "result": result,
        "page": page,
        "query": query.urlencode(),
        "dashboard_query": dashboard_query,
    }
    return render(request, template, context)


def export_csv(request, section):
    """One chart's table as CSV, with the same scope and filters as the dashboard."""
    if section not in dashboard_selectors.SECTIONS:
        raise Http404("No such chart.")
    filterset = filters.DashboardFilter(request.GET, user=request.user)
    if not filterset.is_valid():
        return HttpResponseBadRequest(filterset.errors.as_text(), content_type="text/plain; charset=utf-8")
    chart = dashboard_selectors.dashboard(
        user=request.user, filterset=filterset, only=section, trend_grain=request.GET.get("trend", "")
    )["sections"][0]
    kinds = [CSV_KINDS.get(column.kind, csvexport.TEXT) for column in chart.columns]
    rows = (
        [_csv_value(value, column.kind) for value, column in zip(row, chart.columns, strict=True)] for row in chart.rows
    )
    return csvexport.response(
        filename=f"{section}-{timezone.localdate().isoformat()}.csv",
        header=[column.label for column in chart.columns],
        kinds=kinds,
        rows=rows,
    )


# Dashboard column kinds → how pipeline_crm.csvexport writes their cells.
CSV_KINDS = {
    "int": csvexport.NUMBER,
    "money": csvexport.NUMBER,
    "percent": csvexport.NUMBER,
    "days": csvexport.NUMBER,
    "date": csvexport.DATE,
}


def _csv_value(value, kind):
    """Shares as fractions with four decimals (0.1234 = 12.34 %); the rest as computed."""
    if kind == "percent" and isinstance(value, (float, int, Decimal)) and not isinstance(value, bool):
        return f"{value:.4f}"
    return value

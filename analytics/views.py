from django.db.models import Count, Sum
from django.shortcuts import render

from deals import selectors as deal_selectors


def dashboard(request):
    deals = deal_selectors.deal_list_for_user(user=request.user)
    totals = deals.filter(deal_selectors.open_deals_q()).aggregate(count=Count("id"), value=Sum("value"))
    return render(request, "analytics/dashboard.html", {"totals": totals})

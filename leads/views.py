from django.core.paginator import Paginator
from django.shortcuts import render

from leads import selectors


def lead_list(request):
    page = Paginator(selectors.lead_list_for_user(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "leads/lead_list.html", {"page": page})

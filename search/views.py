"""The global search: the results page and, for the header box (htmx), its dropdown."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from search import forms, selectors

DROPDOWN_LIMIT = 5  # hits per type in the header's dropdown
PAGE_LIMIT = 10  # hits per type on the results page
TYPE_LIMIT = 50  # hits on the results page for one type


@require_GET
def search(request):
    form = forms.SearchForm(request.GET)
    groups = None
    if form.is_valid() and not form.too_short:
        kind = form.cleaned_data["type"]
        limit = DROPDOWN_LIMIT if request.htmx else (TYPE_LIMIT if kind else PAGE_LIMIT)
        groups = selectors.search_for_user(
            user=request.user, text=form.cleaned_data["q"], limit=limit, kinds=[kind] if kind else None
        )
    context = {
        "form": form,
        "groups": groups,
        "found": bool(groups) and any(group.hits for group in groups),
        "min_length": selectors.MIN_LENGTH,
    }
    if request.htmx:
        # The dropdown answers 200 even for a refused query: htmx swaps no error answer, and the
        # box should say why it shows nothing.
        return render(request, "search/search.html#dropdown", context)
    return render(request, "search/search.html", context, status=400 if form.errors else 200)

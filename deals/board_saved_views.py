"""Saved views on the board (docs/board.md): the deal list's saved views (list key `deals`, the
same filters) opened as board links, and the board's current filters saved as one. The menu is
loaded by htmx after the board, so the board keeps its query count; rename, share and delete
are on the deal list's menu."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import saved_views
from accounts.models import SavedView
from deals import filters, selectors, views

LIST_KEY = SavedView.ListKey.DEALS
BOARD_KEYS = frozenset(views.FILTER_KEYS) | frozenset(filters.BoardFilter.base_filters)


def _board_filters(raw):
    """Only the board's filters of a saved query string (the list's sort and columns dropped)."""
    params = QueryDict(raw or "", mutable=True)
    for key in list(params.keys()):
        if key not in BOARD_KEYS or not any(v.strip() for v in params.getlist(key)):
            del params[key]
    return params.urlencode()


@require_http_methods(["GET", "POST"])
def board_views(request, pipeline_id):
    _pipelines, pipeline = selectors.board_pipelines(pipeline_id=pipeline_id)
    if request.method == "POST":
        query = _board_filters(request.POST.get("query", ""))
        try:
            view = saved_views.saved_view_create(
                owner=request.user,
                list_key=LIST_KEY,
                name=request.POST.get("name", ""),
                query=query,
                shared=request.POST.get("shared") == "on",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return views._render_board(request, pipeline.pk, status=400)
        messages.success(request, _("View %(name)s saved.") % {"name": view.name})
        return redirect(views._board_url(pipeline.pk, query))
    found = [
        (view, views._board_url(pipeline.pk, _board_filters(view.query)))
        for view in saved_views.saved_views_for_user(user=request.user, list_key=LIST_KEY)
    ]
    return render(request, "deals/board.html#saved-views", {"pipeline": pipeline, "saved_views": found})

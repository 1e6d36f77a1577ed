"""The board and the deal pages. Thin views: scope, parse, call one service or selector, render.

Board mutations answer htmx with the re-rendered columns as out-of-band swaps (and the
message as an out-of-band append to #messages), whatever the outcome, so that the board
always shows the truth; without htmx they redirect back with a flash message.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from deals import forms, selectors, services
from pipeline_crm import listcolumns

FILTER_KEYS = ("q", "owner", "region", "product", "tag", "close_from", "close_to", "status")


def _filter_query(request):
    """The board's filters as a query string (without paging or unrelated parameters)."""
    query = request.GET.copy()
    for key in list(query.keys()):
        if key not in FILTER_KEYS:
            del query[key]
    return query.urlencode()


def _board_url(pipeline_id, query):
    url = reverse("deals:board_pipeline", args=[pipeline_id])
    return f"{url}?{query}" if query else url


def _board_context(request, pipeline, pipelines, filterset, columns):
    query = _filter_query(request)
    signatures = {c.stage.pk: c.token for c in columns if c.token}
    return {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "filter": filterset,
        "columns": columns,
        "board_query": query,
        "etag": selectors.board_etag(user=request.user, pipeline_id=pipeline.pk, query=query, signatures=signatures),
    }


LIST_PAGE_SIZE = 50
LIST_COLUMNS = [
    ("organization", _lazy("Organization")),
    ("stage", _lazy("Stage")),
    ("value", _lazy("Value")),
    ("close", _lazy("Expected close")),
    ("owner", _lazy("Owner")),
    ("status", _lazy("Status")),
    ("tags", _lazy("Tags")),
]


@require_GET
def deal_list(request):
    """The deals the user sees as a table, with the board's filters, sortable columns and 50 a
    page; htmx gets the table only. Queries: user, owner choices, count, rows, their tags (and
    the form's product, persona and tag choices)."""
    filterset, rows = selectors.deal_list_rows(user=request.user, data=request.GET)
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("o", None)
    context = {
        "page": page,
        "filter": filterset,
        "querystring": params.urlencode(),
        "sort_querystring": sort_params.urlencode(),
        "current_sort": request.GET.get("o", ""),
        **listcolumns.context(request.GET, LIST_COLUMNS),
    }
    template = "deals/deal_list.html#table" if request.htmx else "deals/deal_list.html"
    return render(request, template, context)


@require_GET
def board(request, pipeline_id=None):
    """The pipeline board. Queries: session, user, [a manager's team ids], owner choices,
    stages of all pipelines + the shown columns' totals, first page of cards, product
    choices (and base.html's user menu reads the user's team)."""
    return _render_board(request, pipeline_id, partial=bool(request.htmx))


def _render_board(request, pipeline_id, *, partial=False, status=200):
    pipelines, pipeline, filterset, columns = selectors.board_page(
        user=request.user, pipeline_id=pipeline_id, data=request.GET
    )
    if pipeline is None:
        return render(request, "deals/board.html", {"pipeline": None, "pipelines": pipelines}, status=status)
    context = _board_context(request, pipeline, pipelines, filterset, columns)
    template = "deals/board.html#board" if partial else "deals/board.html"
    response = render(request, template, context, status=status)
    response["ETag"] = context["etag"]
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def board_poll(request, pipeline_id):
    """The conditional poll: 304 from one GROUP BY over the deal summary when nothing
    changed, else every column as an out-of-band swap (the client skips the columns whose
    signature it already has)."""
    filterset = selectors.board_filter(user=request.user, pipeline=pipeline_id, data=request.GET, with_choices=False)
    query = _filter_query(request)
    signatures = selectors.board_signatures(filterset=filterset, pipeline_id=pipeline_id)
    etag = selectors.board_etag(user=request.user, pipeline_id=pipeline_id, query=query, signatures=signatures)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        _pipelines, pipeline = selectors.board_pipelines(pipeline_id=pipeline_id)
        columns = selectors.board_columns(filterset=filterset, pipeline=pipeline_id)
        context = {"columns": columns, "board_query": query, "pipeline": pipeline, "oob": True}
        response = render(request, "deals/board.html#poll", context)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def column_more(request, pipeline_id, stage_id):
    """The next page of one column ("load more"), by keyset cursor."""
    _pipelines, pipeline = selectors.board_pipelines(pipeline_id=pipeline_id)
    stage = selectors.stage_get(pipeline=pipeline, stage_id=stage_id)
    cursor = selectors.cursor_decode(request.GET.get("after"))
    if stage is None or cursor is None:
        return _refused(request, _("Unknown column or cursor."), status=400, pipeline_id=pipeline.pk)
    filterset = selectors.board_filter(user=request.user, pipeline=pipeline.pk, data=request.GET, with_choices=False)
    cards, has_more = selectors.column_page(filterset=filterset, stage=stage, cursor=cursor)
    context = {
        "pipeline": pipeline,
        "cards": cards,
        "has_more": has_more,
        "stage": stage,
        "next_cursor": selectors.cursor_encode(cards[-1]) if cards else "",
        "board_query": _filter_query(request),
    }
    return render(request, "deals/board.html#more-cards", context)


def _columns_response(request, *, pipeline_id, stage_ids, message, level, status=200):
    """The answer to a board action: the affected columns out-of-band plus the message.

    A refusal (status >= 400) answers the same way with its real status and `HX-Reswap:
    none`, so that only the out-of-band parts land: the columns as they really are and the
    message. Without htmx a success redirects back to the board; a refusal renders the
    whole board with the message under its real status."""
    if not request.htmx:
        getattr(messages, level)(request, message)
        if status >= 400:
            return _render_board(request, pipeline_id, status=status)
        return redirect(_board_url(pipeline_id, _filter_query(request)))
    if pipeline_id is not None:
        filterset = selectors.board_filter(
            user=request.user, pipeline=pipeline_id, data=request.GET, with_choices=False
        )
        columns = selectors.board_columns(
            filterset=filterset, pipeline=pipeline_id, stage_ids=[s for s in stage_ids if s]
        )
    else:
        columns = []
    context = {
        "columns": columns,
        "board_query": _filter_query(request),
        "message": message,
        "level": level,
        "oob": True,
        "pipeline_id": pipeline_id,
    }
    response = render(request, "deals/board.html#mutation", context, status=status)
    if status == 200:
        response["HX-Trigger"] = "board-dialog-close"
    else:
        response["HX-Reswap"] = "none"
    return response


def _refused(request, message, *, status, pipeline_id=None, stage_ids=()):
    """A board action refused before any deal could be shown (unknown or invisible deal,
    malformed input): the message, and under htmx a re-render of every column."""
    response = _columns_response(
        request, pipeline_id=pipeline_id, stage_ids=stage_ids, message=message, level="error", status=status
    )
    if request.htmx:
        response["HX-Trigger"] = "board-refresh"
    return response


def _error_response(request, error, *, stage_ids=()):
    """A refused change: the message, and the columns as they really are."""
    if error.deal is None:
        return _refused(request, error.message, status=error.status)
    return _columns_response(
        request,
        pipeline_id=error.deal.pipeline_id,
        stage_ids=[error.deal.stage_id, *stage_ids],
        message=error.message,
        level="error",
        status=error.status,
    )


def _not_found(request):
    """404 for a deal outside the scope (its existence is not revealed); htmx refreshes the board."""
    return _refused(request, _("This deal does not exist or is not visible to you."), status=404)


@require_http_methods(["GET", "POST"])
def deal_move(request, deal_id):
    """GET: the "Move to…" form (stages, won, lost; a dialog under htmx, a page without JS).
    POST stage, version, optional position (index in the column) or after/before (neighbour ids)."""
    if request.method == "GET":
        return _move_form(request, deal_id)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, _("The move could not be read. The board shows every deal where it is now."), status=400
        )
    data = form.cleaned_data
    try:
        deal, from_stage_id = services.deal_move(
            deal_id=deal_id,
            stage_id=data["stage"],
            version=data["version"],
            actor=request.user,
            after_id=data["after"],
            before_id=data["before"],
            index=data["position"],
        )
    except Http404:
        return _not_found(request)
    except services.DealError as error:
        return _error_response(request, error, stage_ids=[data["stage"], data["from_stage"]])
    return _columns_response(
        request,
        pipeline_id=deal.pipeline_id,
        stage_ids=[from_stage_id, deal.stage_id, data["from_stage"]],
        message=_("“%(deal)s” moved.") % {"deal": deal.title},
        level="success",
    )


def _move_form(request, deal_id):
    deal = selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    if not scoping.can_change_owned(request.user, deal.owner):
        return _columns_response(
            request,
            pipeline_id=deal.pipeline_id,
            stage_ids=[deal.stage_id],
            message=_("You may look at this deal but not change it."),
            level="error",
            status=403,
        )
    context = {
        "deal": deal,
        "stages": selectors.stage_list(pipeline=deal.pipeline_id),
        "lost_form": forms.LostForm(initial={"version": deal.version}),
        "board_query": _filter_query(request),
        "outcome": request.GET.get("outcome", ""),
    }
    return render(request, "deals/move.html#move-dialog" if request.htmx else "deals/move.html", context)


def _outcome_response(request, deal, message):
    if request.POST.get("from") == "board":
        return _columns_response(
            request, pipeline_id=deal.pipeline_id, stage_ids=[deal.stage_id], message=message, level="success"
        )
    messages.success(request, message)
    return redirect("deals:detail", deal.pk)


def _outcome_error(request, error):
    if request.POST.get("from") == "board" or error.deal is None:
        return _error_response(request, error)
    messages.error(request, error.message)
    return _render_detail(
        request, selectors.deal_detail_for_user(user=request.user, deal_id=error.deal.pk), status=error.status
    )


def _invalid_outcome(request, message):
    """An outcome posted without its version (or reason): the board or the deal page, with 400."""
    if request.POST.get("from") == "board":
        return _refused(request, message, status=400)
    messages.error(request, message)
    deal_id = request.resolver_match.kwargs["deal_id"]
    return _render_detail(request, selectors.deal_detail_for_user(user=request.user, deal_id=deal_id), status=400)


def _apply_outcome(request, change, success):
    """Run one outcome service (`change` returns the deal) and answer the board or the detail page."""
    try:
        deal = change()
    except Http404:
        return _not_found(request)
    except services.DealError as error:
        return _outcome_error(request, error)
    return _outcome_response(request, deal, success % {"deal": deal.title})


@require_POST
def deal_win(request, deal_id):
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        return _invalid_outcome(request, _("The deal's version is missing."))
    return _apply_outcome(
        request,
        lambda: services.deal_win(deal_id=deal_id, version=form.cleaned_data["version"], actor=request.user),
        _("“%(deal)s” won. Congratulations!"),
    )


@require_POST
def deal_lose(request, deal_id):
    form = forms.LostForm(request.POST)
    if not form.is_valid():
        reason_missing = "reason" in form.errors
        message = _("Choose why the deal was lost.") if reason_missing else _("The deal's version is missing.")
        return _invalid_outcome(request, message)
    return _apply_outcome(
        request,
        lambda: services.deal_lose(
            deal_id=deal_id,
            version=form.cleaned_data["version"],
            actor=request.user,
            reason_id=form.cleaned_data["reason"].pk,
            note=form.cleaned_data["note"],
        ),
        _("“%(deal)s” marked as lost."),
    )


@require_POST
def deal_follow_up(request, deal_id):
    """From a won deal: a new deal in the expansion pipeline for the same customer (cross- or
    upselling), opened right away."""
    try:
        follow_up = services.deal_follow_up_create(origin_id=deal_id, actor=request.user)
    except Http404:
        return _not_found(request)
    except services.DealError as error:
        return _outcome_error(request, error)
    messages.success(request, _("Follow-up deal “%(deal)s” created.") % {"deal": follow_up.title})
    return redirect("deals:detail", follow_up.pk)


@require_POST
def deal_reopen(request, deal_id):
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        return _invalid_outcome(request, _("The deal's version is missing."))
    return _apply_outcome(
        request,
        lambda: services.deal_reopen(deal_id=deal_id, version=form.cleaned_data["version"], actor=request.user),
        _("“%(deal)s” reopened."),
    )


@require_POST
def deal_quick_add(request, pipeline_id, stage_id):
    """Add a deal owned by the user at the top of a column."""
    _pipelines, pipeline = selectors.board_pipelines(pipeline_id=pipeline_id)
    stage = selectors.stage_get(pipeline=pipeline, stage_id=stage_id)
    if stage is None:
        return _refused(request, _("Unknown column."), status=400, pipeline_id=pipeline.pk)
    form = forms.QuickAddForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items())
        return _columns_response(
            request,
            pipeline_id=pipeline.pk,
            stage_ids=[stage.pk],
            message=_("The deal was not added. %(errors)s") % {"errors": errors},
            level="error",
            status=400,
        )
    data = form.cleaned_data
    deal = services.deal_quick_add(
        actor=request.user,
        stage=stage,
        title=data["title"],
        value=data["value"],
        organization_name=data["organization"],
        expected_close_date=data["expected_close_date"],
    )
    return _columns_response(
        request,
        pipeline_id=pipeline.pk,
        stage_ids=[stage.pk],
        message=_("“%(deal)s” added.") % {"deal": deal.title},
        level="success",
    )


@require_http_methods(["GET", "POST"])
def deal_detail(request, deal_id):
    """The deal: edit form, outcome buttons, the activities panel and the timeline (both
    loaded into frames by the apps above deals)."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if request.method == "GET":
        return _render_detail(request, deal)
    if not scoping.can_change_owned(request.user, deal.owner):
        messages.error(request, _("You may look at this deal but not change it."))
        return _render_detail(request, deal, status=403)
    form = forms.DealEditForm(request.POST, instance=deal, user=request.user)
    if not form.is_valid():
        return _render_detail(request, deal, form=form, status=400)
    fields = {k: form.cleaned_data[k] for k in ("title", "value", "expected_close_date", "probability")}
    if "owner" in form.cleaned_data:
        fields["owner"] = form.cleaned_data["owner"]
    try:
        services.deal_update(
            deal_id=deal.pk,
            version=form.cleaned_data["version"],
            actor=request.user,
            organization_name=form.cleaned_data["organization_name"],
            **fields,
        )
    except services.DealStale as error:
        # Nothing is lost: the user's input stays in the form, now against the current
        # version, and the header shows the deal as the other user left it.
        current = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
        messages.error(
            request,
            _(
                "%(user)s changed this deal while you were editing it. The header shows it as it is now; "
                "your input is below — save again to keep it."
            )
            % {"user": error.deal.updated_by or _("Someone else")},
        )
        data = request.POST.copy()
        data["version"] = current.version
        form = forms.DealEditForm(data, instance=current, user=request.user)
        form.is_valid()
        return _render_detail(request, current, form=form, status=error.status)
    except services.DealError as error:
        messages.error(request, error.message)
        return _render_detail(request, deal, form=form, status=error.status)
    messages.success(request, _("Saved."))
    return redirect("deals:detail", deal.pk)


def _render_detail(request, deal, *, form=None, status=200):
    back = request.GET.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    context = {
        "deal": deal,
        "form": form or forms.DealEditForm(instance=deal, user=request.user),
        "can_change": scoping.can_change_owned(request.user, deal.owner),
        "lost_form": forms.LostForm(initial={"version": deal.version}),
        "back": back or reverse("deals:board_pipeline", args=[deal.pipeline_id]),
    }
    return render(request, "deals/deal_detail.html", context, status=status)

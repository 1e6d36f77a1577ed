"""The board and the deal pages. Thin views: scope, parse, call one service or selector, render.

Board mutations answer htmx with the re-rendered columns as out-of-band swaps (and the
message as an out-of-band append to #messages), whatever the outcome, so that the board
always shows the truth; without htmx they redirect back with a flash message.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from deals import forms, selectors, services

TEXT = "text/plain; charset=utf-8"

FILTER_KEYS = ("q", "owner", "region", "product", "close_from", "close_to", "status")


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
    signatures = {c.stage.pk: c.signature for c in columns if c.count}
    return {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "filter": filterset,
        "columns": columns,
        "board_query": query,
        "etag": selectors.board_etag(user=request.user, pipeline_id=pipeline.pk, query=query, signatures=signatures),
    }


@require_GET
def board(request, pipeline_id=None):
    """The pipeline board. Queries: session, user, [a manager's team ids], owner choices,
    stages of all pipelines + the shown columns' totals, first page of cards, product
    choices (and base.html's user menu reads the user's team)."""
    pipelines, pipeline, filterset, columns = selectors.board_page(
        user=request.user, pipeline_id=pipeline_id, data=request.GET
    )
    if pipeline is None:
        return render(request, "deals/board.html", {"pipeline": None, "pipelines": pipelines})
    context = _board_context(request, pipeline, pipelines, filterset, columns)
    template = "deals/board.html#board" if request.htmx else "deals/board.html"
    response = render(request, template, context)
    response["ETag"] = context["etag"]
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def board_poll(request, pipeline_id):
    """The conditional poll: 304 from one GROUP BY when nothing changed, else every column
    as an out-of-band swap (the client skips the columns whose signature it already has)."""
    filterset = selectors.board_filter(user=request.user, pipeline=pipeline_id, data=request.GET, with_choices=False)
    query = _filter_query(request)
    signatures = selectors.board_signatures(deals=filterset.qs)
    etag = selectors.board_etag(user=request.user, pipeline_id=pipeline_id, query=query, signatures=signatures)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        _pipelines, pipeline = selectors.board_pipelines(pipeline_id=pipeline_id)
        columns = selectors.board_columns(deals=filterset.qs, pipeline=pipeline_id)
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
        return HttpResponse(_("Unknown column or cursor."), status=400, content_type=TEXT)
    filterset = selectors.board_filter(user=request.user, pipeline=pipeline.pk, data=request.GET, with_choices=False)
    cards, has_more = selectors.column_page(deals=filterset.qs, stage=stage, cursor=cursor)
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
    """The answer to a board mutation: the affected columns out-of-band plus the message."""
    if not request.htmx:
        getattr(messages, level)(request, message)
        return redirect(_board_url(pipeline_id, _filter_query(request)))
    filterset = selectors.board_filter(user=request.user, pipeline=pipeline_id, data=request.GET, with_choices=False)
    columns = selectors.board_columns(deals=filterset.qs, pipeline=pipeline_id, stage_ids=[s for s in stage_ids if s])
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
    return response


def _error_response(request, error, *, stage_ids=()):
    """A refused change: the message, and the columns as they really are."""
    if error.deal is None:
        return HttpResponse(error.message, status=error.status, content_type=TEXT)
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
    response = HttpResponse(_("This deal does not exist or is not visible to you."), status=404, content_type=TEXT)
    if request.htmx:
        response["HX-Trigger"] = "board-refresh"
    return response


@require_http_methods(["GET", "POST"])
def deal_move(request, deal_id):
    """GET: the "Move to…" form (stages, won, lost; a dialog under htmx, a page without JS).
    POST stage, version, optional position (index in the column) or after/before (neighbour ids)."""
    if request.method == "GET":
        return _move_form(request, deal_id)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            _("Invalid move: %(errors)s") % {"errors": form.errors.as_text()}, status=400, content_type=TEXT
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
        return HttpResponse(_("You may look at this deal but not change it."), status=403, content_type=TEXT)
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
    return redirect("deals:detail", error.deal.pk)


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
        return HttpResponse(_("The deal's version is missing."), status=400, content_type=TEXT)
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
        return HttpResponse(message, status=400, content_type=TEXT)
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
def deal_reopen(request, deal_id):
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("The deal's version is missing."), status=400, content_type=TEXT)
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
        return HttpResponse(_("Unknown column."), status=400, content_type=TEXT)
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
    can_change = scoping.can_change_owned(request.user, deal.owner)
    form = forms.DealEditForm(request.POST or None, instance=deal, user=request.user)
    status = 200
    if request.method == "POST":
        if not can_change:
            return HttpResponse(_("You may look at this deal but not change it."), status=403, content_type=TEXT)
        if form.is_valid():
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
            except services.DealError as error:
                messages.error(request, error.message)
                return redirect("deals:detail", deal.pk)
            messages.success(request, _("Saved."))
            return redirect("deals:detail", deal.pk)
        status = 400
    back = request.GET.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    context = {
        "deal": deal,
        "form": form,
        "can_change": can_change,
        "lost_form": forms.LostForm(initial={"version": deal.version}),
        "back": back or reverse("deals:board_pipeline", args=[deal.pipeline_id]),
    }
    return render(request, "deals/deal_detail.html", context, status=status)

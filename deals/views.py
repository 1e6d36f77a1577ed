"""The board and the deal pages. Thin views: scope, parse, call one service or selector, render.

Board mutations answer htmx with the re-rendered columns as out-of-band swaps (and the
message as an out-of-band append to #messages), whatever the outcome, so that the board
always shows the truth; without htmx they redirect back with a flash message.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from customers import services as customer_services
from deals import forms, money, selectors, services
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
    ("quote", _lazy("Quote")),
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
    """The deal: edit form, line items, outcome buttons, the activities panel and the timeline
    (both loaded into frames by the apps above deals). Queries: see
    tests/deals/test_deal_page_queries.py."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if request.method == "GET":
        return _render_detail(request, deal)
    if not scoping.can_change_owned(request.user, deal.owner):
        messages.error(request, _("You may look at this deal but not change it."))
        return _render_detail(request, deal, status=403)
    form = forms.DealEditForm(request.POST, instance=deal, user=request.user)
    if not form.is_valid():
        messages.error(request, _("The deal was not saved. Please correct the marked fields."))
        return _render_detail(request, deal, form=form, status=400)
    names = ("title", "organization", "contact", "value", "expected_close_date", "probability", "price_list", "notes")
    fields = {k: form.cleaned_data[k] for k in names}
    fields["value_follows_line_items"] = form.cleaned_data["value_follows_line_items"]
    if "owner" in form.cleaned_data:
        fields["owner"] = form.cleaned_data["owner"]
    try:
        services.deal_update(deal_id=deal.pk, version=form.cleaned_data["version"], actor=request.user, **fields)
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


def _render_detail(request, deal, *, form=None, status=200, line_form=None, new_organization=None, new_contact=None):
    back = request.GET.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    can_change = scoping.can_change_owned(request.user, deal.owner)
    context = {
        "deal": deal,
        "form": form or forms.DealEditForm(instance=deal, user=request.user),
        "can_change": can_change,
        "lost_form": forms.LostForm(initial={"version": deal.version}),
        "back": back or reverse("deals:board_pipeline", args=[deal.pipeline_id]),
        **_line_items_context(deal, can_change=can_change, line_form=line_form),
        "organization_form": new_organization or forms.InlineOrganizationForm(prefix="new_org"),
        "contact_form": new_contact or forms.InlineContactForm(prefix="new_contact"),
    }
    return render(request, "deals/deal_detail.html", context, status=status)


def _line_items_context(deal, *, can_change, line_form=None, edit_forms=None):
    """The line items and, for a user who may change them, one form per line and the add form,
    all offering the products of one catalogue read."""
    items = selectors.deal_line_items(deal=deal)
    if not can_change:
        return {"line_items": items, "line_form": None, "vat_rates": money.COMMON_VAT_RATES}
    choices = selectors.product_choices(extra_ids={line.product_id for line in items.lines if line.product_id})
    edit_forms = edit_forms or {}
    for line in items.lines:
        line.form = edit_forms.get(line.pk) or forms.LineItemForm(
            line=line, prefix=f"line-{line.pk}", product_choices=choices
        )
    return {
        "line_items": items,
        "line_form": line_form or forms.LineItemForm(prefix="new_line", product_choices=choices),
        "vat_rates": money.COMMON_VAT_RATES,
    }


# --- the deal page's htmx parts: line items, the customer picker, new customers -----------------


def _deal_for_page_change(request, deal_id):
    """(deal, refusal): the deal for a change from its page; 404 outside the scope, 403 when
    visible but not the user's to change."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if not scoping.can_change_owned(request.user, deal.owner):
        return deal, _page_refused(request, deal, _("You may look at this deal but not change it."), status=403)
    return deal, None


def _page_refused(request, deal, message, *, status, **render_kwargs):
    if request.htmx:
        response = render(
            request, "deals/deal_detail.html#page-message", {"message": message, "level": "error"}, status=status
        )
        response["HX-Reswap"] = "none"
        return response
    messages.error(request, message)
    return _render_detail(request, deal, status=status, **render_kwargs)


def _line_items_response(request, deal_id, *, message, old_version, line_form=None, edit_forms=None, status=200):
    """The re-rendered line items with the header as an out-of-band swap; the edit form's
    version follows too when the page had the version this change started from (the user's
    own change), so that a save of the form afterwards is not refused as stale."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if not request.htmx:
        messages.success(request, message)
        return redirect("deals:detail", deal.pk)
    context = {
        "deal": deal,
        "can_change": True,
        **_line_items_context(deal, can_change=True, line_form=line_form, edit_forms=edit_forms),
        "message": message,
        "level": "success" if status == 200 else "error",
        "sync_version": old_version is not None and request.POST.get("version") == str(old_version),
    }
    return render(request, "deals/deal_detail.html#line-items-response", context, status=status)


def _line_refused(request, deal, error, **render_kwargs):
    if request.htmx:
        return _page_refused(request, deal, error.message, status=error.status)
    messages.error(request, error.message)
    return _render_detail(
        request,
        selectors.deal_detail_for_user(user=request.user, deal_id=deal.pk),
        status=error.status,
        **render_kwargs,
    )


def _invalid_line(request, deal, form, *, line=None):
    """400 with the form's errors: htmx gets the line items with the form as sent."""
    message = _("The line item was not saved. Please correct the marked fields.")
    if request.htmx:
        return _line_items_response(
            request,
            deal.pk,
            message=message,
            old_version=None,
            line_form=None if line else form,
            edit_forms={line.pk: form} if line else None,
            status=400,
        )
    messages.error(request, message)
    return _render_detail(request, deal, status=400, line_form=None if line else form)


@require_POST
def line_item_add(request, deal_id):
    deal, refusal = _deal_for_page_change(request, deal_id)
    if refusal:
        return refusal
    form = forms.LineItemForm(request.POST, prefix="new_line")
    if not form.is_valid():
        return _invalid_line(request, deal, form)
    try:
        deal, line, old_version = services.deal_line_item_add(
            deal_id=deal.pk, actor=request.user, **form.service_fields()
        )
    except services.DealError as error:
        return _line_refused(request, deal, error, line_form=form)
    return _line_items_response(
        request, deal.pk, message=_("“%(line)s” added.") % {"line": line.label}, old_version=old_version
    )


@require_POST
def line_item_edit(request, deal_id, line_id):
    deal, refusal = _deal_for_page_change(request, deal_id)
    if refusal:
        return refusal
    line = selectors.deal_line_item_get(deal=deal, line_id=line_id)
    form = forms.LineItemForm(request.POST, prefix=f"line-{line.pk}", line=line)
    if not form.is_valid():
        return _invalid_line(request, deal, form, line=line)
    try:
        deal, line, old_version = services.deal_line_item_update(
            deal_id=deal.pk, line_id=line.pk, actor=request.user, **form.service_fields()
        )
    except services.DealError as error:
        return _line_refused(request, deal, error)
    return _line_items_response(
        request, deal.pk, message=_("“%(line)s” saved.") % {"line": line.label}, old_version=old_version
    )


@require_POST
def line_item_remove(request, deal_id, line_id):
    deal, refusal = _deal_for_page_change(request, deal_id)
    if refusal:
        return refusal
    line = selectors.deal_line_item_get(deal=deal, line_id=line_id)
    try:
        deal, old_version = services.deal_line_item_remove(deal_id=deal.pk, line_id=line.pk, actor=request.user)
    except services.DealError as error:
        return _line_refused(request, deal, error)
    return _line_items_response(
        request, deal.pk, message=_("“%(line)s” removed.") % {"line": line.label}, old_version=old_version
    )


@require_GET
def customer_options(request, deal_id):
    """`<option>`s for the deal form's organization or contact select (`kind`): what the
    search `q` finds among the customers the user sees, or the chosen organization's contacts."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    kind = request.GET.get("kind")
    text = request.GET.get("q", "")
    if kind == "organization":
        options = selectors.organization_options(user=request.user, text=text, current=deal.organization)
        selected = deal.organization_id
    elif kind == "contact":
        organization_id = request.GET.get("organization") or None
        if organization_id is not None and not str(organization_id).isdigit():
            organization_id = None
        options = selectors.contact_options(user=request.user, organization_id=organization_id, text=text)
        selected = deal.contact_id
    else:
        return HttpResponseBadRequest(_("Unknown kind of option."))
    return render(
        request, "deals/deal_detail.html#customer-options", {"options": options, "selected": selected, "kind": kind}
    )


def _customer_created(request, deal, *, organization=None, contact=None, message):
    try:
        deal, old_version = services.deal_customer_set(
            deal_id=deal.pk, actor=request.user, organization=organization, contact=contact
        )
    except services.DealError as error:
        return _line_refused(request, deal, error)
    if not request.htmx:
        messages.success(request, message)
        return redirect("deals:detail", deal.pk)
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal.pk)
    form = forms.DealEditForm(instance=deal, user=request.user)
    context = {
        "deal": deal,
        "form": form,
        "can_change": True,
        "organization_form": forms.InlineOrganizationForm(prefix="new_org"),
        "contact_form": forms.InlineContactForm(prefix="new_contact"),
        "message": message,
        "level": "success",
        "sync_version": request.POST.get("version") == str(old_version),
    }
    return render(request, "deals/deal_detail.html#customers-response", context)


def _invalid_customer(request, deal, *, organization_form=None, contact_form=None):
    message = _("Please correct the marked fields.")
    if request.htmx:
        context = {
            "deal": deal,
            "can_change": True,
            "organization_form": organization_form or forms.InlineOrganizationForm(prefix="new_org"),
            "contact_form": contact_form or forms.InlineContactForm(prefix="new_contact"),
            "message": message,
            "level": "error",
        }
        response = render(request, "deals/deal_detail.html#new-customers", context, status=400)
        return response
    messages.error(request, message)
    return _render_detail(request, deal, status=400, new_organization=organization_form, new_contact=contact_form)


@require_POST
def organization_new(request, deal_id):
    """Create an organization from the deal page (customers.services) and put it on the deal."""
    deal, refusal = _deal_for_page_change(request, deal_id)
    if refusal:
        return refusal
    form = forms.InlineOrganizationForm(request.POST, prefix="new_org")
    if not form.is_valid():
        return _invalid_customer(request, deal, organization_form=form)
    try:
        organization = customer_services.organization_create(actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _invalid_customer(request, deal, organization_form=form)
    return _customer_created(
        request,
        deal,
        organization=organization,
        message=_("Organization “%(name)s” created and set on this deal.") % {"name": organization.name},
    )


@require_POST
def contact_new(request, deal_id):
    """Create a contact at the deal's organization from the deal page and put it on the deal."""
    deal, refusal = _deal_for_page_change(request, deal_id)
    if refusal:
        return refusal
    form = forms.InlineContactForm(request.POST, prefix="new_contact")
    if not form.is_valid():
        return _invalid_customer(request, deal, contact_form=form)
    try:
        contact = customer_services.contact_create(
            actor=request.user, organization=deal.organization, **form.cleaned_data
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _invalid_customer(request, deal, contact_form=form)
    return _customer_created(
        request,
        deal,
        contact=contact,
        message=_("Contact “%(name)s” created and set on this deal.") % {"name": contact},
    )

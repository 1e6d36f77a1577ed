"""Reads of the import and export pages, scoped to the user.

An export reads the same scoped queryset and FilterSet as the list it is offered on (the
organization and contact lists, the board, "My activities"), without paging, in one query
with the relations its columns show (FETCH_RAISE: a lazy load fails in tests).
"""

from django.db import models
from django.http import Http404

from activities import selectors as activity_selectors
from activities.filters import ActivityFilter
from deals import selectors as deal_selectors
from directory import filters as directory_filters
from directory import selectors as directory_selectors
from transfer.models import ImportJob


def job_get_for_user(*, user, job_id):
    """An import of the user's own (nobody else's, admins' neither), or Http404."""
    try:
        return ImportJob.objects.get(pk=job_id, created_by=user)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


class InvalidFilter(Exception):
    """The export's filter parameters are not valid (the list would show nothing either)."""


def _filtered(filterset):
    if filterset.is_bound and not filterset.is_valid():
        raise InvalidFilter
    return filterset.qs


def export_queryset(*, user, record_type, params):
    """The records of `record_type` the user sees, filtered and sorted as the list with
    `params` shows them."""
    if record_type == "organizations":
        rows = directory_selectors.organization_rows(
            user=user, queryset=directory_selectors.organization_list_for_user(user=user)
        )
        queryset = _filtered(directory_filters.OrganizationFilter(params, queryset=rows, user=user))
        order = [*queryset.query.order_by, "name", "pk"]
    elif record_type == "contacts":
        rows = directory_selectors.contact_rows(
            user=user, queryset=directory_selectors.contact_list_for_user(user=user)
        )
        queryset = _filtered(directory_filters.ContactFilter(params, queryset=rows, user=user))
        order = [*queryset.query.order_by, "last_name", "first_name", "pk"]
    elif record_type == "deals":
        pipeline = params.get("pipeline") or None
        if pipeline is not None and not str(pipeline).isdigit():
            raise InvalidFilter
        filterset = deal_selectors.board_filter(user=user, pipeline=pipeline, data=params, with_choices=False)
        queryset = _filtered(filterset).select_related("pipeline", "stage", "owner", "organization", "contact")
        order = ["pipeline__order", "pipeline_id", "stage__order", "stage_id", "position", "pk"]
    elif record_type == "activities":
        base = activity_selectors.activity_list_for_user(user=user)
        filterset = ActivityFilter(params or None, queryset=base, user=user)
        queryset = _filtered(filterset)
        # As on "My activities": without an owner filter the list is the user's own.
        if not (filterset.is_bound and filterset.form.cleaned_data.get("owner") and filterset.owner_filter_enabled):
            queryset = queryset.filter(assignee=user)
        order = ["due_at", "pk"]
    else:
        raise Http404("No such record type.")
    return queryset.order_by(*order).fetch_mode(models.FETCH_RAISE)

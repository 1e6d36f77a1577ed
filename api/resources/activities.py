"""Activities: list (the activity list's filters), read, plan on a deal or a lead, edit, mark done,
reopen and postpone.

Reads go through `activities.selectors` (`activity_visible_q`: the assignee and whoever sees the
deal or lead), changes through `activities.services`, validated with the page's `ActivityForm`
and allowed as on the page (`activity_can_change`: the assignee and whoever may change the deal
or lead). Activities have no delete in the product, so the API has none either. The version is
the calendar's (`activities.calendar.activity_version`, the last change to the microsecond); an
edit that sends a stale one gets the calendar's 409."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from accounts import scoping
from activities import calendar, selectors, services
from activities import filters as activity_filters
from activities.forms import ActivityForm
from api import filtering
from api.pagination import CursorPagination
from api.resources._forms import form_or_422
from api.schemas import Ref, ref
from deals import selectors as deal_selectors
from events import representations
from leads import selectors as lead_selectors

router = Router(tags=["activities"])

MAX_ID = 2**31 - 1

_FilterQuery = filtering.query_schema(activity_filters.ActivityFilter, "ActivityFilterQuery")


class ActivityQuery(_FilterQuery):
    deal_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only the activities of this deal")
    lead_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only the activities of this lead")
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only the activities assigned to this user")
    done: bool | None = Field(None, description="true: only done activities; false: only open ones")


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    note: str
    due_at: datetime | None
    all_day: bool
    done_at: datetime | None
    is_overdue: bool
    outcome: str
    remind_before_minutes: int | None
    assignee: Ref
    deal: Ref | None
    lead: Ref | None
    created_at: datetime
    updated_at: datetime
    version: str = Field(description="Send it back with an edit: a stale one is answered 409")

    @staticmethod
    def resolve_assignee(activity):
        return ref(activity.assignee)

    @staticmethod
    def resolve_deal(activity):
        return ref(activity.deal) if activity.deal_id else None

    @staticmethod
    def resolve_lead(activity):
        return ref(activity.lead) if activity.lead_id else None

    @staticmethod
    def resolve_version(activity):
        return calendar.activity_version(activity)


_FILTER_NAMES = set(activity_filters.ActivityFilter.base_filters)


@router.get("/", response=list[ActivityOut], summary="List activities")
@paginate(CursorPagination, ordering=("-id",))
def activity_list(request: HttpRequest, query: Query[ActivityQuery]):
    """Every activity you may see, newest first: yours, and those of the deals and leads you see.
    `kind` and (managers and admins) `owner` filter as on "My activities"; `deal_id`, `lead_id`,
    `assignee_id` and `done` narrow further."""
    data = {name: value for name, value in filtering.filter_data(query).items() if name in _FILTER_NAMES}
    filterset = activity_filters.ActivityFilter(
        data or None, queryset=selectors.activity_list_for_user(user=request.user), user=request.user
    )
    queryset = filtering.checked(filterset)
    if query.deal_id is not None:
        queryset = queryset.filter(deal_id=query.deal_id)
    if query.lead_id is not None:
        queryset = queryset.filter(lead_id=query.lead_id)
    if query.assignee_id is not None:
        queryset = queryset.filter(assignee_id=query.assignee_id)
    if query.done is not None:
        queryset = queryset.filter(done_at__isnull=not query.done)
    return queryset.select_related("assignee", "deal", "lead")


@router.get("/{int:activity_id}", response=ActivityOut, summary="Read an activity")
def activity_read(request: HttpRequest, activity_id: int):
    """One activity you may see (404 otherwise)."""
    return selectors.activity_get_for_user(user=request.user, activity_id=activity_id)


class ActivityIn(Schema):
    kind: str = Field(..., max_length=20, description="call, email, meeting, task or follow_up")
    subject: str = Field(..., max_length=1000)
    due_at: datetime | None = None
    all_day: bool = False
    remind_before_minutes: int | None = Field(None, ge=0, le=MAX_ID, description="15, 60 or 1440; empty: default")
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="Empty: you")
    note: str = Field("", max_length=100_000)
    deal_id: int | None = Field(None, ge=1, le=MAX_ID)
    lead_id: int | None = Field(None, ge=1, le=MAX_ID)


class ActivityPatch(Schema):
    kind: str | None = Field(None, max_length=20)
    subject: str | None = Field(None, max_length=1000)
    due_at: datetime | None = None
    all_day: bool | None = None
    remind_before_minutes: int | None = Field(None, ge=0, le=MAX_ID)
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)
    note: str | None = Field(None, max_length=100_000)
    version: str | None = Field(None, max_length=64, description="The version you read; stale: 409")


def _form_data(values):
    """The API's fields as the page's form would post them."""
    data = {}
    for name, value in values.items():
        if name == "assignee_id":
            name = "assignee"
        if value is None:
            data[name] = ""
        elif isinstance(value, datetime):
            data[name] = value.isoformat()
        else:
            data[name] = value
    return data


@router.post("/", response={201: ActivityOut}, summary="Plan an activity on a deal or a lead")
def activity_create(request: HttpRequest, payload: ActivityIn):
    """Give exactly one of `deal_id` and `lead_id`. You need the right to change that deal or lead
    (403 otherwise; 404 when you do not see it). Validated as the activity form on the deal page."""
    if (payload.deal_id is None) == (payload.lead_id is None):
        raise ValidationError({"deal_id": [_("An activity belongs to exactly one deal or one lead.")]})
    deal = lead = None
    if payload.deal_id is not None:
        deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=payload.deal_id)
    else:
        lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=payload.lead_id)
    if not scoping.can_change_owned(request.user, (deal or lead).owner):
        raise PermissionDenied(_("You may look at this record but not plan activities on it."))
    values = payload.dict(exclude={"deal_id", "lead_id"})
    form = form_or_422(ActivityForm(_form_data(values), user=request.user))
    activity = services.activity_create(actor=request.user, deal=deal, lead=lead, **form.activity_fields())
    return Status(201, selectors.activity_get_for_user(user=request.user, activity_id=activity.pk))


def _changeable(request, activity_id):
    activity = selectors.activity_get_for_user(user=request.user, activity_id=activity_id)
    if not selectors.activity_can_change(user=request.user, activity=activity):
        raise PermissionDenied(_("You may look at this activity but not change it."))
    return activity


def _current_values(activity):
    return {
        "kind": activity.kind,
        "subject": activity.subject,
        "due_at": activity.due_at,
        "all_day": activity.all_day,
        "remind_before_minutes": activity.remind_before_minutes,
        "assignee_id": activity.assignee_id,
        "note": activity.note,
    }


@router.patch("/{int:activity_id}", response=ActivityOut, summary="Edit or reschedule an activity")
def activity_update(request: HttpRequest, activity_id: int, payload: ActivityPatch):
    """Only the fields you send change (`due_at: null` makes it undated). With `version`, a change
    made since you read it is answered 409 with `current_version`, as on the calendar."""
    activity = _changeable(request, activity_id)
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version", None)
    values = {**_current_values(activity), **sent}
    form = ActivityForm(_form_data(values), instance=activity, user=request.user)
    data = form_or_422(form).cleaned_data
    fields = {name: data[name] for name in ("kind", "subject", "due_at", "all_day", "remind_before_minutes", "note")}
    if data["assignee"] is not None:
        fields["assignee"] = data["assignee"]
    calendar.activity_update_at_version(activity_id=activity.pk, actor=request.user, version=version, **fields)
    return selectors.activity_get_for_user(user=request.user, activity_id=activity.pk)


@router.post("/{int:activity_id}/done", response=ActivityOut, summary="Mark an activity done")
def activity_done(request: HttpRequest, activity_id: int):
    """Idempotent: marking a done activity done again keeps its first done time."""
    activity = _changeable(request, activity_id)
    services.activity_complete(activity_id=activity.pk, actor=request.user)
    return selectors.activity_get_for_user(user=request.user, activity_id=activity.pk)


@router.post("/{int:activity_id}/reopen", response=ActivityOut, summary="Reopen a done activity")
def activity_reopen(request: HttpRequest, activity_id: int):
    """Undo "done" (an open activity stays as it is)."""
    activity = _changeable(request, activity_id)
    services.activity_reopen(activity_id=activity.pk, actor=request.user)
    return selectors.activity_get_for_user(user=request.user, activity_id=activity.pk)


@router.post("/{int:activity_id}/postpone", response=ActivityOut, summary="Postpone an activity to tomorrow")
def activity_postpone(request: HttpRequest, activity_id: int):
    """Tomorrow (your local date) at the same time of day, as the button on "My activities"."""
    activity = _changeable(request, activity_id)
    services.activity_postpone_to_tomorrow(activity_id=activity.pk, actor=request.user)
    return selectors.activity_get_for_user(user=request.user, activity_id=activity.pk)


def _represent(user, activity_id):
    activity = selectors.activity_get_for_user(user=user, activity_id=activity_id)
    return ActivityOut.from_orm(activity).model_dump(mode="json")


representations.register("activity", _represent)

"""Leads: list (the lead list's FilterSet), read (`?expand=organization,contact`), create,
update, status changes along the allowed transitions, and the conversion into a deal.

Reads go through `leads.selectors` (scoped as the pages), writes through `leads.services`
(validated with the page's `LeadForm` and `StatusForm`) and `deals.conversion.lead_convert`
(validated with the conversion page's form, whose proposals fill what the payload leaves out)."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from api import filtering
from api.pagination import CursorPagination
from api.resources._forms import Id, bound_form, duplicates_problem, expand, valid
from api.resources.organizations import OrganizationBrief
from api.schemas import Problem, Ref, patch_of, ref
from deals import conversion
from deals.conversion_views import ConvertLeadForm
from events import representations
from leads import filters, forms, selectors, services

router = Router(tags=["leads"])

LeadQuery = filtering.query_schema(filters.LeadFilter, "LeadQuery", exclude=("o",))
RENAMES = {"owner_id": "owner", "persona_id": "persona"}


class ContactBrief(Schema):
    """A contact as `?expand=contact` shows it on a lead."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str


class LeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    company_name: str
    message: str = Field(description="What the person wrote (the web form's message, or notes taken by hand).")
    source: str
    campaign: str
    industry: str
    size_band: str
    region: str
    decision_role: str
    persona: Ref | None
    owner: Ref | None
    status: str
    allowed_transitions: list[str] = Field(description="The statuses this lead may change to now.")
    disqualified_reason: str
    need: int
    budget: int
    authority: int
    timing: int
    score: int
    score_breakdown: dict
    email_consent: str
    last_touch_at: datetime | None
    status_changed_at: datetime
    converted_at: datetime | None
    organization: Ref | OrganizationBrief | None = Field(description="Set by the conversion; `?expand=organization`.")
    contact: Ref | ContactBrief | None = Field(description="Set by the conversion; `?expand=contact`.")
    deal: Ref | None = Field(description="The deal the lead was converted into.")
    tags: list[Ref]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_persona(lead):
        return ref(lead.persona)

    @staticmethod
    def resolve_owner(lead):
        return ref(lead.owner)

    @staticmethod
    def resolve_allowed_transitions(lead):
        return [status.value for status in services.allowed_transitions(lead)]

    @staticmethod
    def resolve_organization(lead, context=None):
        if lead.organization is None:
            return None
        return (
            OrganizationBrief.from_orm(lead.organization) if expand(context, "organization") else ref(lead.organization)
        )

    @staticmethod
    def resolve_contact(lead, context=None):
        if lead.contact is None:
            return None
        return ContactBrief.from_orm(lead.contact) if expand(context, "contact") else ref(lead.contact)

    @staticmethod
    def resolve_deal(lead):
        deal = getattr(lead, "deal", None)
        return ref(deal, deal.title) if deal is not None else None

    @staticmethod
    def resolve_tags(lead):
        return [ref(tag) for tag in lead.tags.all()]


class LeadIn(Schema):
    """As the page's form: the owner defaults to the caller (`owner_id`: someone the caller may
    hand leads to); the criteria need, budget, authority, timing run 0 (unknown) to 3 (high) and
    give the score. A lead with the e-mail or phone of an open lead answers 409 with those you
    see; send `create_anyway: true` to create it all the same."""

    last_name: str
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    source: str | None = None
    campaign: str | None = None
    industry: str | None = None
    size_band: str | None = None
    region: str | None = None
    decision_role: str | None = None
    persona_id: Id | None = None
    owner_id: Id | None = None
    need: int | None = Field(None, ge=0, le=3)
    budget: int | None = Field(None, ge=0, le=3)
    authority: int | None = Field(None, ge=0, le=3)
    timing: int | None = Field(None, ge=0, le=3)
    message: str | None = None
    create_anyway: bool = False


LeadPatch = patch_of(
    LeadIn, "LeadPatch", "Only the members sent change; the score follows the criteria.", exclude={"create_anyway"}
)


class StatusIn(Schema):
    to_status: str = Field(max_length=20)
    reason: str = Field("", description="Required to disqualify.")


class ConvertIn(Schema):
    """What the conversion page asks; a member left out takes the page's proposal (the default
    pipeline, the lead's owner, the company as title, the typical won value, 30 days out)."""

    pipeline_id: Id | None = None
    owner_id: Id | None = None
    value: str | None = Field(None, description='A decimal string, e.g. "12000.00".', max_length=30)
    title: str | None = None
    expected_close_date: date | None = None


class ConvertOut(Schema):
    deal: Ref
    organization: Ref
    contact: Ref | None
    lead: Ref


def _full(queryset):
    return queryset.select_related("contact", "deal").prefetch_related("tags")


def _read(user, lead_id):
    return _full(selectors.lead_list_for_user(user=user)).get(
        pk=selectors.lead_get_for_user(user=user, lead_id=lead_id).pk
    )


def _changeable(user, lead_id):
    """The lead (404 outside the scope) if the caller may change it (else 403), as the page."""
    lead = selectors.lead_get_for_user(user=user, lead_id=lead_id)
    if not services.can_change(user, lead):
        raise PermissionDenied(_("You may not change this lead."))
    return lead


def _service_fields(data):
    return {name: value for name, value in data.items() if name != "owner"}


@router.get("/", response=list[LeadOut], summary="List leads")
@paginate(CursorPagination, ordering=("-id",))
def lead_list(request: HttpRequest, query: Query[LeadQuery]):
    """The leads you see, newest first (a manager also sees the unassigned ones). Filters as on
    the lead list, e.g. `status=open`, `band=hot`, `source=web_form`, `unassigned=true`."""
    filterset = selectors.lead_filter_for_user(user=request.user, params=filtering.filter_data(query))
    return _full(filtering.checked(filterset))


@router.get("/{int:lead_id}", response=LeadOut, summary="Read a lead")
def lead_read(request: HttpRequest, lead_id: int):
    """One lead you see (404 otherwise); `?expand=organization,contact` after a conversion."""
    return _read(request.user, lead_id)


@router.post("/", response={201: LeadOut, 409: Problem}, summary="Create a lead")
def lead_create(request: HttpRequest, payload: LeadIn):
    """A new lead with its score and the first history row."""
    fields = payload.dict(exclude_unset=True)
    create_anyway = fields.pop("create_anyway", False)
    form = bound_form(forms.LeadForm, fields, renames=RENAMES, user=request.user)
    data = valid(form, renames=RENAMES)
    if not create_anyway:
        found = selectors.lead_duplicates_for_user(user=request.user, email=data["email"], phone=data["phone"])
        if found:
            return duplicates_problem(found)
    lead = services.lead_create(actor=request.user, owner=data["owner"], **_service_fields(data))
    return Status(201, _read(request.user, lead.pk))


@router.patch("/{int:lead_id}", response=LeadOut, summary="Change a lead")
def lead_update(request: HttpRequest, lead_id: int, payload: LeadPatch):
    """The owner, the owner's manager and admins may change a lead (403 for others who see it);
    a converted lead is closed (400)."""
    lead = _changeable(request.user, lead_id)
    form = bound_form(
        forms.LeadForm, payload.dict(exclude_unset=True), renames=RENAMES, instance=lead, user=request.user
    )
    data = valid(form, renames=RENAMES)
    services.lead_update(lead_id=lead_id, actor=request.user, owner=data["owner"], **_service_fields(data))
    return _read(request.user, lead_id)


@router.post("/{int:lead_id}/status", response=LeadOut, summary="Change a lead's status")
def lead_status(request: HttpRequest, lead_id: int, payload: StatusIn):
    """Along the allowed transitions (the lead's `allowed_transitions`): new → contacted or
    disqualified; contacted → nurturing, qualified or disqualified; nurturing → contacted,
    qualified or disqualified; qualified → nurturing or disqualified; disqualified → nurturing.
    Disqualifying needs a `reason`. "converted" only through `/convert`. A refused move is 400."""
    lead = _changeable(request.user, lead_id)
    form = forms.StatusForm(payload.dict(), choices=list(lead.Status))
    data = valid(form)
    services.lead_change_status(lead_id=lead.pk, actor=request.user, to_status=data["to_status"], reason=data["reason"])
    return _read(request.user, lead_id)


@router.post("/{int:lead_id}/convert", response={201: ConvertOut, 409: Problem}, summary="Convert a lead into a deal")
def lead_convert(request: HttpRequest, lead_id: int, payload: ConvertIn):
    """An open lead becomes an organization (matched by name or e-mail domain, or created), a
    contact and an open deal in the first stage of the pipeline, in one transaction. A lead
    already converted or disqualified is refused (409, nothing saved); 403 for who may not
    change the lead or give the deal to that owner."""
    lead = _changeable(request.user, lead_id)
    renames = {"pipeline_id": "pipeline", "owner_id": "owner"}
    form = bound_form(ConvertLeadForm, payload.dict(exclude_unset=True), renames=renames, user=request.user, lead=lead)
    data = valid(form, renames=renames)
    deal = conversion.lead_convert(
        lead_id=lead.pk,
        actor=request.user,
        pipeline_id=data["pipeline"].pk,
        owner=data["owner"],
        value=data["value"],
        title=data["title"],
        expected_close_date=data["expected_close_date"],
    )
    return Status(
        201,
        {
            "deal": ref(deal, deal.title),
            "organization": ref(deal.organization),
            "contact": ref(deal.contact),
            "lead": ref(lead),
        },
    )


def _represent(user, lead_id):
    return LeadOut.from_orm(_read(user, lead_id)).model_dump(mode="json")


representations.register("lead", _represent)

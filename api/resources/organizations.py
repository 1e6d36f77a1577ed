"""Organizations: list (the organization list's filters), read, create, update, delete into the
trash and restore from it.

Reads go through `directory.selectors` (scoped as the pages), writes through
`customers.services`, validated with the page's `directory.forms.OrganizationForm`."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from api import filtering
from api.pagination import CursorPagination
from api.resources._forms import Id, TrashedOut, bound_form, duplicates_problem, refused, valid
from api.schemas import Money, Problem, Ref, money, patch_of, ref
from customers import services
from directory import duplicates, filters, forms, selectors
from events import representations

router = Router(tags=["organizations"])

# `o` (the page's sort) is left out: a cursor needs one fixed order, newest first.
OrganizationQuery = filtering.query_schema(filters.OrganizationFilter, "OrganizationQuery", exclude=("o",))
RENAMES = {"owner_id": "owner"}


class OrganizationOut(Schema):
    id: int
    name: str
    industry: str
    size_band: str
    region: str
    website: str
    email_domain: str
    phone: str
    vat_id: str
    street: str
    postal_code: str
    city: str
    country: str
    owner: Ref | None
    tags: list[Ref]
    open_deals: int
    open_value: Money
    last_activity: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_owner(organization):
        return ref(organization.owner)

    @staticmethod
    def resolve_tags(organization):
        return [ref(tag) for tag in organization.tags.all()]

    @staticmethod
    def resolve_open_value(organization):
        return money(getattr(organization, "open_value", None) or Decimal(0))


class OrganizationBrief(Schema):
    """An organization as `?expand=organization` shows it on another record."""

    id: int
    name: str
    industry: str
    size_band: str
    region: str
    website: str
    email_domain: str
    phone: str
    city: str
    country: str


class OrganizationIn(Schema):
    """As the page's form: the name's spaces are tidied, a phone number is read in the
    installation's country unless written with + and the country code and stored in E.164, the
    VAT ID starts with the country code, the country is a two-letter code. A new organization
    belongs to the caller unless `owner_id` names someone the caller may hand records to."""

    name: str
    industry: str | None = None
    size_band: str | None = None
    region: str | None = None
    website: str | None = None
    email_domain: str | None = None
    phone: str | None = None
    vat_id: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    owner_id: Id | None = None
    create_anyway: bool = False


OrganizationPatch = patch_of(
    OrganizationIn,
    "OrganizationPatch",
    "Only the members sent change; the others keep their values.",
    exclude={"create_anyway"},
)


def _rows(user):
    return selectors.organization_rows(user=user, queryset=selectors.organization_list_for_user(user=user))


def _read(user, organization_id):
    """The organization as the list shows it (with its figures), or Http404."""
    organization = selectors.organization_get_for_user(user=user, organization_id=organization_id)
    return _rows(user).prefetch_related("tags").get(pk=organization.pk)


@router.get("/", response=list[OrganizationOut], summary="List organizations")
@paginate(CursorPagination, ordering=("-id",))
def organization_list(request: HttpRequest, query: Query[OrganizationQuery]):
    """The organizations you see, newest first, with the list's figures (open deals and their
    value, last done activity: over the deals and leads you see). Filters as on the list."""
    filterset = filters.OrganizationFilter(
        filtering.filter_data(query), queryset=_rows(request.user), user=request.user
    )
    return filtering.checked(filterset).prefetch_related("tags")


@router.get("/trash", response=list[TrashedOut], summary="List the organizations in the trash")
@paginate(CursorPagination, ordering=("-id",))
def organization_trash(request: HttpRequest):
    """What you deleted or may restore (records of owners whose records you may change; admins:
    all), as the trash page lists them. Restorable for 30 days after the deletion."""
    return selectors.organization_trash_for_user(user=request.user)


@router.get("/{int:organization_id}", response=OrganizationOut, summary="Read an organization")
def organization_read(request: HttpRequest, organization_id: int):
    """One organization you see (404 otherwise)."""
    return _read(request.user, organization_id)


@router.post("/", response={201: OrganizationOut, 409: Problem}, summary="Create an organization")
def organization_create(request: HttpRequest, payload: OrganizationIn):
    """Likely duplicates (same name key, domain or VAT ID) answer 409 with those you see, as the
    page does; send `create_anyway: true` to create it all the same."""
    fields = payload.dict(exclude_unset=True)
    create_anyway = fields.pop("create_anyway", False)
    form = bound_form(forms.OrganizationForm, fields, renames=RENAMES, user=request.user)
    data = valid(form, renames=RENAMES)
    if not create_anyway:
        found = duplicates.organization_duplicate_candidates(
            user=request.user,
            name=data["name"],
            website=data["website"],
            email_domain=data["email_domain"],
            vat_id=data["vat_id"],
        )
        if found:
            return duplicates_problem(found)
    organization = services.organization_create(actor=request.user, **data)
    return Status(201, _read(request.user, organization.pk))


@router.patch("/{int:organization_id}", response=OrganizationOut, summary="Change an organization")
def organization_update(request: HttpRequest, organization_id: int, payload: OrganizationPatch):
    """As the page's edit form: whoever sees the organization may change its facts; a new owner
    only as you may hand records over (403 otherwise)."""
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    form = bound_form(
        forms.OrganizationForm,
        payload.dict(exclude_unset=True),
        renames=RENAMES,
        instance=organization,
        user=request.user,
    )
    data = valid(form, renames=RENAMES)
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    services.organization_update(actor=request.user, organization=organization, **data)
    return _read(request.user, organization_id)


@router.delete("/{int:organization_id}", response={204: None, 409: Problem}, summary="Delete an organization")
def organization_delete(request: HttpRequest, organization_id: int):
    """Into the trash with the contacts that belong to it, restorable for 30 days. Refused (409,
    with the reason) while deals or leads point at it or at one of its contacts; 403 for who
    may not delete it (the owner, the owner's manager and admins may)."""
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    try:
        services.organization_delete(actor=request.user, organization=organization)
    except ValidationError as error:
        return refused(error)
    return Status(204, None)


@router.post(
    "/{int:organization_id}/restore", response={200: OrganizationOut, 409: Problem}, summary="Restore an organization"
)
def organization_restore(request: HttpRequest, organization_id: int):
    """Out of the trash, with the contacts deleted with it (within 30 days; 404 for what is not
    in the trash you may restore from)."""
    organization = selectors.organization_trashed_get_for_user(user=request.user, organization_id=organization_id)
    try:
        services.organization_restore(actor=request.user, organization=organization)
    except ValidationError as error:
        return refused(error)
    return _read(request.user, organization_id)


def _represent(user, organization_id):
    return OrganizationOut.from_orm(_read(user, organization_id)).model_dump(mode="json")


representations.register("organization", _represent)

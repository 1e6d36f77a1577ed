"""Contacts: list (the contact list's filters), read (`?expand=organization`), create, update
(with the further e-mail addresses and phone numbers), delete into the trash and restore.

Reads go through `directory.selectors` (scoped as the pages), writes through
`customers.services`, validated with the page's `directory.forms.ContactForm` and its
further-addresses formset (`ChannelForm`)."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from api import filtering
from api.pagination import CursorPagination
from api.resources._forms import Id, TrashedOut, bound_form, duplicates_problem, expand, refused, valid
from api.resources.organizations import OrganizationBrief
from api.schemas import Problem, Ref, patch_of, ref
from customers import services
from customers.models import ContactChannel
from directory import duplicates, filters, forms, selectors
from events import representations

router = Router(tags=["contacts"])

ContactQuery = filtering.query_schema(filters.ContactFilter, "ContactQuery", exclude=("o",))
RENAMES = {"owner_id": "owner"}


class Channel(Schema):
    """A further e-mail address or phone number (the main ones are `email` and `phone`)."""

    kind: Literal["email", "phone"]
    label: Literal["work", "mobile", "private", "other"] = "work"
    value: str = Field(max_length=254)


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    organization: Ref | OrganizationBrief | None = Field(
        description="{id, name}; the organization's facts with `?expand=organization`."
    )
    email: str
    phone: str
    channels: list[Channel]
    job_title: str
    decision_role: str
    language: str
    email_consent: str
    owner: Ref | None
    tags: list[Ref]
    open_deals: int
    last_activity: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_organization(contact, context=None):
        if contact.organization is None:
            return None
        if expand(context, "organization"):
            return OrganizationBrief.from_orm(contact.organization)
        return ref(contact.organization)

    @staticmethod
    def resolve_channels(contact):
        return [{"kind": c.kind, "label": c.label, "value": c.value} for c in contact.channels.all()]

    @staticmethod
    def resolve_owner(contact):
        return ref(contact.owner)

    @staticmethod
    def resolve_tags(contact):
        return [ref(tag) for tag in contact.tags.all()]


class ContactIn(Schema):
    """As the page's form: the organization by id (one you see) or by its name (looked up among
    those you see, as the form does); main and further phone numbers are read in the
    installation's country unless written with + and the country code, and stored in E.164.
    `channels` replaces the further addresses and numbers (empty values are dropped)."""

    first_name: str | None = None
    last_name: str
    organization_id: Id | None = None
    organization: str | None = Field(None, description="The organization's name, instead of organization_id.")
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    decision_role: str | None = None
    owner_id: Id | None = None
    channels: list[Channel] | None = Field(None, max_length=20)
    create_anyway: bool = False


ContactPatch = patch_of(
    ContactIn,
    "ContactPatch",
    "Only the members sent change; `channels`, when sent, replaces the further ones; "
    "`organization_id: null` takes the contact out of its organization.",
    exclude={"create_anyway"},
)


def _rows(user):
    return selectors.contact_rows(user=user, queryset=selectors.contact_list_for_user(user=user))


def _read(user, contact_id):
    contact = selectors.contact_get_for_user(user=user, contact_id=contact_id)
    return _rows(user).prefetch_related("tags", "channels").get(pk=contact.pk)


def _organization_fields(user, fields):
    """`organization_id` → the form's organization name and id (the form resolves it among the
    organizations the caller sees); an organization the caller does not see is a field error."""
    if "organization_id" not in fields:
        return fields
    organization_id = fields.pop("organization_id")
    if organization_id is None:
        fields.setdefault("organization", "")
        return fields
    try:
        organization = selectors.organization_get_for_user(user=user, organization_id=organization_id)
    except Http404:
        raise ValidationError({"organization_id": [_("You see no organization with this id.")]}) from None
    fields["organization"] = organization.name
    fields["organization_id"] = organization.pk
    return fields


def _channels(channels):
    """The further addresses as the page's formset validates them: (kind, label, value) rows."""
    data = {
        "channels-TOTAL_FORMS": str(len(channels)),
        "channels-INITIAL_FORMS": "0",
        "channels-MIN_NUM_FORMS": "0",
        "channels-MAX_NUM_FORMS": "20",
    }
    for index, channel in enumerate(channels):
        for name in ("kind", "label", "value"):
            data[f"channels-{index}-{name}"] = (
                getattr(channel, name) if not isinstance(channel, dict) else channel[name]
            )
    formset = forms.channel_formset(data)
    if not formset.is_valid():
        problems = {}
        for index, row_errors in enumerate(formset.errors):
            for name, messages in row_errors.items():
                problems[f"channels.{index}.{name}"] = list(messages)
        if formset.non_form_errors():
            problems["channels"] = list(formset.non_form_errors())
        raise ValidationError(problems)
    return forms.channels_of(formset)


def _validated(request, payload, **form_kwargs):
    fields = payload.dict(exclude_unset=True)
    fields.pop("create_anyway", None)
    channels = payload.channels if fields.pop("channels", None) is not None else None
    fields = _organization_fields(request.user, fields)
    form = bound_form(forms.ContactForm, fields, renames=RENAMES, user=request.user, **form_kwargs)
    data = valid(form, renames=RENAMES)
    return data, (None if channels is None else _channels(channels))


@router.get("/", response=list[ContactOut], summary="List contacts")
@paginate(CursorPagination, ordering=("-id",))
def contact_list(request: HttpRequest, query: Query[ContactQuery]):
    """The contacts you see, newest first, with the list's figures (open deals, last done
    activity: over the deals and leads you see). Filters as on the list; `?expand=organization`
    gives each contact's organization."""
    filterset = filters.ContactFilter(filtering.filter_data(query), queryset=_rows(request.user), user=request.user)
    return filtering.checked(filterset).prefetch_related("tags", "channels")


@router.get("/trash", response=list[TrashedOut], summary="List the contacts in the trash")
@paginate(CursorPagination, ordering=("-id",))
def contact_trash(request: HttpRequest):
    """What you deleted or may restore (records of owners whose records you may change; admins:
    all), as the trash page lists them. Restorable for 30 days after the deletion."""
    return selectors.contact_trash_for_user(user=request.user)


@router.get("/{int:contact_id}", response=ContactOut, summary="Read a contact")
def contact_read(request: HttpRequest, contact_id: int):
    """One contact you see (404 otherwise); `?expand=organization` gives its organization."""
    return _read(request.user, contact_id)


@router.post("/", response={201: ContactOut, 409: Problem}, summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactIn):
    """Contacts with one of the e-mail addresses or phone numbers answer 409 with those you see,
    as the page does; send `create_anyway: true` to create it all the same."""
    data, channels = _validated(request, payload)
    if not payload.create_anyway:
        channels_typed = channels or []
        found = duplicates.contact_duplicate_candidates(
            user=request.user,
            email=data["email"],
            phone=data["phone"],
            emails=[value for kind, _label, value in channels_typed if kind == ContactChannel.Kind.EMAIL],
            phones=[value for kind, _label, value in channels_typed if kind == ContactChannel.Kind.PHONE],
        )
        if found:
            return duplicates_problem(found)
    contact = services.contact_create(actor=request.user, channels=channels, **data)
    return Status(201, _read(request.user, contact.pk))


@router.patch("/{int:contact_id}", response=ContactOut, summary="Change a contact")
def contact_update(request: HttpRequest, contact_id: int, payload: ContactPatch):
    """As the page's edit form: whoever sees the contact may change it; a new owner only as you
    may hand records over (403 otherwise). A new organization is recorded as a move."""
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    data, channels = _validated(request, payload, instance=contact)
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    services.contact_update(actor=request.user, contact=contact, channels=channels, **data)
    return _read(request.user, contact_id)


@router.delete("/{int:contact_id}", response={204: None, 409: Problem}, summary="Delete a contact")
def contact_delete(request: HttpRequest, contact_id: int):
    """Into the trash, restorable for 30 days. Refused (409, with the reason) while deals or
    leads point at it; 403 for who may not delete it."""
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    try:
        services.contact_delete(actor=request.user, contact=contact)
    except ValidationError as error:
        return refused(error)
    return Status(204, None)


@router.post("/{int:contact_id}/restore", response={200: ContactOut, 409: Problem}, summary="Restore a contact")
def contact_restore(request: HttpRequest, contact_id: int):
    """Out of the trash (within 30 days; 404 for what is not in the trash you may restore from)."""
    contact = selectors.contact_trashed_get_for_user(user=request.user, contact_id=contact_id)
    try:
        services.contact_restore(actor=request.user, contact=contact)
    except ValidationError as error:
        return refused(error)
    return _read(request.user, contact_id)


def _represent(user, contact_id):
    return ContactOut.from_orm(_read(user, contact_id)).model_dump(mode="json")


representations.register("contact", _represent)

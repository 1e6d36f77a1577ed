"""Webhook subscriptions: list, create (the signing secret is in the answer), read, update,
delete, the secret (read and rotate), re-enable, and the delivery log.

Your own subscriptions; an admin's list and reads cover everyone's (`webhooks.selectors`).
Writes go through `webhooks.services`, validated with the page's form so the messages are
the same. A target in a private network is refused (422) unless an admin allows it
(`allow_private_network`, which anyone else gets a 403 for)."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from api.pagination import CursorPagination
from api.schemas import Ref, ref
from events.models import EventType
from webhooks import selectors, services
from webhooks.forms import SubscriptionForm

router = Router(tags=["webhooks"])


class SubscriptionOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    owner: Ref
    allow_private_network: bool
    status: Literal["active", "failing", "disabled"] = Field(
        description="active; failing (deliveries fail, disabled after 24 hours of it); disabled"
    )
    is_active: bool
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_owner(subscription):
        return ref(subscription.owner)

    @staticmethod
    def resolve_status(subscription):
        return selectors.subscription_status(subscription)


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="The signing secret (whsec_…); also from GET /webhooks/{id}/secret.")


class SecretOut(Schema):
    secret: str


EventName = Literal[tuple(EventType.values)]


class SubscriptionIn(Schema):
    url: str = Field(max_length=2000, description="http(s) URL in a public network")
    events: list[EventName] = Field(min_length=1, max_length=len(EventType.values) * 2)
    description: str = Field("", max_length=2000)
    allow_private_network: bool = Field(
        False, description="Admins only: allow a private, loopback or link-local target"
    )


class SubscriptionPatch(Schema):
    url: str | None = Field(None, max_length=2000)
    events: list[EventName] | None = Field(None, min_length=1, max_length=len(EventType.values) * 2)
    description: str | None = Field(None, max_length=2000)
    allow_private_network: bool | None = None


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    response_ms: int | None
    error: str


class EventOut(Schema):
    id: str
    type: str
    occurred_at: datetime
    subject_type: str
    subject_id: int

    @staticmethod
    def resolve_id(event):
        return str(event.pk)


class DeliveryOut(Schema):
    id: int
    event: EventOut
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_response_ms: int | None
    last_error: str | None
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_next_attempt_at(delivery):
        return delivery.next_attempt_at if delivery.status == "pending" else None

    @staticmethod
    def resolve_attempt_log(delivery):
        return list(delivery.attempt_log.all())


def _validated(user, data):
    """The page's form over `data`: its cleaned values for the service, or a 422 with its messages."""
    form = SubscriptionForm(data, user=user)
    if not form.is_valid():
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    return form.service_kwargs()


def _form_data(payload):
    data = payload.dict()
    data.pop("allow_private_network", None)  # the service decides who may set it (403, not a form error)
    return data


@router.get("/", response=list[SubscriptionOut], summary="List webhook subscriptions")
@paginate(CursorPagination, ordering=("-id",))
def subscription_list(request: HttpRequest):
    """Your subscriptions, newest first; an admin gets everyone's."""
    return selectors.subscription_list_for_user(user=request.user)


@router.post("/", response={201: SubscriptionCreated}, summary="Subscribe a URL to events")
def subscription_create(request: HttpRequest, payload: SubscriptionIn, response: HttpResponse):
    """The URL must be http(s) and resolve to public addresses only (422 otherwise), unless an
    admin sets `allow_private_network`. The answer holds the signing `secret`."""
    kwargs = _validated(request.user, _form_data(payload))
    kwargs.pop("allow_private_network", None)
    subscription, secret = services.subscription_create(
        actor=request.user, allow_private_network=payload.allow_private_network, **kwargs
    )
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription.pk)
    subscription.secret = secret  # shown in this answer (and from …/secret), never stored in clear
    response["Cache-Control"] = "no-store"
    return Status(201, subscription)


@router.get("/{int:subscription_id}", response=SubscriptionOut, summary="Read a webhook subscription")
def subscription_read(request: HttpRequest, subscription_id: int):
    """404 for a subscription that is not yours (an admin reads every one)."""
    return selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)


@router.patch("/{int:subscription_id}", response=SubscriptionOut, summary="Change a webhook subscription")
def subscription_update(request: HttpRequest, subscription_id: int, payload: SubscriptionPatch):
    """Change what is given. A changed URL is checked again; when anyone but an admin changes
    it, an admin's private-network allowance is dropped."""
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    given = payload.dict(exclude_unset=True)
    if any(value is None for value in given.values()):
        raise ValidationError(
            {name: [_("This field may not be null.")] for name, value in given.items() if value is None}
        )
    data = {**SubscriptionForm.data_of(subscription), **given}
    data.pop("allow_private_network", None)
    kwargs = _validated(request.user, data)
    kwargs.pop("allow_private_network", None)
    kwargs = {name: value for name, value in kwargs.items() if name in given}
    if "allow_private_network" in given:
        kwargs["allow_private_network"] = given["allow_private_network"]
    services.subscription_update(actor=request.user, subscription_id=subscription.pk, **kwargs)
    return selectors.subscription_get_for_user(user=request.user, subscription_id=subscription.pk)


@router.delete("/{int:subscription_id}", response={204: None}, summary="Delete a webhook subscription")
def subscription_delete(request: HttpRequest, subscription_id: int):
    """Deletes its delivery log too; pending deliveries are not sent."""
    services.subscription_delete(actor=request.user, subscription_id=subscription_id)
    return Status(204, None)


@router.get("/{int:subscription_id}/secret", response=SecretOut, summary="Read the signing secret")
def subscription_secret(request: HttpRequest, subscription_id: int, response: HttpResponse):
    """The secret that signs the deliveries (HMAC-SHA256 over timestamp and body)."""
    response["Cache-Control"] = "no-store"
    return {"secret": services.secret_reveal(actor=request.user, subscription_id=subscription_id)}


@router.post("/{int:subscription_id}/secret/rotate", response=SecretOut, summary="Rotate the signing secret")
def subscription_secret_rotate(request: HttpRequest, subscription_id: int, response: HttpResponse):
    """A new secret, in force at once: the old one signs nothing more."""
    response["Cache-Control"] = "no-store"
    return {"secret": services.secret_rotate(actor=request.user, subscription_id=subscription_id)}


@router.post("/{int:subscription_id}/enable", response=SubscriptionOut, summary="Enable a disabled subscription")
def subscription_enable(request: HttpRequest, subscription_id: int):
    """After it was disabled (24 hours of failures): active again, the failure clock reset.
    The URL is checked again first (422 if it is no longer allowed)."""
    services.subscription_enable(actor=request.user, subscription_id=subscription_id)
    return selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)


@router.get("/{int:subscription_id}/deliveries", response=list[DeliveryOut], summary="The subscription's delivery log")
@paginate(CursorPagination, ordering=("-id",))
def subscription_deliveries(request: HttpRequest, subscription_id: int):
    """Its deliveries, newest first: status, attempts with HTTP status and response time (ms)."""
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    return selectors.delivery_log(subscription=subscription).prefetch_related("attempt_log")

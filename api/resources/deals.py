"""Deals: list (the board's and deal list's filters), read, and the move with its version.

Reads go through `deals.selectors` (scoped to the caller), writes through `deals.services`,
exactly as the board and the deal page do."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from api import filtering, representations
from api.pagination import CursorPagination
from api.schemas import Money, Ref, money, ref
from deals import filters as deal_filters
from deals import selectors, services

router = Router(tags=["deals"])

DealQuery = filtering.query_schema(deal_filters.BoardFilter, "DealQuery")


class DealOut(Schema):
    id: int
    title: str
    status: str
    pipeline: Ref
    stage: Ref
    owner: Ref
    organization: Ref | None
    contact: Ref | None
    value: Money
    probability: int | None
    expected_close_date: date | None
    won_at: datetime | None
    lost_at: datetime | None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_pipeline(deal):
        return ref(deal.pipeline)

    @staticmethod
    def resolve_stage(deal):
        return ref(deal.stage)

    @staticmethod
    def resolve_owner(deal):
        return ref(deal.owner)

    @staticmethod
    def resolve_organization(deal):
        return ref(deal.organization)

    @staticmethod
    def resolve_contact(deal):
        return ref(deal.contact)

    @staticmethod
    def resolve_value(deal):
        return money(deal.value)


@router.get("/", response=list[DealOut], summary="List deals")
@paginate(CursorPagination, ordering=("-id",))
def deal_list(request: HttpRequest, query: Query[DealQuery]):
    """The deals you may see, newest first. Filters as on the board (`status` defaults to open;
    `status=all` for every deal)."""
    filterset = selectors.board_filter(
        user=request.user, pipeline=None, data=filtering.filter_data(query), with_choices=False
    )
    return filtering.checked(filterset).select_related("stage", "pipeline", "owner", "organization", "contact")


@router.get("/{int:deal_id}", response=DealOut, summary="Read a deal")
def deal_read(request: HttpRequest, deal_id: int):
    """One deal you may see (a deal outside your scope is a 404)."""
    return selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)


class MoveIn(Schema):
    stage_id: int
    version: int
    after_id: int | None = None
    before_id: int | None = None


@router.post("/{int:deal_id}/move", response=DealOut, summary="Move a deal to another stage")
def deal_move(request: HttpRequest, deal_id: int, payload: MoveIn):
    """As a drag on the board: 409 with `current_version` when the deal changed since `version`."""
    services.deal_move(
        deal_id=deal_id,
        stage_id=payload.stage_id,
        version=payload.version,
        actor=request.user,
        after_id=payload.after_id,
        before_id=payload.before_id,
    )
    return selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)


def _represent(user, deal_id):
    deal = selectors.deal_detail_for_user(user=user, deal_id=deal_id)
    return DealOut.from_orm(deal).model_dump(mode="json")


representations.register("deal", _represent)

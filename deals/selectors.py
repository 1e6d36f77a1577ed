"""Reads of deals, always scoped to the user (DESIGN §5).

The board is read in a fixed number of queries whatever the number of deals:
one for the pipelines, one for the stages with their column totals (from the summary table
kept by triggers, or SQL aggregates over the filtered deals for filters it cannot answer),
one for the first page of cards of every column.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection, models
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext

from accounts import scoping
from accounts.models import User
from customers.models import Contact, Organization
from deals import filters, quote_signal, summary
from deals.models import (
    Deal,
    DealProduct,
    LostReason,
    Pipeline,
    PriceList,
    PriceListPrice,
    Product,
    Stage,
    StageHealth,
    StageOwnerLoad,
)
from leads import selectors as lead_selectors

CARDS_PER_PAGE = 25
MONEY = DecimalField(max_digits=20, decimal_places=2)


def deal_list_for_user(*, user):
    """The deals `user` may see, with the relations a card or row shows."""
    return Deal.objects.filter(scoping.visible_owner_q(user)).select_related(
        "stage", "pipeline", "owner", "organization"
    )


def deal_get_for_user(*, user, deal_id):
    """One visible deal, or Http404 so that a deal outside the scope is not revealed."""
    try:
        return deal_list_for_user(user=user).get(pk=deal_id)
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal.") from None


def deal_detail_for_user(*, user, deal_id):
    """A visible deal for its detail page, with what the header and the edit form show."""
    try:
        return (
            deal_list_for_user(user=user)
            .select_related(
                "contact", "lost_reason", "lost_from_stage", "updated_by", "stage__health", "origin", "owner__team"
            )
            .get(pk=deal_id)
        )
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal.") from None


def pipeline_list():
    return Pipeline.objects.filter(is_active=True)


def pipeline_get_default():
    """The default pipeline, else the first active one, else None on an empty installation."""
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "id").first()


def stage_list(*, pipeline):
    return Stage.objects.filter(pipeline=pipeline).order_by("order", "id")


def open_deals_q():
    return Q(status=Deal.Status.OPEN)


def board_pipelines(*, pipeline_id=None):
    """(active pipelines, the chosen one) in one query; 404 for an unknown or inactive pipeline."""
    pipelines = list(pipeline_list().order_by("-is_default", "order", "id"))
    if pipeline_id is None:
        return sorted(pipelines, key=lambda p: (p.order, p.pk)), (pipelines[0] if pipelines else None)
    chosen = next((p for p in pipelines if p.pk == pipeline_id), None)
    if chosen is None:
        raise Http404("No such pipeline.")
    return sorted(pipelines, key=lambda p: (p.order, p.pk)), chosen


def board_filter(*, user, pipeline, data, with_choices=True):
    """The board's FilterSet over the deals of `pipeline` (an id; None: every pipeline, for
    the stage-correlated totals) that `user` may see.

    `with_choices=False` skips the owner-choices query (the poll and the mutations do not
    render the form; an owner id only narrows an already scoped queryset)."""
    base = Deal.objects.filter(scoping.visible_owner_q(user))
    if pipeline is not None:
        base = base.filter(pipeline=pipeline)
    return filters.BoardFilter(data, queryset=base, user=user, with_choices=with_choices)


@dataclass
class Column:
    stage: Stage
    count: int
    total: Decimal
    weighted: Decimal
    # The column's change token from the summary ("" when no summary row is in the selection).
    token: str = ""
    cards: list = field(default_factory=list)
    has_more: bool = False
    bottleneck: object = None
    # Open deals shown: a won/lost (or all) view shows no weighted value (probability means
    # nothing for a closed deal).
    open_view: bool = True

    @property
    def signature(self):
        """What changes whenever a card of the column changes (move, edit, new activity)."""
        return self.token or "0-0"

    @property
    def cursor(self):
        last = self.cards[-1] if self.cards else None
        return cursor_encode(last) if last else ""


def cursor_encode(deal):
    return f"{deal.position!r}_{deal.pk}"


def cursor_decode(value):
    """(position, id) from a 'load more' cursor, or None for junk."""
    try:
        position, pk = value.split("_")
        return float(position), int(pk)
    except (AttributeError, ValueError):
        return None


def _with_totals(stages, filterset, shown=None):
    """Annotate each stage with `summary`: its count / sum / weighted parts / change counter
    from the per-(stage, owner, status) summary (deals.summary; O(owners in scope) rows per
    column, never the deals); `deal_totals`: the same numbers as an aggregate over the
    filtered deals, only when the filters are ones the summary cannot answer (segment,
    product, text, close dates); for open deals, the number of filtered deals older than the
    stage's age limit, from an index-only range on `deal_column_age`: with the summary's
    exact count, `young` counts the deals entered since the cutoff (old = count - young: the
    young ones are bounded by the column's inflow over the age limit, the old ones pile up
    with the history), else `old` counts the old deals themselves. Also `owner_load`: the pile-up baseline of the owners the selection
    shows (None when the filters are not ones the snapshots keep). With `shown` (a Q on the
    stage) only the stages it matches are aggregated."""
    deals = filterset.qs
    expressions = {"summary": summary.stage_totals(filterset)}
    answered = summary.answers(filterset)
    if not answered:
        # The outer row is the deal's stage, so its probability needs no join.
        weighted = Sum(F("value") * Coalesce("probability", OuterRef("probability"))) / Value(100)
        totals = JSONObject(
            n=Count("pk"),
            total=Cast(Sum("value"), models.CharField()),
            weighted=Cast(weighted, models.CharField()),
        )
        expressions["deal_totals"] = Subquery(
            deals.filter(stage_id=OuterRef("pk")).order_by().values("stage_id").annotate(x=totals).values("x"),
            output_field=models.JSONField(),
        )
    if filterset.shows_open_deals:
        if answered:
            name, age = "young", Q(stage_entered_at__gte=OuterRef("age_cutoff"))
        else:
            name, age = "old", Q(stage_entered_at__lt=OuterRef("age_cutoff"))
        count = (
            deals.filter(age, stage_id=OuterRef("pk"))
            .order_by()
            .values("stage_id")
            .annotate(n=Count("*"))  # not COUNT(id): the index holds no id, the count needs no row
            .values("n")
        )
        expressions[name] = Subquery(count, output_field=models.IntegerField())
    owners = filterset.baseline_owner_q()
    if owners is None:
        load = Value(None, output_field=models.FloatField())
    else:
        load = Subquery(
            StageOwnerLoad.objects.filter(stage_id=OuterRef("pk"), owner__in=User.objects.filter(owners).values("pk"))
            .order_by()
            .values("stage_id")
            .annotate(s=Sum("average_daily_open"))
            .values("s"),
            output_field=models.FloatField(),
        )
    expressions["owner_load"] = load
    if shown is not None:
        expressions = {
            name: Case(
                When(shown, then=expression),
                default=Value(None, output_field=expression.output_field),
                output_field=expression.output_field,
            )
            for name, expression in expressions.items()
        }
    cutoff = ExpressionWrapper(Value(timezone.now()) - F("health__age_limit"), output_field=models.DateTimeField())
    return stages.annotate(age_cutoff=cutoff).annotate(**expressions)


def _columns_from(stages, filterset):
    """Columns for annotated `stages`, with the first page of cards of each (one query)."""
    cents = Decimal("0.01")
    columns = []
    for stage in stages:
        if hasattr(stage, "deal_totals"):
            aggregate = stage.deal_totals or {}
            totals = summary.Totals(
                count=aggregate.get("n") or 0,
                total=Decimal(aggregate.get("total") or 0).quantize(cents),
                weighted=Decimal(aggregate.get("weighted") or 0).quantize(cents),
            )
        else:
            totals = summary.totals_from(stage.summary, stage.probability)
        column = Column(
            stage=stage,
            count=totals.count,
            total=totals.total,
            weighted=totals.weighted,
            token=summary.token_from(stage.summary, stage.probability),
            open_view=filterset.shows_open_deals,
        )
        if filterset.shows_open_deals:
            column.bottleneck = bottleneck_verdict(
                stage=stage, count=column.count, old=_old_count(stage, column.count), baseline=stage.owner_load
            )
        columns.append(column)
    non_empty = [c.stage.pk for c in columns if c.count]
    by_stage = {}
    for deal in board_cards(filterset=filterset, stage_ids=non_empty):
        by_stage.setdefault(deal.stage_id, []).append(deal)
    for column in columns:
        cards = by_stage.get(column.stage.pk, [])
        column.has_more = len(cards) > CARDS_PER_PAGE
        column.cards = _decorate(cards[:CARDS_PER_PAGE], column.stage)
    return columns


def _old_count(stage, count):
    """The column's deals older than the stage's age limit (0 without a limit)."""
    if stage.age_cutoff is None:
        return 0
    if hasattr(stage, "young"):
        return count - (stage.young or 0)
    return stage.old or 0


@dataclass
class Bottleneck:
    rule: str
    text: str


def bottleneck_verdict(*, stage, count, old, baseline):
    """The bottleneck rule of docs/metrics.md applied to exactly the deals a column shows
    (same filters, same scope): at least StageHealth.MIN_OPEN of them, and either more than
    half in the stage longer than the stage's age limit (the median age above 1.5 × the usual
    time), or more of them than 1.5 × what the same owners held on an average day of the
    last 90 days. None when the column is healthy."""
    health = getattr(stage, "health", None)
    if count < StageHealth.MIN_OPEN:
        return None
    if health is not None and health.age_limit and old * 2 > count:
        usual = health.age_limit.total_seconds() / 86400 / StageHealth.FACTOR
        text = gettext("%(old)d of %(open)d open deals in this stage longer than 1.5 × the usual %(usual)s days") % {
            "old": old,
            "open": count,
            "usual": formats.number_format(usual, 1),
        }
        return Bottleneck(StageHealth.Rule.AGE, text)
    if baseline and count > StageHealth.FACTOR * baseline:
        text = gettext("%(open)d open deals > 1.5 × the 90-day daily average of %(average)s") % {
            "open": count,
            "average": formats.number_format(baseline, 1),
        }
        return Bottleneck(StageHealth.Rule.PILE_UP, text)
    return None


def board_columns(*, filterset, pipeline, stage_ids=None):
    """Some columns of one pipeline (all stages, or only `stage_ids`) in two queries: the
    stages with health and totals, then the first page of cards of every column."""
    stages = Stage.objects.filter(pipeline=pipeline).select_related("health").order_by("order", "id")
    if stage_ids is not None:
        stages = stages.filter(pk__in=stage_ids)
    return _columns_from(_with_totals(stages, filterset), filterset)


def board_page(*, user, pipeline_id, data):
    """Everything the board page shows: (pipelines, pipeline, filterset, columns).

    Query plan: the owner choices (filterset), then one query for the stages of every active
    pipeline with their pipeline (the switcher) and health, where only the shown pipeline's
    stages get their totals computed, then one for the first cards of every column.
    `pipeline_id=None` shows the default pipeline. 404 for an unknown or inactive pipeline.
    """
    filterset = board_filter(user=user, pipeline=pipeline_id, data=data)
    shown = Q(pipeline_id=pipeline_id) if pipeline_id is not None else Q(pipeline__is_default=True)
    stages = list(
        _with_totals(
            Stage.objects.filter(pipeline__is_active=True)
            .select_related("pipeline", "health")
            .order_by("pipeline__order", "pipeline_id", "order", "id"),
            filterset,
            shown,
        )
    )
    pipelines = list({s.pipeline_id: s.pipeline for s in stages}.values())
    if pipeline_id is not None:
        pipeline = next((p for p in pipelines if p.pk == pipeline_id), None)
        if pipeline is None:
            raise Http404("No such pipeline.")
    else:
        pipeline = next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)
    if pipeline is None:
        return pipelines, None, filterset, []
    if pipeline_id is None and not pipeline.is_default:
        # No default pipeline: the totals were not computed for the first one (rare, +1 query).
        return pipelines, pipeline, filterset, board_columns(filterset=filterset, pipeline=pipeline)
    own_stages = [s for s in stages if s.pipeline_id == pipeline.pk]
    return pipelines, pipeline, filterset, _columns_from(own_stages, filterset)


class Card:
    """A card's data as the board draws it: plain values from one row, no model instance
    (building 150 Deal instances with their owner and organization cost more than the query).
    `owner` is a User built once per owner from the row's name fields (its `str()` and
    `initials` are the model's own); `organization` is None or has a `name`. `_decorate`
    adds the flags the card shows."""

    __slots__ = (
        "can_change",
        "close_overdue",
        "days_in_stage",
        "expected_close_date",
        "is_rotting",
        "last_activity_at",
        "next_activity",
        "next_due",
        "organization",
        "owner",
        "owner_id",
        "pk",
        "position",
        "quote",
        "stage_entered_at",
        "stage_id",
        "status",
        "title",
        "value",
        "version",
    )

    @property
    def id(self):
        return self.pk


@dataclass(frozen=True, slots=True)
class CardOrganization:
    pk: int
    name: str


# The row of a card, in the order Card takes it; the owner's and organization's names after.
CARD_FIELDS = (
    "pk",
    "title",
    "version",
    "value",
    "expected_close_date",
    "status",
    "stage_id",
    "position",
    "stage_entered_at",
    "last_activity_at",
    "owner_id",
)
CARD_JOINED = (
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__avatar_color",
    "organization_id",
    "organization__name",
)


def _card_rows(ids_q, *, user):
    """The card rows of the deals `ids_q` matches: one query (owner and organization joined,
    the next open activity's due date, the most relevant quote and the viewer's `can_change`
    as subqueries and CASE), as tuples — no model instances."""
    activity_model = Deal._meta.get_field("activities").related_model
    next_due = activity_model.objects.filter(deal=OuterRef("pk"), done_at__isnull=True, due_at__isnull=False)
    return (
        Deal.objects.filter(ids_q)
        .annotate(
            next_due=Subquery(next_due.order_by("due_at").values("due_at")[:1]),
            can_change=scoping.changeable_expression(user),
            quote_data=quote_signal.relevant_quote(),
        )
        .order_by("stage_id", "position", "id")
        .values_list(*CARD_FIELDS, *CARD_JOINED, "next_due", "can_change", "quote_data")
    )


def _cards(rows):
    """Card objects from `_card_rows`, one owner User per distinct owner."""
    owners = {}
    cards = []
    width = len(CARD_FIELDS)
    for row in rows:
        card = Card()
        for name, value in zip(CARD_FIELDS, row, strict=False):
            setattr(card, name, value)
        (username, first_name, last_name, avatar_color, organization_id, organization_name) = row[width:-3]
        card.next_due, card.can_change = row[-3:-1]
        card.quote = row[-1]
        owner = owners.get(card.owner_id)
        if owner is None:
            owner = User(
                pk=card.owner_id,
                username=username,
                first_name=first_name,
                last_name=last_name,
                avatar_color=avatar_color,
            )
            owners[card.owner_id] = owner
        card.owner = owner
        card.organization = (
            CardOrganization(organization_id, organization_name) if organization_id is not None else None
        )
        cards.append(card)
    return cards


def board_cards(*, filterset, stage_ids, limit=CARDS_PER_PAGE + 1):
    """The first `limit` cards (`Card`) of each column in one query (no OFFSET, no per-column
    query), each with `can_change` for the filterset's user.

    Each column is an index range scan on (stage, status, position, id) with a LIMIT;
    PostgreSQL unions them, SQLite (no LIMIT inside UNION) ORs the IN-subqueries.
    """
    if not stage_ids:
        return []
    ordered = filterset.qs.order_by("position", "id")
    parts = [ordered.filter(stage_id=stage_id).values("pk")[:limit] for stage_id in stage_ids]
    if connection.features.supports_slicing_ordering_in_compound:
        ids_q = Q(pk__in=parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else Q(pk__in=parts[0])
    else:
        ids_q = Q()
        for part in parts:
            ids_q |= Q(pk__in=part)
    return _cards(_card_rows(ids_q, user=filterset.user))


def column_page(*, filterset, stage, cursor):
    """The next page of one column after the keyset `cursor` (position, id): (cards, has_more)."""
    position, pk = cursor
    after = Q(position__gt=position) | Q(position=position, pk__gt=pk)
    ids = filterset.qs.filter(after, stage_id=stage.pk).order_by("position", "id").values("pk")[: CARDS_PER_PAGE + 1]
    cards = _cards(_card_rows(Q(pk__in=ids), user=filterset.user))
    return _decorate(cards[:CARDS_PER_PAGE], stage), len(cards) > CARDS_PER_PAGE


def _decorate(cards, stage):
    """Card flags computed once in Python from the loaded row (no queries)."""
    now = timezone.now()
    today = timezone.localdate()
    for deal in cards:
        idle_since = max(filter(None, [deal.stage_entered_at, deal.last_activity_at]))
        deal.days_in_stage = (now - deal.stage_entered_at).days
        deal.is_rotting = bool(
            deal.status == Deal.Status.OPEN
            and stage.rotting_days
            and now - idle_since > timedelta(days=stage.rotting_days)
        )
        deal.close_overdue = bool(
            deal.status == Deal.Status.OPEN and deal.expected_close_date and deal.expected_close_date < today
        )
        if deal.next_due is None:
            deal.next_activity = "none"
        elif deal.next_due < now:
            deal.next_activity = "overdue"
        elif timezone.localdate(deal.next_due) == today:
            deal.next_activity = "today"
        else:
            deal.next_activity = "planned"
        deal.quote = quote_signal.quote_badge(deal.quote, today)
    return cards


def board_signatures(*, filterset, pipeline_id):
    """{stage_id: column signature} for the columns with summary rows in the selection, in
    one GROUP BY over the summary (the poll): O(stages × owners in scope), not O(deals)."""
    return summary.signatures(filterset=filterset, pipeline_id=pipeline_id)


def board_etag(*, user, pipeline_id, query, signatures):
    """An ETag for what this user sees on this board with these filters."""
    parts = [str(user.pk), str(pipeline_id), query]
    parts += [f"{stage_id}:{sig}" for stage_id, sig in sorted(signatures.items())]
    return '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def stage_get(*, pipeline, stage_id):
    """A stage of `pipeline` or None."""
    try:
        return Stage.objects.select_related("health").get(pipeline=pipeline, pk=stage_id)
    except (Stage.DoesNotExist, ValueError, TypeError):
        return None


def lost_reason_list():
    return LostReason.objects.filter(is_active=True)


# --- the deal list ------------------------------------------------------------------------------

# The deal list's sortable columns: the `o` parameter's key and what it orders by.
DEAL_LIST_SORTS = {
    "title": ("title",),
    "organization": ("organization__name",),
    "stage": ("pipeline__order", "pipeline_id", "stage__order"),
    "value": ("value",),
    "close": ("expected_close_date",),
    "owner": ("owner__first_name", "owner__username"),
    "status": ("status",),
    "created": ("created_at",),
}


def deal_list_order(sort):
    """ORDER BY for the `o` parameter ("value", "-value", …), then id for stable paging;
    newest first for an unknown or missing key."""
    descending = sort.startswith("-")
    fields = DEAL_LIST_SORTS.get(sort.removeprefix("-"))
    if not fields:
        return ["-created_at", "-id"]
    return [f"-{f}" if descending else f for f in fields] + ["-id" if descending else "id"]


def deal_list_rows(*, user, data):
    """(the board's FilterSet over every visible deal, the filtered and sorted rows).

    A page costs: the rows (stage, pipeline, owner, organization joined, the most relevant
    quote as a subquery), one prefetch of their tags, and the paginator's count; a lazy load
    raises (FETCH_RAISE)."""
    filterset = board_filter(user=user, pipeline=None, data=data)
    rows = (
        filterset.qs.select_related("stage", "pipeline", "owner", "organization")
        .annotate(quote_data=quote_signal.relevant_quote())
        .prefetch_related("tags")
        .order_by(*deal_list_order(str(data.get("o") or "")))
        .fetch_mode(models.FETCH_RAISE)
    )
    return filterset, rows


# --- the deal page: line items, the customers a deal may point at, the catalogue ------------


@dataclass
class LineItems:
    """The deal's line items and their totals (sums of the lines' rounded amounts)."""

    lines: list
    net: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    gross: Decimal = Decimal("0.00")


def deal_line_items(*, deal):
    """The line items of a deal the caller has already scoped, in their order, with their
    products: one query; the totals are summed from the rows read."""
    lines = list(DealProduct.objects.filter(deal=deal).select_related("product").order_by("position", "id"))
    return LineItems(
        lines=lines,
        net=sum((line.net_amount for line in lines), Decimal("0.00")),
        vat=sum((line.vat_amount for line in lines), Decimal("0.00")),
        gross=sum((line.gross_amount for line in lines), Decimal("0.00")),
    )


def _visible_deals(user):
    return Deal.objects.filter(scoping.visible_owner_q(user)).order_by()


def _visible_leads(user):
    """The leads' own rule: a manager also sees the unassigned ones (leads.selectors)."""
    return lead_selectors.lead_list_for_user(user=user).order_by()


# Who sees a customer (DESIGN §5, docs/customers.md): an admin every one; anybody else an
# organization they may see the owner of, or one with a deal or a lead they see; a contact they may
# see the owner of, one on a deal or a lead they see, or one of an organization they see. The rule
# lives here, the lowest app that reaches both deals and leads: the deal page's pickers use it, and
# the organization and contact pages (directory, above) read it from here.


def organization_visible_q(user):
    if scoping.is_admin(user):
        return Q()
    return (
        (Q(owner__isnull=False) & scoping.visible_owner_q(user))
        | Q(models.Exists(_visible_deals(user).filter(organization=OuterRef("pk"))))
        | Q(models.Exists(_visible_leads(user).filter(organization=OuterRef("pk"))))
    )


def contact_visible_q(user):
    if scoping.is_admin(user):
        return Q()
    return (
        (Q(owner__isnull=False) & scoping.visible_owner_q(user))
        | Q(models.Exists(_visible_deals(user).filter(contact=OuterRef("pk"))))
        | Q(models.Exists(_visible_leads(user).filter(contact=OuterRef("pk"))))
        | Q(organization__in=Organization.objects.filter(organization_visible_q(user)).values("pk"))
    )


def organization_choices_for_user(*, user):
    """The organizations a deal of `user` may point at: those the user sees."""
    return Organization.objects.filter(organization_visible_q(user))


def contact_choices_for_user(*, user):
    """The contacts a deal of `user` may point at: those the user sees."""
    return Contact.objects.filter(contact_visible_q(user))


def organization_options(*, user, text="", current=None, limit=20):
    """The organization picker's options: the current one first, then up to `limit` the user
    sees whose name contains `text` (names that start with it first)."""
    text = " ".join((text or "").split())
    found = organization_choices_for_user(user=user)
    if text:
        found = found.filter(name__icontains=text).annotate(
            starts=Case(When(name__istartswith=text, then=Value(0)), default=Value(1))
        )
        found = found.order_by("starts", "name", "pk")
    else:
        found = found.order_by("name", "pk")
    options = list(found.only("pk", "name")[:limit])
    if current is not None and current not in options:
        options.insert(0, current)
    return options


def contact_options(*, user, organization_id=None, text="", current=None, limit=50, scoped=True):
    """The contact picker's options: the current one, then the contacts of the chosen
    organization the user sees (or, with `text`, any visible contact whose name or e-mail
    contains it). `scoped=False` for the contacts of the deal's own organization, which whoever
    sees the deal sees (building the scope's query costs more than reading them)."""
    text = " ".join((text or "").split())
    visible = contact_choices_for_user(user=user) if scoped or text else Contact.objects.all()
    found = visible.select_related("organization")
    if text:
        found = found.filter(Q(first_name__icontains=text) | Q(last_name__icontains=text) | Q(email__icontains=text))
    elif organization_id:
        found = found.filter(organization_id=organization_id)
    else:
        found = found.none()
    options = list(found.order_by("last_name", "first_name", "pk")[:limit])
    if current is not None and current not in options:
        options.insert(0, current)
    return options


def deal_line_item_get(*, deal, line_id):
    """A line item of a deal the caller has already scoped, or Http404."""
    try:
        return DealProduct.objects.select_related("product").get(pk=line_id, deal=deal)
    except (DealProduct.DoesNotExist, ValueError, TypeError):
        raise Http404("No such line item.") from None


def product_choices(*, extra_ids=()):
    """[(id, name, active)] of the active products and of the inactive ones named in
    `extra_ids` (they stay on the lines that have them): one query for every form of a page."""
    rows = Product.objects.filter(Q(is_active=True) | Q(pk__in=list(extra_ids))).order_by("name", "pk")
    return list(rows.values_list("pk", "name", "is_active"))


def price_list_choices(*, current_id=None):
    """The active price lists, and the deal's current one even when it was deactivated."""
    return PriceList.objects.filter(Q(is_active=True) | Q(pk=current_id)).order_by("name")


def price_list_table():
    """(active price lists, {(price list id, product id): price}) for the products page: two queries."""
    lists = list(PriceList.objects.filter(is_active=True).order_by("name"))
    prices = PriceListPrice.objects.filter(price_list__in=lists).values_list(
        "price_list_id", "product_id", "unit_price"
    )
    return lists, {(list_id, product_id): price for list_id, product_id, price in prices}


def product_list(*, active_only=False):
    products = Product.objects.order_by("name", "pk")
    return products.filter(is_active=True) if active_only else products


def product_get(*, product_id):
    try:
        return Product.objects.get(pk=product_id)
    except (Product.DoesNotExist, ValueError, TypeError):
        raise Http404("No such product.") from None


def stages_for_new_deal():
    """The stages a new deal can start in: those of the active pipelines, in board order."""
    return (
        Stage.objects.filter(pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__order", "pipeline_id", "order", "id")
    )

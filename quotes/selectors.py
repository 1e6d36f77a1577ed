"""Reading quotes, always through the deals the user sees (DESIGN §5): a quote is as visible as
its deal. Every read passes the quotes through the expiry check (services.quote_refresh)."""

from django.db.models import Prefetch
from django.http import Http404

from accounts import scoping
from deals.models import Deal
from quotes.models import Quote, QuoteEvent, QuoteLine
from quotes.services import quote_refresh


def _visible_deal_ids(user):
    return Deal.objects.filter(scoping.visible_owner_q(user)).values("pk")


def quotes_for_deal(*, user, deal):
    """The deal's quotes, newest first, with their lines (the caller has checked the deal)."""
    quotes = list(
        Quote.objects.filter(deal=deal)
        .select_related("approval_by", "sent_by", "created_by", "response")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product")))
        .order_by("-created_at", "-id")
    )
    return [quote_refresh(quote) for quote in quotes]


def quote_list_for_user(*, user):
    """Every quote the user sees (those of the deals they see), as a queryset with its deal and
    lines, for lists that page through it. A sent quote past its validity is expired by the
    nightly sweep or when it is next read one by one (quote_get_for_user)."""
    return (
        Quote.objects.filter(deal__in=_visible_deal_ids(user))
        .select_related("deal")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product")))
    )


def quote_get_for_user(*, user, quote_id, deal_id=None):
    quotes = Quote.objects.filter(deal__in=_visible_deal_ids(user))
    if deal_id is not None:
        quotes = quotes.filter(deal_id=deal_id)
    try:
        quote = quotes.select_related(
            "deal", "deal__owner", "deal__organization", "deal__contact", "approval_by", "sent_by", "response"
        ).get(pk=quote_id)
    except (Quote.DoesNotExist, ValueError, TypeError):
        raise Http404("No such quote.") from None
    return quote_refresh(quote)


def quote_lines(*, quote):
    return list(quote.lines.select_related("product").order_by("position", "id"))


def quote_events(*, quote):
    return list(QuoteEvent.objects.filter(quote=quote).select_related("actor").order_by("at", "id"))


def approvals_waiting_for(*, user):
    """Quotes waiting for `user`'s decision: the owner's team is one they manage (admins: all)."""
    quotes = Quote.objects.filter(state=Quote.State.PENDING_APPROVAL).select_related("deal", "deal__owner")
    if not scoping.is_admin(user):
        quotes = quotes.filter(deal__owner__team_id__in=scoping.managed_team_ids(user)).exclude(deal__owner=user)
    return quotes.order_by("updated_at")

"""Reads of deals, always scoped to the user (DESIGN §5)."""

from django.db.models import Q
from django.http import Http404

from accounts import scoping
from deals.models import Deal, Pipeline, Stage


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


def pipeline_list():
    return Pipeline.objects.filter(is_active=True)


def pipeline_get_default():
    """The default pipeline, else the first active one, else None on an empty installation."""
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "id").first()


def stage_list(*, pipeline):
    return Stage.objects.filter(pipeline=pipeline).order_by("order", "id")


def open_deals_q():
    return Q(status=Deal.Status.OPEN)

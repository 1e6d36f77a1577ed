"""Objections on a deal (docs/deals.md, "Objections"): the writes and the reads of the deal page.

Who may record, change or remove an objection is who may change the deal (a rep their own deals, a
manager their teams', an admin all): 404 outside the scope, 403 for a visible deal that is not the
user's to change. A closed deal's objections are history: they can be read, not changed (reopen the
deal first). Each write is audited (the Objection model is registered with the audit trail, like the
deal's line items) and touches the deal's `updated_at`, so the dashboard's cache and the board's poll
see the change without turning anybody's open edit form stale (the version is not bumped).
"""

from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from accounts import scoping
from deals import services
from deals.models import Deal, Objection, Stage


def deal_for_objection_change(*, actor, deal_id):
    """The deal for a change of its objections: 404 outside the scope, 403 when visible but not the
    actor's to change, 400 when it is closed."""
    try:
        deal = Deal.objects.filter(scoping.visible_owner_q(actor)).select_related("owner", "stage").get(pk=deal_id)
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal.") from None
    if not scoping.can_change_owned(actor, deal.owner):
        raise services.DealForbidden(_("You may look at this deal but not change it."), deal=deal)
    if deal.status != Deal.Status.OPEN:
        raise services.DealError(
            _("This deal is closed: its objections can be read but not changed. Reopen it first."), deal=deal
        )
    return deal


def _objection_for_change(*, deal, objection_id):
    try:
        return Objection.objects.select_for_update().get(pk=objection_id, deal=deal)
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise services.DealError(_("This objection no longer exists."), deal=deal) from None


def _check(*, kind, handling, response):
    if kind not in Objection.Kind.values:
        raise services.DealError(_("Choose what kind of objection it is."))
    if handling not in Objection.Handling.values:
        raise services.DealError(_("Choose whether the objection was handled."))
    if handling != Objection.Handling.OPEN and not response.strip():
        raise services.DealError(_("Say how the objection was handled."))


@transaction.atomic
def objection_record(*, deal_id, actor, kind, note="", handling=Objection.Handling.OPEN, response=""):
    """Record an objection on an open deal, in the stage the deal is in now. A handled objection
    (resolved or not) needs the answer that was given."""
    deal = deal_for_objection_change(actor=actor, deal_id=deal_id)
    _check(kind=kind, handling=handling, response=response)
    objection = Objection.objects.create(
        deal=deal,
        stage_id=deal.stage_id,
        kind=kind,
        note=note.strip(),
        handling=handling,
        response=response.strip(),
        raised_by=actor,
    )
    services.deal_touch(deal_id=deal.pk)
    return objection


@transaction.atomic
def objection_update(*, deal_id, objection_id, actor, kind, note, handling, response):
    """Change an objection: what it was and how it was handled (its stage stays the one it was
    raised in)."""
    deal = deal_for_objection_change(actor=actor, deal_id=deal_id)
    objection = _objection_for_change(deal=deal, objection_id=objection_id)
    _check(kind=kind, handling=handling, response=response)
    objection.kind, objection.note = kind, note.strip()
    objection.handling, objection.response = handling, response.strip()
    objection.save()
    services.deal_touch(deal_id=deal.pk)
    return objection


@transaction.atomic
def objection_delete(*, deal_id, objection_id, actor):
    """Remove an objection recorded by mistake."""
    deal = deal_for_objection_change(actor=actor, deal_id=deal_id)
    objection = _objection_for_change(deal=deal, objection_id=objection_id)
    objection.delete()
    services.deal_touch(deal_id=deal.pk)
    return objection


# --- reads ----------------------------------------------------------------------------------------


def objections_for_deal(*, deal):
    """The objections of a deal the viewer sees (get it with `deal_get_for_user`), oldest first,
    with their stage and who recorded them: one query."""
    return list(Objection.objects.filter(deal=deal).select_related("stage", "raised_by").order_by("created_at", "pk"))


def is_close_stage(stage):
    """Is `stage` its pipeline's last open stage (the highest order), where objections are handled
    as a rule? One query."""
    last = Stage.objects.filter(pipeline_id=stage.pipeline_id).aggregate(last=Max("order"))["last"]
    return stage.order == last

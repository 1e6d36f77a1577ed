"""The customer's side of a quote (`/q/<token>/`): finding the quote by its link, recording that
it was viewed, and the answer. Nothing here trusts the visitor beyond the link's secret: a
GET records a view and changes nothing else; an answer needs a POST (with CSRF, checked by
the view), the signer's name and, to accept, the confirmation; it is refused for a quote that
is not open for answers (draft, expired, superseded, cancelled, already answered) and for a
revoked link. Someone who tries many unknown links from one address is refused every link for
a while (`link_guessing_blocked`)."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import User
from audit.context import Source, recorded_as
from deals import services as deal_services
from deals.models import Deal
from events.models import EventType
from events.services import event_emit
from quotes.models import PipelineQuoteSettings, Quote, QuoteEvent, QuoteResponse, QuoteView
from quotes.services import QuoteConflict, QuoteError, _event, _expire_if_due, _notify, hash_token

logger = logging.getLogger(__name__)

# User agents of link scanners and previewers that open links in e-mails before (or instead of)
# the recipient: security gateways, webmail previews, chat unfurlers, plain HTTP libraries.
SCANNER_AGENTS = re.compile(
    r"bot|crawl|spider|preview|scan|proofpoint|mimecast|barracuda|safelinks|fireeye|trendmicro|symantec|"
    r"forcepoint|sophos|googleimageproxy|yahoomailproxy|outlook-ios-linkpreview|slack|whatsapp|"
    r"python-requests|python-urllib|curl/|wget/|go-http-client|okhttp|headless",
    re.IGNORECASE,
)
MAX_NAME = 200
# A link is only ever given out when a quote is sent; a draft has none. Should one carry a hash
# all the same, it is not found.
NEVER_PUBLIC = (Quote.State.DRAFT, Quote.State.PENDING_APPROVAL)
ANSWERED = (Quote.State.ACCEPTED, Quote.State.DECLINED)


def link_guessing_blocked(client_ip):
    """True when this address opened more unknown links than CRM_QUOTE_LINK_MAX_MISSES in the
    current window: every link, a real one too, is refused until the window ends. A real link
    is 256 random bits, so the limit slows down nothing but guessing and the load it makes."""
    return account_services.limit_exceeded(
        "quote-link-miss", client_ip or "unknown", limit=settings.CRM_QUOTE_LINK_MAX_MISSES
    )


def link_missed(client_ip):
    """Count one unknown link opened from this address; True when it is now over the limit."""
    return account_services.over_limit(
        "quote-link-miss",
        client_ip or "unknown",
        limit=settings.CRM_QUOTE_LINK_MAX_MISSES,
        window=settings.CRM_QUOTE_LINK_MISS_WINDOW,
    )


def quote_for_token(token, *, now=None):
    """The quote the link belongs to, or None for an unknown, revoked or malformed token (and
    for a draft, which has no link). An expired quote is found (to say so), its validity
    checked here as on every access."""
    if not token or len(token) > 100:
        return None
    quote = (
        Quote.objects.select_related("deal", "deal__owner", "deal__pipeline", "response", "sent_by")
        .filter(token_hash=hash_token(token), token_revoked_at__isnull=True)
        .exclude(state__in=NEVER_PUBLIC)
        .first()
    )
    if quote is None:
        return None
    if quote.state == Quote.State.SENT and quote.is_past_validity(now):
        with transaction.atomic():
            locked = Quote.objects.select_for_update().get(pk=quote.pk)
            _expire_if_due(locked, now or timezone.now())
        quote.state, quote.closed_at = locked.state, locked.closed_at
    return quote


def answerable(quote):
    return quote.state == Quote.State.SENT


def why_not_answerable(quote):
    return {
        Quote.State.ACCEPTED: _("This offer was accepted. Thank you."),
        Quote.State.DECLINED: _("This offer was declined."),
        Quote.State.EXPIRED: _("This offer has expired. Please ask us for a new one."),
        Quote.State.SUPERSEDED: _("There is a newer version of this offer: please use the link in our latest e-mail."),
        Quote.State.CANCELLED: _("This offer was withdrawn."),
    }.get(quote.state, _("This offer cannot be answered."))


def scanner_reason(quote, *, user_agent, now):
    if not user_agent:
        return "no user agent"
    if SCANNER_AGENTS.search(user_agent):
        return "scanner user agent"
    if quote.sent_at and now - quote.sent_at < timedelta(seconds=settings.CRM_QUOTE_SCANNER_SECONDS):
        return "within seconds of sending"
    return ""


def quote_record_view(quote, *, ip=None, user_agent="", now=None):
    """Record one opening of the link. Flagged openings are kept but not counted as views."""
    now = now or timezone.now()
    user_agent = (user_agent or "")[:300]
    flagged = scanner_reason(quote, user_agent=user_agent, now=now)
    with transaction.atomic():
        QuoteView.objects.create(quote=quote, at=now, ip=ip or None, user_agent=user_agent, flagged=flagged)
        if flagged:
            return False
        first = Quote.objects.filter(pk=quote.pk, first_viewed_at__isnull=True).update(first_viewed_at=now)
        Quote.objects.filter(pk=quote.pk).update(last_viewed_at=now, view_count=F("view_count") + 1)
        if first:
            _event(quote, QuoteEvent.Kind.VIEWED, at=now)
            with translation.override(settings.LANGUAGE_CODE):
                message = _("%(number)s on %(deal)s was opened by the customer.") % {
                    "number": quote.display_number,
                    "deal": quote.deal.title,
                }
            _notify(quote.deal.owner, message, deal_id=quote.deal_id, key=f"quote-viewed-{quote.pk}")
    return True


def _told_of_answers(owner):
    """Who hears of the customer's answer: the deal's owner; for an owner who has left (an
    inactive account reads no notifications) the active managers of their team, else the
    active admins, so an answer never goes unnoticed."""
    if owner.is_active:
        return [owner]
    active = User.objects.filter(is_active=True)
    managers = list(active.filter(managed_teams=owner.team_id)) if owner.team_id else []
    return managers or list(active.filter(Q(role=User.Role.ADMIN) | Q(is_superuser=True)))


def _answer(token, *, kind, name, reason="", ip=None, user_agent="", now=None):
    now = now or timezone.now()
    name = " ".join((name or "").split())[:MAX_NAME]
    if len(name) < 2:
        raise QuoteError(_("Please enter your full name."))
    with transaction.atomic():
        quote = (
            Quote.objects.select_for_update(of=("self",))
            .select_related("deal", "deal__owner", "deal__pipeline")
            .filter(token_hash=hash_token(token or ""), token_revoked_at__isnull=True)
            .exclude(state__in=NEVER_PUBLIC)
            .first()
        )
        if quote is None:
            raise QuoteConflict(_("This link is not valid (any more)."))
        _expire_if_due(quote, now)
        if not answerable(quote):
            raise QuoteConflict(why_not_answerable(quote), quote=quote)
        response = QuoteResponse.objects.create(
            quote=quote,
            kind=kind,
            name=name,
            reason=(reason or "").strip()[:2000],
            at=now,
            ip=ip or None,
            user_agent=(user_agent or "")[:300],
            revision=quote.revision,
            pdf_sha256=quote.pdf_sha256,
            net_total=quote.net_total,
            gross_total=quote.gross_total,
        )
        quote.state = Quote.State.ACCEPTED if kind == QuoteResponse.Kind.ACCEPTED else Quote.State.DECLINED
        quote.answered_at = now
        quote.save(update_fields=["state", "answered_at", "updated_at"])
        event_kind = QuoteEvent.Kind.ACCEPTED if kind == QuoteResponse.Kind.ACCEPTED else QuoteEvent.Kind.DECLINED
        _event(quote, event_kind, at=now, note=response.reason, name=name, pdf_sha256=quote.pdf_sha256)
        accepted = kind == QuoteResponse.Kind.ACCEPTED
        event_emit(
            EventType.QUOTE_ACCEPTED if accepted else EventType.QUOTE_DECLINED,
            subject_type="quote",
            subject_id=quote.pk,
            at=now,
            data={"deal_id": quote.deal_id, "number": quote.display_number, "name": name}
            | ({} if accepted else {"reason": response.reason}),
        )
        # The answer is recorded whatever happens to the deal; the owner is told to finish it.
        with translation.override(settings.LANGUAGE_CODE):
            if kind == QuoteResponse.Kind.ACCEPTED:
                try:
                    with transaction.atomic():
                        outcome = _apply_acceptance(quote)
                except deal_services.DealError as exc:
                    logger.warning("Quote %s accepted, deal %s not updated: %s", quote.pk, quote.deal_id, exc.message)
                    outcome = " " + _("The deal could not be updated (%(reason)s): please do it by hand.") % {
                        "reason": exc.message
                    }
                message = _("%(name)s accepted %(number)s on %(deal)s (%(net)s %(currency)s net).%(outcome)s")
            else:
                outcome = ""
                message = _("%(name)s declined %(number)s on %(deal)s.%(outcome)s")
                if response.reason:
                    outcome = " " + _("Reason: %(reason)s") % {"reason": response.reason[:150]}
            message = message % {
                "name": name,
                "number": quote.display_number,
                "deal": quote.deal.title,
                "net": quote.net_total,
                "currency": quote.currency,
                "outcome": outcome,
            }
        for user in _told_of_answers(quote.deal.owner):
            _notify(user, message, deal_id=quote.deal_id, key=f"quote-answered-{quote.pk}-{user.pk}")
    return quote, response


def _apply_acceptance(quote):
    """What the pipeline's quote settings say an acceptance does to the deal; done in the owner's
    name (the customer has no account), recorded as coming from the quote. Returns a sentence for
    the owner's notification."""
    deal = Deal.objects.select_related("owner").get(pk=quote.deal_id)
    config = PipelineQuoteSettings.objects.filter(pipeline_id=deal.pipeline_id).first()
    action = config.on_acceptance if config else PipelineQuoteSettings.OnAcceptance.WIN
    if deal.status == Deal.Status.WON:
        return " " + _("The deal was already won and was not changed.")
    if deal.status == Deal.Status.LOST:
        return " " + _("The deal is lost: reopen it if the customer's acceptance changes that.")
    if action == PipelineQuoteSettings.OnAcceptance.NOTHING:
        return ""
    owner = deal.owner
    with recorded_as(Source.WEB, actor=owner, quote=quote.pk, by="customer"):
        if action == PipelineQuoteSettings.OnAcceptance.MOVE:
            if config.stage_id is None or config.stage.pipeline_id != deal.pipeline_id:
                return " " + _("The pipeline's quote settings name no stage of its own: the deal was not moved.")
            if config.stage_id == deal.stage_id:
                return ""
            deal_services.deal_move(deal_id=deal.pk, stage_id=config.stage_id, version=deal.version, actor=owner)
            return " " + _("The deal moved to %(stage)s.") % {"stage": config.stage.name}
        deal = deal_services.deal_update(
            deal_id=deal.pk, version=deal.version, actor=owner, value=quote.net_total, value_follows_line_items=False
        )
        deal_services.deal_win(deal_id=deal.pk, version=deal.version, actor=owner)
        return " " + _("The deal is marked won.")


def quote_accept(token, *, name, confirmed, ip=None, user_agent="", now=None):
    if not confirmed:
        raise QuoteError(_("Please confirm that you accept the offer."))
    return _answer(token, kind=QuoteResponse.Kind.ACCEPTED, name=name, ip=ip, user_agent=user_agent, now=now)


def quote_decline(token, *, name, reason, ip=None, user_agent="", now=None):
    if not (reason or "").strip():
        raise QuoteError(_("Please tell us why you decline the offer."))
    return _answer(
        token, kind=QuoteResponse.Kind.DECLINED, name=name, reason=reason, ip=ip, user_agent=user_agent, now=now
    )

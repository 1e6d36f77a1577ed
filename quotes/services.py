"""Every change of a quote (docs/quotes.md). A quote is edited only as a draft; sending gives it
its number, freezes seller and buyer, stores the PDF and opens the customer's link; the
customer's answer, expiry, a newer revision or a cancellation close it."""

import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import User
from activities.models import Notification
from deals import services as deal_services
from deals.models import Deal
from events.models import EventType
from events.services import event_emit
from quotes import delivery, money, numbering, pdf
from quotes.errors import QuoteConflict, QuoteError, QuoteForbidden
from quotes.models import CompanyProfile, DiscountPolicy, Quote, QuoteEvent, QuoteLine
from quotes.snapshots import buyer_snapshot, seller_snapshot

MAX_LINES = 200


# --- reading for a change ---------------------------------------------------------------------


def _deal_for_change(*, actor, deal_id):
    try:
        deal = (
            Deal.objects.filter(scoping.visible_owner_q(actor))
            .select_related("owner", "organization", "contact")
            .get(pk=deal_id)
        )
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal.") from None
    if not scoping.can_change_owned(actor, deal.owner):
        raise QuoteForbidden(_("You may look at this deal's quotes but not change them."))
    return deal


def _quote_for_change(*, actor, quote_id, deal_id=None, lock=True):
    """The quote as `actor` may change it: 404 outside the scope, 403 when only visible. Locked
    for the rest of the transaction, so two changes of one quote run one after the other."""
    quotes = Quote.objects.filter(deal__in=Deal.objects.filter(scoping.visible_owner_q(actor)).values("pk"))
    if deal_id is not None:
        quotes = quotes.filter(deal_id=deal_id)
    if lock:
        quotes = quotes.select_for_update(of=("self",))
    try:
        quote = quotes.select_related("deal", "deal__owner").get(pk=quote_id)
    except (Quote.DoesNotExist, ValueError, TypeError):
        raise Http404("No such quote.") from None
    if not scoping.can_change_owned(actor, quote.deal.owner):
        raise QuoteForbidden(_("You may look at this quote but not change it."), quote=quote)
    return quote


def _expire_if_due(quote, now):
    if quote.state == Quote.State.SENT and quote.is_past_validity(now):
        _close(quote, Quote.State.EXPIRED, now=now, actor=None)
        return True
    return False


def _require_state(quote, *states, message):
    _expire_if_due(quote, timezone.now())
    if quote.state not in states:
        raise QuoteConflict(message, quote=quote)


def _event(quote, kind, *, actor=None, note="", at=None, **data):
    """The quote's history row. Every change the deal's board card shows (a new quote, its
    state, the customer's first view) writes one, so this is also where the board is told."""
    event = QuoteEvent.objects.create(
        quote=quote, deal_id=quote.deal_id, kind=kind, actor=actor, note=note, data=data, at=at or timezone.now()
    )
    deal_services.deal_touch(deal_id=quote.deal_id)
    return event


def _notify(user, message, *, deal_id, key=""):
    if user is None or not user.is_active:
        return
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user, kind=Notification.Kind.INFO, message=message[:300], deal_id=deal_id, dedupe_key=key
            )
    except IntegrityError:
        pass  # already told


# --- numbers and totals ------------------------------------------------------------------------


def _decimal(value, *, label, minimum=None, maximum=None, positive=False, places=2):
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise QuoteError(_("%(field)s must be a number.") % {"field": label})
    if positive and number <= 0:
        raise QuoteError(_("%(field)s must be more than 0.") % {"field": label})
    if minimum is not None and number < minimum:
        raise QuoteError(_("%(field)s must be at least %(min)s.") % {"field": label, "min": minimum})
    if maximum is not None and number > maximum:
        raise QuoteError(_("%(field)s must be at most %(max)s.") % {"field": label, "max": maximum})
    if -number.as_tuple().exponent > places:
        raise QuoteError(_("%(field)s has more than %(n)s decimal places.") % {"field": label, "n": places})
    return number


def _recompute(quote):
    """Store the lines' amounts and the quote's totals, and whether its discount needs approval."""
    lines = list(quote.lines.all())
    for line in lines:
        listed, amount = money.line_amount(
            quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent
        )
        if (line.list_amount, line.amount) != (listed, amount):
            line.list_amount, line.amount = listed, amount
            line.save(update_fields=["list_amount", "amount"])
    result = money.totals(lines, prices_gross=quote.prices_gross)
    quote.list_total, quote.net_total, quote.vat_total = result.list_total, result.net, result.vat
    quote.gross_total = result.gross
    quote.vat_breakdown = [rate.as_json() for rate in result.rates]
    quote.max_line_discount = result.max_line_discount
    # Any change of a draft voids an approval given or refused before it.
    quote.approval = Quote.Approval.PENDING if quote.state == Quote.State.PENDING_APPROVAL else ""
    if not discount_needs_approval(quote):
        quote.approval = ""
    quote.approval_by, quote.approval_at, quote.approval_comment = None, None, ""
    quote.save()
    return quote


def discount_policy_for(owner):
    """The owner's team's policy, else the default one, else the built-in 10 % / 10 %."""
    scope = Q(team__isnull=True) | Q(team_id=owner.team_id) if owner.team_id else Q(team__isnull=True)
    policies = {p.team_id: p for p in DiscountPolicy.objects.filter(scope)}
    return policies.get(owner.team_id) or policies.get(None) or DiscountPolicy()


def discount_needs_approval(quote, policy=None):
    policy = policy or discount_policy_for(quote.deal.owner)
    return quote.max_line_discount > policy.max_line_discount or (
        quote.total_discount_percent > policy.max_total_discount
    )


def can_approve(user, quote):
    """Admins, and the managers of the deal owner's team; nobody approves their own discount
    unless they are an admin."""
    if scoping.is_admin(user):
        return True
    owner = quote.deal.owner
    return user.pk != owner.pk and owner.team_id is not None and owner.team_id in scoping.managed_team_ids(user)


# --- making and editing drafts -----------------------------------------------------------------


def _gross_price(net_price, rate):
    return money.round_money(Decimal(net_price) * (100 + Decimal(rate)) / 100)


def _language_for(deal):
    codes = {code for code, _name in settings.LANGUAGES}
    language = deal.contact.language if deal.contact_id and deal.contact.language else settings.LANGUAGE_CODE
    if language not in codes:
        language = "de" if language.startswith("de") else "en-gb"
    return language


@transaction.atomic
def quote_create(*, deal_id, actor, now=None):
    """A new draft of the deal's line items, with the company profile's defaults."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    if deal.status != Deal.Status.OPEN:
        raise QuoteError(_("Quotes are written for open deals."))
    now = now or timezone.now()
    profile = CompanyProfile.current()
    gross = profile.consumer_prices_gross and deal.organization_id is None and deal.contact_id is not None
    # The deal's title: the PDF's heading and the e-mail's subject already say "Quote <number>".
    quote = Quote.objects.create(
        deal=deal,
        title=deal.title[:200],
        language=_language_for(deal),
        valid_until=timezone.localdate(now) + timedelta(days=profile.default_validity_days),
        intro=profile.default_intro,
        terms=profile.default_terms,
        payment_terms=profile.default_payment_terms,
        prices_gross=gross,
        currency=settings.CRM_CURRENCY,
        created_by=actor,
        created_at=now,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            position=index,
            product_id=item.product_id,
            description=(item.description or (item.product.name if item.product_id else ""))[:200],
            quantity=item.quantity,
            unit=item.unit,
            unit_price=_gross_price(item.unit_price, item.vat_rate) if gross else item.unit_price,
            discount_percent=item.discount_percent,
            vat_rate=item.vat_rate,
        )
        for index, item in enumerate(deal.line_items.select_related("product").order_by("position", "id"), start=1)
    )
    _recompute(quote)
    _event(quote, QuoteEvent.Kind.CREATED, actor=actor, at=now)
    return quote


EDITABLE_FIELDS = ("title", "language", "valid_until", "intro", "terms", "payment_terms", "prices_gross")


@transaction.atomic
def quote_update(*, quote_id, actor, deal_id=None, **fields):
    """Change a draft's header fields (EDITABLE_FIELDS)."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.DRAFT, message=_("Only a draft can be edited."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise QuoteError(_("These fields cannot be changed: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if "title" in fields and not str(fields["title"]).strip():
        raise QuoteError(_("A quote needs a title."), quote=quote)
    if "valid_until" in fields and fields["valid_until"] is None:
        raise QuoteError(_("A quote needs a date it is valid until."), quote=quote)
    if "language" in fields and fields["language"] not in {code for code, _n in settings.LANGUAGES}:
        raise QuoteError(_("Choose a language the quote can be written in."), quote=quote)
    for name, value in fields.items():
        setattr(quote, name, value.strip() if isinstance(value, str) and name != "language" else value)
    return _recompute(quote)


def _line_values(fields, *, rates):
    values = {}
    if "description" in fields:
        values["description"] = str(fields["description"] or "").strip()[:200]
        if not values["description"]:
            raise QuoteError(_("A line needs a description."))
    if "details" in fields:
        values["details"] = str(fields["details"] or "").strip()
    if "unit" in fields:
        values["unit"] = str(fields["unit"] or "").strip()[:30]
    if "quantity" in fields:
        values["quantity"] = _decimal(
            fields["quantity"], label=_("Quantity"), positive=True, maximum=Decimal("999999999"), places=3
        )
    if "unit_price" in fields:
        values["unit_price"] = _decimal(
            fields["unit_price"], label=_("Unit price"), minimum=0, maximum=Decimal("9999999999.99")
        )
    if "discount_percent" in fields:
        values["discount_percent"] = _decimal(
            fields["discount_percent"] or 0, label=_("Discount"), minimum=0, maximum=100
        )
    if "vat_rate" in fields:
        rate = _decimal(fields["vat_rate"], label=_("VAT rate"), minimum=0, maximum=100)
        if rate not in rates:
            raise QuoteError(
                _("Choose one of the VAT rates %(rates)s.")
                % {"rates": ", ".join(f"{r.normalize():f} %" for r in rates)}
            )
        values["vat_rate"] = rate
    if "is_optional" in fields:
        values["is_optional"] = bool(fields["is_optional"])
    if "product" in fields:
        values["product"] = fields["product"]
    return values


@transaction.atomic
def quote_line_add(*, quote_id, actor, deal_id=None, product=None, **fields):
    """Add a line: a catalogue product fills in what is left empty (name, unit, price, VAT)."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.DRAFT, message=_("Only a draft can be edited."))
    if quote.lines.count() >= MAX_LINES:
        raise QuoteError(_("A quote has at most %(n)s lines.") % {"n": MAX_LINES}, quote=quote)
    rates = CompanyProfile.current().vat_rate_choices()
    if product is not None:
        fields.setdefault("description", product.name)
        if not fields.get("unit"):
            fields["unit"] = product.unit
        if fields.get("vat_rate") in (None, ""):
            fields["vat_rate"] = product.vat_rate if product.vat_rate in rates else rates[0]
        if fields.get("unit_price") in (None, ""):
            price = product.unit_price
            fields["unit_price"] = _gross_price(price, fields["vat_rate"]) if quote.prices_gross else price
    fields.setdefault("quantity", 1)
    fields.setdefault("vat_rate", rates[0])
    fields.setdefault("unit_price", None)
    values = _line_values({**fields, "description": fields.get("description", "")}, rates=rates)
    last = quote.lines.order_by("-position").values_list("position", flat=True).first() or 0
    line = QuoteLine.objects.create(quote=quote, position=last + 1, product=product, **values)
    _recompute(quote)
    return quote, line


@transaction.atomic
def quote_line_update(*, quote_id, line_id, actor, deal_id=None, **fields):
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.DRAFT, message=_("Only a draft can be edited."))
    line = quote.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line.")
    values = _line_values(fields, rates=[*CompanyProfile.current().vat_rate_choices(), line.vat_rate])
    for name, value in values.items():
        setattr(line, name, value)
    line.save()
    _recompute(quote)
    return quote, line


@transaction.atomic
def quote_line_remove(*, quote_id, line_id, actor, deal_id=None):
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.DRAFT, message=_("Only a draft can be edited."))
    deleted, _rows = quote.lines.filter(pk=line_id).delete()
    if not deleted:
        raise Http404("No such line.")
    return _recompute(quote)


# --- approval ----------------------------------------------------------------------------------


def _approvers(quote):
    owner = quote.deal.owner
    managers = (
        User.objects.filter(is_active=True, managed_teams__id=owner.team_id) if owner.team_id else User.objects.none()
    )
    approvers = [user for user in managers if user.pk != owner.pk]
    return approvers or list(User.objects.filter(is_active=True, role=User.Role.ADMIN))


@transaction.atomic
def quote_request_approval(*, quote_id, actor, note="", deal_id=None):
    """Ask for a manager's approval of a discount above the team's limit; they are notified with
    what the discount costs."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.DRAFT, message=_("Only a draft can be submitted for approval."))
    if not discount_needs_approval(quote):
        raise QuoteError(_("This quote's discounts are within the limits and need no approval."), quote=quote)
    if not quote.lines.exists():
        raise QuoteError(_("A quote needs at least one line."), quote=quote)
    quote.state, quote.approval = Quote.State.PENDING_APPROVAL, Quote.Approval.PENDING
    quote.approval_by, quote.approval_at, quote.approval_comment = None, None, ""
    quote.save(update_fields=["state", "approval", "approval_by", "approval_at", "approval_comment", "updated_at"])
    impact = margin_impact(quote)
    _event(quote, QuoteEvent.Kind.APPROVAL_REQUESTED, actor=actor, note=note.strip(), **impact)
    message = _(
        "%(user)s asks you to approve a discount of %(percent)s %% (%(amount)s %(currency)s less revenue, "
        "largest line discount %(line)s %%) on %(deal)s."
    ) % {
        "user": actor.get_full_name() or actor.get_username(),
        "percent": impact["discount_percent"],
        "amount": impact["discount"],
        "currency": quote.currency,
        "line": impact["max_line_discount"],
        "deal": quote.deal.title,
    }
    for user in _approvers(quote):
        _notify(user, message, deal_id=quote.deal_id)
    return quote


def margin_impact(quote):
    """What the discounts cost: the revenue given away against the list prices, in money and as
    a share of the list total, and the largest line discount (strings, for events and messages)."""
    return {
        "list_total": str(quote.list_total),
        "net_total": str(quote.net_total),
        "discount": str(quote.list_total - quote.net_total),
        "discount_percent": str(quote.total_discount_percent),
        "max_line_discount": str(quote.max_line_discount),
    }


@transaction.atomic
def quote_decide_approval(*, quote_id, actor, approve, comment=""):
    """A manager approves or rejects the discount; the quote goes back to draft either way (only an
    approved one can be sent until it is changed again)."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id) if scoping.is_admin(actor) else None
    if quote is None:
        try:
            quote = (
                Quote.objects.select_for_update(of=("self",))
                .select_related("deal", "deal__owner")
                .filter(deal__in=Deal.objects.filter(scoping.visible_owner_q(actor)).values("pk"))
                .get(pk=quote_id)
            )
        except (Quote.DoesNotExist, ValueError, TypeError):
            raise Http404("No such quote.") from None
    if not can_approve(actor, quote):
        raise QuoteForbidden(_("Only a manager of the owner's team or an admin may decide on this discount."))
    _require_state(quote, Quote.State.PENDING_APPROVAL, message=_("This quote is not waiting for approval."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise QuoteError(_("Say why the discount is rejected."), quote=quote)
    now = timezone.now()
    quote.state = Quote.State.DRAFT
    quote.approval = Quote.Approval.APPROVED if approve else Quote.Approval.REJECTED
    quote.approval_by, quote.approval_at, quote.approval_comment = actor, now, comment
    quote.save(update_fields=["state", "approval", "approval_by", "approval_at", "approval_comment", "updated_at"])
    kind = QuoteEvent.Kind.APPROVED if approve else QuoteEvent.Kind.REJECTED
    _event(quote, kind, actor=actor, note=comment, at=now, **margin_impact(quote))
    who = actor.get_full_name() or actor.get_username()
    if approve:
        message = _("%(user)s approved the discount on %(deal)s: the quote can be sent.")
    else:
        message = _("%(user)s rejected the discount on %(deal)s: %(comment)s")
    _notify(
        quote.deal.owner, message % {"user": who, "deal": quote.deal.title, "comment": comment}, deal_id=quote.deal_id
    )
    return quote


@transaction.atomic
def quote_withdraw_approval_request(*, quote_id, actor, deal_id=None):
    """The rep takes the quote back to edit it before anybody decided."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.PENDING_APPROVAL, message=_("This quote is not waiting for approval."))
    quote.state, quote.approval = Quote.State.DRAFT, ""
    quote.save(update_fields=["state", "approval", "updated_at"])
    deal_services.deal_touch(deal_id=quote.deal_id)  # no event, but the card's state changed
    return _recompute(quote)


# --- sending -----------------------------------------------------------------------------------


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(quote):
    token = secrets.token_urlsafe(32)
    quote.token_hash, quote.token_revoked_at = hash_token(token), None
    return token


@transaction.atomic
def quote_send(*, quote_id, actor, to="", subject="", message="", deal_id=None, now=None):
    """Send a draft: number, issue date, seller and buyer frozen, PDF rendered and stored with its
    SHA-256, the customer's link opened, an older revision superseded and the e-mail queued — all
    in one transaction, so a failure leaves the draft as it was and gives no number away.
    Returns (quote, token): the token is the link's secret, shown once."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.DRAFT, message=_("Only a draft can be sent."))
    now = now or timezone.now()
    deal = Deal.objects.select_related("organization", "contact", "owner").get(pk=quote.deal_id)
    quote.deal = deal
    if deal.status != Deal.Status.OPEN:
        raise QuoteError(_("The deal is closed: reopen it to send a quote."), quote=quote)
    if not quote.lines.filter(is_optional=False).exists():
        raise QuoteError(_("A quote needs at least one line that is not optional."), quote=quote)
    if quote.valid_until < timezone.localdate(now):
        raise QuoteError(_("The quote's validity ended before today: set a later date."), quote=quote)
    _recompute_for_send(quote)
    if discount_needs_approval(quote) and quote.approval != Quote.Approval.APPROVED:
        raise QuoteError(_("The discount needs a manager's approval before the quote is sent."), quote=quote)
    to = (to or "").strip() or (deal.contact.email if deal.contact_id else "")
    if not to:
        raise QuoteError(_("Who gets the quote? The contact has no e-mail address: enter one."), quote=quote)
    delivery.validate_address(to)
    previous = quote.revises
    if previous is not None:
        previous = Quote.objects.select_for_update().get(pk=previous.pk)
        quote.number, quote.number_year, quote.number_seq = previous.number, previous.number_year, previous.number_seq
    else:
        quote.number_year, quote.number_seq, quote.number = numbering.allocate(now)
    quote.issue_date = timezone.localdate(now)
    quote.seller = seller_snapshot(CompanyProfile.current())
    quote.buyer = buyer_snapshot(deal)
    quote.recipient_email = to
    quote.state, quote.sent_at, quote.sent_by = Quote.State.SENT, now, actor
    token = _new_token(quote)
    quote.save()
    content = pdf.render_quote_pdf(quote)
    quote.pdf_sha256 = hashlib.sha256(content).hexdigest()
    quote.pdf.save(pdf.file_name(quote), ContentFile(content), save=False)
    quote.save(update_fields=["pdf", "pdf_sha256"])
    if previous is not None and previous.state == Quote.State.SENT:
        _close(previous, Quote.State.SUPERSEDED, now=now, actor=actor, note=quote.display_number)
    delivery.queue_quote_email(quote=quote, token=token, sender=actor, subject=subject, message=message, pdf=content)
    _event(
        quote, QuoteEvent.Kind.SENT, actor=actor, at=now, to=to, pdf_sha256=quote.pdf_sha256, net=str(quote.net_total)
    )
    event_emit(
        EventType.QUOTE_SENT,
        subject_type="quote",
        subject_id=quote.pk,
        actor=actor,
        at=now,
        data={"deal_id": quote.deal_id, "number": quote.display_number, "revision": quote.revision},
    )
    return quote, token


def _recompute_for_send(quote):
    """Totals as they will be frozen; an approval survives, as nothing changed since."""
    approval = (quote.approval, quote.approval_by, quote.approval_at, quote.approval_comment)
    _recompute(quote)
    if approval[0] == Quote.Approval.APPROVED:
        quote.approval, quote.approval_by, quote.approval_at, quote.approval_comment = approval
        quote.save(update_fields=["approval", "approval_by", "approval_at", "approval_comment"])


# --- revisions, cancellation, expiry, the link -------------------------------------------------


def _close(quote, state, *, now, actor, note=""):
    quote.state, quote.closed_at = state, now
    quote.save(update_fields=["state", "closed_at", "updated_at"])
    kind = {
        Quote.State.EXPIRED: QuoteEvent.Kind.EXPIRED,
        Quote.State.SUPERSEDED: QuoteEvent.Kind.SUPERSEDED,
        Quote.State.CANCELLED: QuoteEvent.Kind.CANCELLED,
    }[state]
    _event(quote, kind, actor=actor, at=now, note=note)


@transaction.atomic
def quote_revise(*, quote_id, actor, deal_id=None, now=None):
    """A new draft revision of a sent, declined or expired quote, with its lines and texts. When it
    is sent it supersedes this one (which stays acceptable until then)."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(
        quote,
        Quote.State.SENT,
        Quote.State.DECLINED,
        Quote.State.EXPIRED,
        message=_("Only a sent, declined or expired quote can be revised."),
    )
    if Quote.objects.filter(revises=quote).exists():
        raise QuoteConflict(_("This quote has a newer revision already."), quote=quote)
    now = now or timezone.now()
    profile = CompanyProfile.current()
    revision = Quote.objects.create(
        deal_id=quote.deal_id,
        revision=quote.revision + 1,
        revises=quote,
        title=quote.title,
        language=quote.language,
        valid_until=max(quote.valid_until, timezone.localdate(now) + timedelta(days=profile.default_validity_days)),
        intro=quote.intro,
        terms=quote.terms,
        payment_terms=quote.payment_terms,
        prices_gross=quote.prices_gross,
        currency=quote.currency,
        created_by=actor,
        created_at=now,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=revision,
            position=line.position,
            product_id=line.product_id,
            description=line.description,
            details=line.details,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            vat_rate=line.vat_rate,
            is_optional=line.is_optional,
        )
        for line in quote.lines.all()
    )
    revision.deal = quote.deal
    _recompute(revision)
    _event(revision, QuoteEvent.Kind.CREATED, actor=actor, at=now, revises=quote.pk)
    return revision


@transaction.atomic
def quote_cancel(*, quote_id, actor, deal_id=None, note=""):
    """Withdraw a draft or a sent quote; its link stops working."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, *Quote.OPEN_STATES, message=_("Only an open quote can be cancelled."))
    _close(quote, Quote.State.CANCELLED, now=timezone.now(), actor=actor, note=(note or "").strip())
    return quote


@transaction.atomic
def quote_link_revoke(*, quote_id, actor, deal_id=None):
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    if not quote.token_hash or quote.token_revoked_at:
        raise QuoteConflict(_("This quote has no working link."), quote=quote)
    quote.token_revoked_at = timezone.now()
    quote.save(update_fields=["token_revoked_at", "updated_at"])
    _event(quote, QuoteEvent.Kind.LINK_REVOKED, actor=actor)
    return quote


@transaction.atomic
def quote_link_renew(*, quote_id, actor, deal_id=None):
    """A new link for a sent quote (the old one stops working); returns (quote, token)."""
    quote = _quote_for_change(actor=actor, quote_id=quote_id, deal_id=deal_id)
    _require_state(quote, Quote.State.SENT, message=_("Only a sent quote has a link."))
    token = _new_token(quote)
    quote.save(update_fields=["token_hash", "token_revoked_at", "updated_at"])
    _event(quote, QuoteEvent.Kind.LINK_RENEWED, actor=actor)
    return quote, token


def quotes_expire_due(*, now=None):
    """The nightly sweep: every sent quote past the end of its valid-until day expires (a quote is
    also expired when it is next read). Returns how many expired."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=timezone.get_default_timezone())  # the installation's day
    expired = 0
    for quote_id in Quote.objects.filter(state=Quote.State.SENT, valid_until__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            quote = Quote.objects.select_for_update().filter(pk=quote_id, state=Quote.State.SENT).first()
            if quote is not None and _expire_if_due(quote, now):
                expired += 1
    return expired


def quote_refresh(quote, *, now=None):
    """Expire `quote` if its validity ended (every read of a quote goes through this)."""
    if quote.state != Quote.State.SENT or not quote.is_past_validity(now):
        return quote
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        _expire_if_due(locked, now or timezone.now())
    quote.state, quote.closed_at = locked.state, locked.closed_at
    return quote

"""Recording clicks and opens (docs/nurturing.md, "Tracking, honestly" and "Bots and scanners").

Every request becomes a TrackingEvent; `nurturing.bots` decides whether it counts. The first
counted click of an e-mail stamps `Send.clicked_at`, the first counted open `Send.opened_at`
(conditional UPDATEs: two requests at once stamp it once). The rule triggers "link_clicked" and
"content_downloaded" (nurturing/triggers.py) read the counted events.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from nurturing import bots
from nurturing.models import Send, TrackedLink, TrackingEvent

CLICK = TrackingEvent.Kind.CLICK
OPEN = TrackingEvent.Kind.OPEN


def _sent_at(send):
    """When the e-mail left: the Send's stamp, else its message's date."""
    if send.sent_at is not None:
        return send.sent_at
    message = send.message if send.message_id else None
    return message.sent_at if message is not None else None


def link_for_click(link_id):
    """The TrackedLink with its Send and message (one query), or None."""
    return TrackedLink.objects.select_related("send__message").filter(pk=link_id).first()


def send_for_open(token):
    return Send.objects.select_related("message").filter(token=token).first()


def click_record(*, link, method, user_agent, now=None):
    """Record a request for a tracked link; returns the TrackingEvent (counted or with its reason)."""
    now = now or timezone.now()
    send = link.send
    user_agent = (user_agent or "")[:300]
    reason = bots.request_verdict(kind=CLICK, method=method, user_agent=user_agent, at=now, sent_at=_sent_at(send))
    with transaction.atomic():
        if not reason and _completes_burst(link, now):
            reason = bots.BURST
            _mark_burst(send, now)
        event = TrackingEvent.objects.create(
            send=send,
            link=link,
            kind=CLICK,
            at=now,
            method=method.upper()[:10],
            user_agent=user_agent,
            counted=not reason,
            filtered=reason,
        )
        if not reason:
            Send.objects.filter(pk=send.pk, clicked_at__isnull=True).update(clicked_at=now)
    return event


def open_record(*, send, method, user_agent, now=None):
    """Record a load of the open pixel (an estimate: privacy proxies load images on delivery)."""
    now = now or timezone.now()
    user_agent = (user_agent or "")[:300]
    reason = bots.request_verdict(kind=OPEN, method=method, user_agent=user_agent, at=now, sent_at=_sent_at(send))
    event = TrackingEvent.objects.create(
        send=send,
        kind=OPEN,
        at=now,
        method=method.upper()[:10],
        user_agent=user_agent,
        counted=not reason,
        filtered=reason,
    )
    if not reason:
        Send.objects.filter(pk=send.pk, opened_at__isnull=True).update(opened_at=now)
    return event


def _completes_burst(link, now):
    """True when this click, with the other GET clicks of its e-mail in the last BURST_SECONDS,
    covers every link of an e-mail that has two or more."""
    since = now - timedelta(seconds=bots.BURST_SECONDS)
    links = set(TrackedLink.objects.filter(send_id=link.send_id).values_list("id", flat=True))
    if len(links) < 2:
        return False
    recent = set(
        TrackingEvent.objects.filter(send_id=link.send_id, kind=CLICK, at__gte=since, at__lte=now)
        .exclude(filtered=bots.HEAD)
        .values_list("link_id", flat=True)
    )
    return links <= recent | {link.pk}


def _mark_burst(send, now):
    """The clicks of the burst counted before it was recognised are the scanner's too: they are
    re-marked (the only change ever made to an event, its verdict), and the first-click stamp is
    taken again from the clicks that still count."""
    since = now - timedelta(seconds=bots.BURST_SECONDS)
    TrackingEvent.objects.filter(send_id=send.pk, kind=CLICK, at__gte=since, counted=True).update(
        counted=False, filtered=bots.BURST
    )
    first = TrackingEvent.objects.filter(send_id=send.pk, kind=CLICK, counted=True).aggregate(first=Min("at"))
    Send.objects.filter(pk=send.pk).update(clicked_at=first["first"])

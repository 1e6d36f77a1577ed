"""When a marketing e-mail may be written (docs/nurturing.md, "Sending: rate limits, quiet hours
and caps").

- Quiet hours (CRM_NURTURE_QUIET_HOURS, "20-8"): no e-mail between 20:00 and 8:00 in the
  person's time zone; postponed to the end of the quiet hours. "" turns them off.
- Per receiving domain (CRM_NURTURE_DOMAIN_RATE_PER_MINUTE, 20): at most that many e-mails to
  one domain in any minute; the next ones wait a minute.
- Per sender (CRM_NURTURE_DAILY_CAP_PER_USER, 300): at most that many marketing e-mails per
  sender and day, the sender's day in their own time zone; the next ones wait for their next day.

A `Pacing` lives for one engine run: it counts the run's own sends on top of what the database
said when it first looked at a domain or a sender, so the limits cost a query per domain and
per sender, not per e-mail.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count

from activities.services import user_time_zone
from nurturing.models import Send


def quiet_hours(value=None):
    """(start hour, end hour) from "20-8", or None when off."""
    value = (settings.CRM_NURTURE_QUIET_HOURS if value is None else value).strip()
    if not value:
        return None
    try:
        start, end = (int(part) for part in value.split("-"))
    except ValueError:
        raise ImproperlyConfigured(f"CRM_NURTURE_QUIET_HOURS={value!r}: write two hours, e.g. 20-8.") from None
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ImproperlyConfigured(f"CRM_NURTURE_QUIET_HOURS={value!r}: hours are 0 to 23.")
    return None if start == end else (start, end)


def quiet_until(now, tz, hours):
    """The end of the quiet hours when `now` falls in them (in zone `tz`), else None."""
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(tz)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=tz)


class Pacing:
    def __init__(self, now):
        self.hours = quiet_hours()
        self.rate = settings.CRM_NURTURE_DOMAIN_RATE_PER_MINUTE
        self.cap = settings.CRM_NURTURE_DAILY_CAP_PER_USER
        self.domains = {}  # domain → [send times in the last minute]
        self.senders = {}  # sender id → (day start, count)
        self.started = now

    def _domain_times(self, domain, now):
        if domain not in self.domains:
            self.domains[domain] = list(
                Send.objects.filter(domain=domain, created_at__gt=now - timedelta(minutes=1)).values_list(
                    "created_at", flat=True
                )
            )
        times = [at for at in self.domains[domain] if at > now - timedelta(minutes=1)]
        self.domains[domain] = times
        return times

    def _sender_day(self, sender, now):
        tz = user_time_zone(sender)
        day_start = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
        known = self.senders.get(sender.pk)
        if known is None or known[0] != day_start:
            count = Send.objects.filter(sender=sender, created_at__gte=day_start).aggregate(n=Count("pk"))["n"]
            self.senders[sender.pk] = known = (day_start, count)
        return known

    def hold(self, *, now, tz, domain, sender):
        """(reason, until) when the e-mail must wait, else None."""
        until = quiet_until(now, tz, self.hours)
        if until is not None:
            return ("quiet_hours", until)
        day_start, count = self._sender_day(sender, now)
        if count >= self.cap:
            return ("daily_cap", day_start + timedelta(days=1))  # wall-clock arithmetic: next midnight
        times = self._domain_times(domain, now)
        if len(times) >= self.rate:
            return ("domain_rate", min(times) + timedelta(minutes=1))
        return None

    def count(self, *, now, domain, sender):
        self._domain_times(domain, now).append(now)
        day_start, count = self._sender_day(sender, now)
        self.senders[sender.pk] = (day_start, count + 1)

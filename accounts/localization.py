"""A user's language, time zone and working hours: what the middleware activates per request
and what the background work (reminders, digests, follow-up rules) uses for one user.

In the lowest app, so that every app may ask for a user's zone or working time.
"""

import zoneinfo
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import translation


@cache
def time_zone_names():
    """The zoneinfo names a user may choose, sorted (the list of the preferences form)."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


def user_time_zone(user):
    """The user's time zone, or the installation's when empty or unknown."""
    try:
        return ZoneInfo(user.time_zone) if user.time_zone else ZoneInfo(settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def supported_language(code):
    """The installation's language for `code` ("de-AT" → "de"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_menu():
    """(code, name in its own language) of the installation's languages, for the user menu:
    "Deutsch", "English" (the base language's name when the variant is the only one)."""
    codes = [code for code, _name in settings.LANGUAGES]
    bases = [code.split("-")[0] for code in codes]
    menu = []
    for code, base in zip(codes, bases, strict=True):
        info = translation.get_language_info(base if bases.count(base) == 1 else code)
        menu.append((code, info["name_local"]))
    return menu


def user_language(user):
    """The language of what is written for the user outside a request (reminders, digests):
    their own choice, else the installation's default."""
    return supported_language(getattr(user, "language", "")) or settings.LANGUAGE_CODE


def is_working_time(user, moment):
    """True when `moment` falls on a weekday between the user's working-day start and end."""
    local = moment.astimezone(user_time_zone(user))
    return local.weekday() < 5 and user.workday_start <= local.time() < _workday_end(user)


def next_working_time(user, moment):
    """`moment` when it is working time for the user, else the start of their next working day
    (Monday to Friday, in the user's time zone).

    The start is a wall-clock time: across a daylight-saving change it stays 09:00 local.
    """
    tz = user_time_zone(user)
    local = moment.astimezone(tz)
    if is_working_time(user, moment):
        return moment
    day = local.date()
    if local.weekday() >= 5 or local.time() >= _workday_end(user):
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, user.workday_start, tzinfo=tz)


def _workday_end(user):
    # A working day that ends before it starts (bad data from before the form checked it) is
    # read as ending at midnight.
    end = user.workday_end
    return end if end > user.workday_start else datetime.max.time()

"""The time zone a person reads their e-mail in: for quiet hours and "wait until Tuesday 9:00".

The contact's own `time_zone` when set and known; else the region of their organization (or the
lead's region): the German regions → Europe/Berlin, Austria → Europe/Vienna, Switzerland →
Europe/Zurich; else the installation's TIME_ZONE. An unknown name falls through to the next.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

REGION_ZONES = {
    "north": "Europe/Berlin",
    "south": "Europe/Berlin",
    "east": "Europe/Berlin",
    "west": "Europe/Berlin",
    "at": "Europe/Vienna",
    "ch": "Europe/Zurich",
}


def _zone(name):
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _region(contact, lead):
    if contact is not None and contact.organization_id and contact.organization.region:
        return contact.organization.region
    if lead is not None:
        if lead.region:
            return lead.region
        if lead.organization_id and lead.organization.region:
            return lead.organization.region
    return ""


def person_time_zone(contact=None, lead=None):
    """ZoneInfo for a contact or a lead (a lead's linked contact counts when it has a zone)."""
    if contact is None and lead is not None and lead.contact_id:
        own = _zone(lead.contact.time_zone)
        if own is not None:
            return own
    own = _zone(contact.time_zone) if contact is not None else None
    return own or _zone(REGION_ZONES.get(_region(contact, lead))) or _zone(settings.TIME_ZONE) or ZoneInfo("UTC")

"""Reads of the customers app that need no scope: what points at an organization or a contact.

The customers app reads the deals and leads through the reverse relations only; it imports none
of the apps above it. Scoped reads (who sees which customer) are in directory.selectors.
"""

from django.db.models import Q

from customers.models import Contact, Organization


def references(record):
    """(deals, leads): how many point at an organization or a contact."""
    return record.deals.count(), record.leads.count()


def contacts_in_use(organization, *, limit=20):
    """The organization's contacts that deals or leads point at (each keeps it out of the trash)."""
    used = Q(deals__isnull=False) | Q(leads__isnull=False)
    return list(Contact.objects.filter(used, organization=organization).distinct().order_by("last_name", "pk")[:limit])


def deletion_preview(record):
    """What deleting `record` means, for the page that asks: the deals and leads pointing at it,
    and for an organization its contacts and those of them in use (either blocks the deletion)."""
    deals, leads = references(record)
    preview = {"deal_count": deals, "lead_count": leads}
    if isinstance(record, Organization):
        preview["contact_count"] = record.contacts.count()
        preview["contacts_in_use"] = contacts_in_use(record)
    return preview

"""The four lists that saved views, bulk actions and tags work on, and what the lists app
needs to know of each: its model, the scoped rows, its filters, who may change a row and
which bulk actions it offers. The apps below keep their own rules; this only points at them."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import scoping
from customers.models import Contact, Organization
from deals import filters as deal_filters
from deals import selectors as deal_selectors
from deals.models import Deal
from directory import filters as directory_filters
from directory import selectors as directory_selectors
from leads import filters as lead_filters
from leads import selectors as lead_selectors
from leads import services as lead_services
from leads.models import Lead

OWNER, STAGE, TAG, DELETE = "owner", "stage", "tag", "delete"


@dataclass(frozen=True)
class ListKind:
    key: str
    model: type
    list_url: str
    detail_url: str
    filterset: type
    actions: tuple
    label: object

    def visible(self, user):
        """The rows the user sees (the same selector as the list page)."""
        return _VISIBLE[self.key](user)

    def filtered(self, user, params):
        """The rows of the list under `params` (its filters; the sort does not matter)."""
        params = params.copy()
        params.pop("o", None)
        return _FILTERED[self.key](user, params)

    def can_change(self, user, record):
        return _CAN_CHANGE[self.key](user, record)

    def param_keys(self):
        """The query parameters the list understands: its filters, the sort and the columns."""
        return {*self.filterset.base_filters, "o", "cols"}

    def count_text(self, count):
        return _COUNT[self.key](count) % {"count": count}


def _organization_filtered(user, params):
    queryset = directory_selectors.organization_list_for_user(user=user)
    filterset = directory_filters.OrganizationFilter(params, queryset=queryset, user=user)
    return filterset.qs if filterset.is_valid() else queryset.none()


def _contact_filtered(user, params):
    queryset = directory_selectors.contact_list_for_user(user=user)
    filterset = directory_filters.ContactFilter(params, queryset=queryset, user=user)
    return filterset.qs if filterset.is_valid() else queryset.none()


def _lead_filtered(user, params):
    filterset = lead_selectors.lead_filter_for_user(user=user, params=params)
    return filterset.qs if filterset.is_valid() else lead_selectors.lead_list_for_user(user=user).none()


_VISIBLE = {
    "deals": lambda user: deal_selectors.deal_list_for_user(user=user),
    "leads": lambda user: lead_selectors.lead_list_for_user(user=user),
    "organizations": lambda user: directory_selectors.organization_list_for_user(user=user),
    "contacts": lambda user: directory_selectors.contact_list_for_user(user=user),
}
_FILTERED = {
    "deals": lambda user, params: deal_selectors.board_filter(user=user, pipeline=None, data=params).qs,
    "leads": _lead_filtered,
    "organizations": _organization_filtered,
    "contacts": _contact_filtered,
}
# Deals and leads: who may change a record of its owner; organizations and contacts are shared
# customer records whose facts whoever sees them may edit (docs/customers.md).
_CAN_CHANGE = {
    "deals": lambda user, deal: scoping.can_change_owned(user, deal.owner),
    "leads": lambda user, lead: lead_services.can_change(user, lead),
    "organizations": lambda user, record: True,
    "contacts": lambda user, record: True,
}
_COUNT = {
    "deals": lambda n: ngettext("%(count)d deal", "%(count)d deals", n),
    "leads": lambda n: ngettext("%(count)d lead", "%(count)d leads", n),
    "organizations": lambda n: ngettext("%(count)d organization", "%(count)d organizations", n),
    "contacts": lambda n: ngettext("%(count)d contact", "%(count)d contacts", n),
}

KINDS = {
    "deals": ListKind(
        "deals", Deal, "deals:list", "deals:detail", deal_filters.BoardFilter, (OWNER, STAGE, TAG), _("Deals")
    ),
    "leads": ListKind("leads", Lead, "leads:list", "leads:detail", lead_filters.LeadFilter, (OWNER, TAG), _("Leads")),
    "organizations": ListKind(
        "organizations",
        Organization,
        "organizations:list",
        "organizations:detail",
        directory_filters.OrganizationFilter,
        (OWNER, TAG, DELETE),
        _("Organizations"),
    ),
    "contacts": ListKind(
        "contacts",
        Contact,
        "contacts:list",
        "contacts:detail",
        directory_filters.ContactFilter,
        (OWNER, TAG, DELETE),
        _("Contacts"),
    ),
}

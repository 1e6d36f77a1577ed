"""The customers a deal may point at are the ones the user sees on the organization and contact
pages (the rule is deals.selectors'; the pages add their trash filter and joins), for every role."""

import pytest

from deals import selectors
from directory import selectors as directory_selectors
from tests import factories


@pytest.fixture
def customers(rep, teammate, outsider, manager):
    """Organizations and contacts reached every way: owned, through a deal, through a lead,
    through their organization — for users inside and outside the north team."""
    own = factories.OrganizationFactory(name="Own", owner=rep)
    via_deal = factories.OrganizationFactory(name="Via deal", owner=None)
    factories.DealFactory(owner=teammate, organization=via_deal)
    via_lead = factories.OrganizationFactory(name="Via lead", owner=None)
    factories.LeadFactory(owner=rep, organization=via_lead)
    hidden = factories.OrganizationFactory(name="Hidden", owner=outsider)
    factories.DealFactory(owner=outsider, organization=hidden)
    for organization in (own, via_deal, via_lead, hidden):
        factories.ContactFactory(organization=organization, last_name=f"At {organization.name}")
    factories.ContactFactory(organization=None, last_name="Loose", owner=outsider)
    factories.ContactFactory(organization=None, last_name="Mine", owner=rep)


@pytest.mark.parametrize("viewer", ["rep", "teammate", "outsider", "manager", "manager_south", "admin"])
def test_deal_pickers_offer_exactly_what_the_customer_pages_show(request, customers, viewer):
    user = request.getfixturevalue(viewer)
    organizations = set(selectors.organization_choices_for_user(user=user).values_list("pk", flat=True))
    expected = set(directory_selectors.organization_list_for_user(user=user).values_list("pk", flat=True))
    assert organizations == expected
    contacts = set(selectors.contact_choices_for_user(user=user).values_list("pk", flat=True))
    assert contacts == set(directory_selectors.contact_list_for_user(user=user).values_list("pk", flat=True))
    if viewer == "outsider":
        assert organizations and "Own" not in {o.name for o in selectors.organization_options(user=user)}


def test_organization_options_put_names_that_start_with_the_text_first(rep):
    factories.OrganizationFactory(name="Big Acme", owner=rep)
    factories.OrganizationFactory(name="Acme", owner=rep)
    factories.OrganizationFactory(name="Other", owner=rep)
    assert [o.name for o in selectors.organization_options(user=rep, text="acme")] == ["Acme", "Big Acme"]

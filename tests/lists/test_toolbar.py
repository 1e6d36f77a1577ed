"""Every list loads the shared toolbar and offers its own bulk actions."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

ACTIONS = {
    "deals": ["owner", "stage", "tag"],
    "leads": ["owner", "tag"],
    "organizations": ["owner", "tag", "delete"],
    "contacts": ["owner", "tag", "delete"],
}
LIST_URLS = {
    "deals": "deals:list",
    "leads": "leads:list",
    "organizations": "organizations:list",
    "contacts": "contacts:list",
}


@pytest.mark.parametrize("list_key", ACTIONS)
def test_the_toolbar_offers_the_lists_actions(client, rep, stages, list_key):
    factories.TagFactory()
    client.force_login(rep)
    page = client.get(reverse("lists:toolbar", args=[list_key])).content.decode()
    offered = [key for key in ("owner", "stage", "tag", "delete") if f'<option value="{key}">' in page]
    assert offered == ACTIONS[list_key]


@pytest.mark.parametrize("list_key", ACTIONS)
def test_the_list_page_loads_the_toolbar_and_has_row_checkboxes(client, rep, stages, list_key):
    record = {
        "deals": lambda: factories.DealFactory(owner=rep, stage=stages[0]),
        "leads": lambda: factories.LeadFactory(owner=rep),
        "organizations": lambda: factories.OrganizationFactory(owner=rep),
        "contacts": lambda: factories.ContactFactory(owner=rep),
    }[list_key]()
    client.force_login(rep)
    page = client.get(reverse(LIST_URLS[list_key])).content.decode()
    assert reverse("lists:toolbar", args=[list_key]) in page
    assert f'name="ids" value="{record.pk}" form="bulk-form"' in page


def test_an_unknown_list_has_no_toolbar(client, rep):
    client.force_login(rep)
    assert client.get(reverse("lists:toolbar", args=["nothing"])).status_code == 404

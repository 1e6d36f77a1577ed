"""The segment pages: live counts in the reader's scope, the list's filter form for creating and
editing (managers and admins), members paged, "Save as segment" from the lists, enrol all."""

import pytest
from django.urls import reverse

from nurturing.models import Enrolment, Segment, Sequence
from tests import factories
from tests.nurturing import pages

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def people(rep, teammate, outsider):
    north = factories.OrganizationFactory(region="north", owner=rep)
    south = factories.OrganizationFactory(region="south", owner=rep)
    elsewhere = factories.OrganizationFactory(region="north", owner=outsider)
    return {
        "mine": factories.ContactFactory(last_name="Mine", organization=north, owner=rep, email_consent="granted"),
        "team": factories.ContactFactory(
            last_name="Teamer", organization=north, owner=teammate, email_consent="granted"
        ),
        "far": factories.ContactFactory(last_name="Faraway", organization=elsewhere, owner=outsider),
        "south": factories.ContactFactory(last_name="Southern", organization=south, owner=rep),
    }


def test_the_list_counts_members_in_the_readers_scope(client, admin, rep, people):
    segment = pages.segment(admin)
    client.force_login(admin)
    html = client.get(reverse("nurturing:segment_list")).content.decode()
    assert segment.name in html and ">3<" in html
    client.force_login(rep)
    html = client.get(reverse("nurturing:segment_list")).content.decode()
    assert ">2<" in html  # the outsider's contact is not the rep's to see
    assert "New contact segment" not in html


def test_a_manager_creates_a_segment_from_the_list_filter_form(client, manager, people):
    client.force_login(manager)
    form = client.get(reverse("nurturing:segment_create"), {"kind": "contacts", "region": "north"})
    assert 'name="industry"' in form.content.decode() and 'value="north" selected' in form.content.decode()
    response = client.post(
        reverse("nurturing:segment_create") + "?kind=contacts",
        {"name": "North", "region": "north", "industry": "", "o": "name"},
    )
    segment = Segment.objects.get(name="North")
    assert response.status_code == 302 and segment.query == "region=north"
    assert segment.kind == "contacts" and segment.owner == manager


def test_a_segment_with_filters_the_list_refuses_is_not_saved(client, manager):
    client.force_login(manager)
    response = client.post(reverse("nurturing:segment_create") + "?kind=leads", {"name": "Bad", "band": "boiling"})
    assert response.status_code == 400 and not Segment.objects.exists()


def test_a_rep_may_read_but_not_write_segments(client, rep, admin, people):
    segment = pages.segment(admin)
    client.force_login(rep)
    assert client.get(reverse("nurturing:segment_create")).status_code == 403
    assert client.post(reverse("nurturing:segment_edit", args=[segment.pk]), {"name": "x"}).status_code == 403
    html = client.get(reverse("nurturing:segment_detail", args=[segment.pk])).content.decode()
    assert "Mine" in html and "Teamer" in html and "Faraway" not in html and "Southern" not in html


def test_editing_changes_name_and_filters(client, manager, people):
    segment = pages.segment(manager)
    client.force_login(manager)
    response = client.post(reverse("nurturing:segment_edit", args=[segment.pk]), {"name": "South", "region": "south"})
    segment.refresh_from_db()
    assert response.status_code == 302 and (segment.name, segment.query) == ("South", "region=south")


def test_members_page_through_htmx(client, admin, people):
    segment = pages.segment(admin, query="")
    client.force_login(admin)
    response = client.get(reverse("nurturing:segment_detail", args=[segment.pk]), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="segment-members">') and "4 members" in html


def test_a_deleted_tag_makes_the_segment_say_so(client, admin, people):
    tag = factories.TagFactory(name="VIP")
    segment = pages.segment(admin, query=f"tag={tag.pk}")
    tag.delete()
    client.force_login(admin)
    html = client.get(reverse("nurturing:segment_detail", args=[segment.pk])).content.decode()
    assert "no longer hold" in html
    assert "filters no longer valid" in client.get(reverse("nurturing:segment_list")).content.decode()


def test_the_lists_offer_save_as_segment_to_managers_only(client, manager, rep, people):
    client.force_login(manager)
    html = client.get(reverse("contacts:list"), {"region": "north"}).content.decode()
    assert "?kind=contacts&amp;region=north" in html
    assert "?kind=leads" in client.get(reverse("leads:list")).content.decode()
    client.force_login(rep)
    assert "save-as-segment" not in client.get(reverse("contacts:list")).content.decode()


def test_enrol_all_members_enrols_the_owners_members(client, manager, people):
    segment = pages.segment(manager)
    sequence = pages.sequence(manager, status=Sequence.Status.ACTIVE, steps=[{"kind": "wait", "wait_days": 1}])
    client.force_login(manager)
    response = client.post(reverse("nurturing:segment_enrol", args=[segment.pk]), {"sequence": sequence.pk})
    assert response.status_code == 302
    enrolled = set(Enrolment.objects.filter(sequence=sequence).values_list("contact__last_name", flat=True))
    assert enrolled == {"Mine", "Teamer"}  # the manager sees Team North only

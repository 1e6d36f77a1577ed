"""The contact pages: the list (scoped, filtered, sorted, paged), create and edit with the
organization typed by name and further addresses, the 360° page with consent and timeline,
delete into the trash and restore, the organization suggestions."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from customers.models import ConsentChange, Contact, ContactChannel, ContactMove
from tests import factories

LIST = reverse("contacts:list")
CREATE = reverse("contacts:create")
SUGGEST = reverse("organizations:suggest")
HTMX = {"HTTP_HX_REQUEST": "true"}


def names(response):
    html = response.content.decode()
    table = html.split('data-testid="contact-table"')[1].split("</table>")[0]
    shown = [c for c in Contact.all_objects.all() if f">{c}</a>" in table]
    return [c.last_name for c in sorted(shown, key=lambda c: table.index(f">{c}</a>"))]


def form_data(**fields):
    """A contact form post with an empty channel formset unless `channels` are given."""
    channels = fields.pop("channels", [])
    data = {
        "channels-TOTAL_FORMS": str(max(len(channels), 2)),
        "channels-INITIAL_FORMS": "0",
        "channels-MIN_NUM_FORMS": "0",
        "channels-MAX_NUM_FORMS": "20",
    }
    for i in range(max(len(channels), 2)):
        kind, label, value = channels[i] if i < len(channels) else ("email", "work", "")
        data |= {f"channels-{i}-kind": kind, f"channels-{i}-label": label, f"channels-{i}-value": value}
    return data | fields


@pytest.fixture
def world(rep, teammate, outsider, stages):
    alpha = factories.OrganizationFactory(name="Alpha GmbH", region="south", industry="retail", owner=rep)
    mine = factories.ContactFactory(last_name="Mayer", organization=alpha, owner=rep, decision_role="decision_maker")
    beta = factories.OrganizationFactory(name="Beta AG", region="north", owner=outsider)
    team = factories.ContactFactory(last_name="Teamer", organization=beta, owner=teammate, decision_role="user")
    factories.DealFactory(owner=teammate, organization=beta, contact=team, stage=stages[0], value=5000)
    gamma = factories.OrganizationFactory(name="Gamma KG", region="north", owner=outsider)
    through_lead = factories.ContactFactory(last_name="Leadmann", organization=gamma, owner=outsider)
    factories.LeadFactory(owner=rep, contact=through_lead)
    delta = factories.OrganizationFactory(name="Delta SE", region="south", owner=outsider)
    hidden = factories.ContactFactory(last_name="Hidden", organization=delta, owner=outsider)
    return {"mine": mine, "team": team, "lead": through_lead, "hidden": hidden, "alpha": alpha, "delta": delta}


def test_a_rep_lists_their_own_their_teams_and_those_on_their_deals_and_leads(client, rep, world):
    client.force_login(rep)
    assert sorted(names(client.get(LIST))) == ["Leadmann", "Mayer", "Teamer"]


def test_a_manager_lists_the_teams_contacts_and_those_on_the_teams_leads(client, manager, world):
    client.force_login(manager)
    assert sorted(names(client.get(LIST))) == ["Leadmann", "Mayer", "Teamer"]


def test_an_outsider_lists_only_their_own(client, outsider, world):
    client.force_login(outsider)
    assert sorted(names(client.get(LIST))) == ["Hidden", "Leadmann", "Teamer"]


def test_an_admin_lists_every_contact_but_not_the_trash(client, admin, world):
    Contact.objects.filter(pk=world["lead"].pk).update(deleted_at=timezone.now())
    client.force_login(admin)
    assert sorted(names(client.get(LIST))) == ["Hidden", "Mayer", "Teamer"]


def test_a_contact_outside_the_scope_is_not_found(client, rep, world):
    client.force_login(rep)
    for name in ("detail", "edit", "delete", "timeline"):
        assert client.get(reverse(f"contacts:{name}", args=[world["hidden"].pk])).status_code == 404
    consent = {"status": "granted", "source": "phone"}
    assert client.post(reverse("contacts:consent", args=[world["hidden"].pk]), consent).status_code == 404


def test_a_teammates_contact_opens_for_the_rep(client, rep, world):
    client.force_login(rep)
    response = client.get(reverse("contacts:detail", args=[world["team"].pk]))
    assert response.status_code == 200
    assert "Beta AG" in response.content.decode()


def test_filters_combine_and_the_table_comes_alone_for_htmx(client, rep, world):
    client.force_login(rep)
    assert sorted(names(client.get(LIST, {"region": "north"}))) == ["Leadmann", "Teamer"]
    assert names(client.get(LIST, {"region": "north", "open_deals": "yes"})) == ["Teamer"]
    assert names(client.get(LIST, {"industry": "retail"})) == ["Mayer"]
    assert names(client.get(LIST, {"decision_role": "decision_maker"})) == ["Mayer"]
    assert names(client.get(LIST, {"q": "gamma"})) == ["Leadmann"]
    partial = client.get(LIST, {"q": "beta"}, **HTMX).content.decode()
    assert partial.strip().startswith('<div id="contact-table">') and "<html" not in partial
    assert "Teamer" in partial


def test_the_consent_filter_reads_the_recorded_consent(client, rep, world):
    Contact.objects.filter(pk=world["team"].pk).update(email_consent="granted")
    client.force_login(rep)
    assert names(client.get(LIST, {"email_consent": "granted"})) == ["Teamer"]


def test_last_activity_filter_and_column_read_done_activities_on_visible_deals(client, rep, teammate, world):
    deal = world["team"].deals.get()
    factories.ActivityFactory(deal=deal, assignee=teammate, done_at=timezone.now() - timedelta(days=3))
    client.force_login(rep)
    assert names(client.get(LIST, {"activity": "7"})) == ["Teamer"]
    assert sorted(names(client.get(LIST, {"activity": "none90"}))) == ["Leadmann", "Mayer"]
    row = client.get(LIST).content.decode().split(f'data-contact-id="{world["team"].pk}"')[1].split("</tr>")[0]
    assert formats.date_format(timezone.localdate() - timedelta(days=3), "SHORT_DATE_FORMAT") in row


def test_sorting_by_open_deals_and_by_organization(client, rep, world, stages):
    for _ in range(2):
        factories.DealFactory(owner=rep, organization=world["alpha"], contact=world["mine"], stage=stages[0])
    client.force_login(rep)
    assert names(client.get(LIST, {"o": "-open_deals"})) == ["Mayer", "Teamer", "Leadmann"]
    assert names(client.get(LIST, {"o": "-organization"})) == ["Leadmann", "Teamer", "Mayer"]
    assert names(client.get(LIST, {"o": "name"})) == ["Leadmann", "Mayer", "Teamer"]


def test_the_list_costs_the_same_queries_at_two_sizes(client, rep, stages):
    """4 queries: the session's user, the count, the owner filter's users, the page of rows
    (organization and owner joined, open deals and last activity as subqueries)."""
    client.force_login(rep)

    def grow(n):
        for _ in range(n):
            contact = factories.ContactFactory(owner=rep)
            factories.DealFactory(owner=rep, organization=contact.organization, contact=contact, stage=stages[0])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    grow(3)
    small = count()
    grow(60)
    assert count() == small


def test_creating_normalises_the_phone_and_finds_the_organization_by_name(client, rep, world):
    client.force_login(rep)
    data = form_data(
        first_name="Jana", last_name="Klein", organization="  alpha   gmbh ", phone="030 1234567", email="j@alpha.de"
    )
    response = client.post(CREATE, data)
    contact = Contact.objects.get(last_name="Klein")
    assert response.url == reverse("contacts:detail", args=[contact.pk])
    assert (contact.organization, contact.phone, contact.owner) == (world["alpha"], "+49301234567", rep)
    page = client.get(response.url).content.decode()
    assert "030 1234567" in page and "+49301234567" in page
    edit = client.get(reverse("contacts:edit", args=[contact.pk])).content.decode()
    assert 'value="030 1234567"' in edit and 'value="Alpha GmbH"' in edit


def test_bad_input_re_renders_with_messages_and_keeps_what_was_typed(client, rep, world):
    client.force_login(rep)
    data = form_data(
        first_name="Kai",
        last_name="Kaputt",
        phone="12",
        email="not-an-address",
        job_title="Einkauf",
        channels=[("phone", "mobile", "0")],
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("not a valid phone number") == 2 and "valid email address" in html
    assert 'value="Einkauf"' in html and 'value="Kaputt"' in html
    assert not Contact.objects.filter(last_name="Kaputt").exists()


def test_an_organization_the_user_does_not_see_is_an_unknown_name(client, rep, world):
    client.force_login(rep)
    for name in ("Delta SE", "Nowhere Ltd"):
        response = client.post(CREATE, form_data(last_name="Fremd", organization=name))
        assert response.status_code == 400
        assert f"You see no organization called “{name}”" in response.content.decode()
    assert not Contact.objects.filter(last_name="Fremd").exists()


def test_a_name_two_visible_organizations_share_asks_for_the_organizations_page(client, rep, world):
    twin = factories.OrganizationFactory(name="ALPHA GMBH", owner=rep)
    client.force_login(rep)
    response = client.post(CREATE, form_data(last_name="Zwilling", organization="Alpha GmbH"))
    assert response.status_code == 400
    assert "Several organizations are called" in response.content.decode()
    page = client.get(CREATE, {"organization": twin.pk}).content.decode()
    assert 'value="ALPHA GMBH"' in page and f'value="{twin.pk}"' in page
    data = form_data(last_name="Zwilling", organization="ALPHA GMBH", organization_id=twin.pk)
    assert client.post(CREATE, data).status_code == 302
    assert Contact.objects.get(last_name="Zwilling").organization == twin


def test_new_contact_preselects_only_a_visible_organization(client, rep, world):
    client.force_login(rep)
    page = client.get(CREATE, {"organization": world["alpha"].pk}).content.decode()
    assert 'value="Alpha GmbH"' in page
    assert f'hx-get="{SUGGEST}"' in page and '<datalist id="organization-suggestions">' in page
    assert "Delta SE" not in client.get(CREATE, {"organization": world["delta"].pk}).content.decode()


def test_moving_a_contact_to_another_organization_is_recorded(client, rep, world):
    other = factories.OrganizationFactory(name="Omega GmbH", owner=rep)
    contact = world["mine"]
    client.force_login(rep)
    data = form_data(first_name=contact.first_name, last_name="Mayer", organization="Omega GmbH", owner=rep.pk)
    response = client.post(reverse("contacts:edit", args=[contact.pk]), data)
    assert response.status_code == 302
    move = ContactMove.objects.get(contact=contact)
    assert (move.from_organization, move.to_organization, move.actor) == (world["alpha"], other, rep)
    moves = client.get(response.url).content.decode().split('data-testid="contact-moves"')[1].split("</ul>")[0]
    assert "Alpha GmbH → Omega GmbH" in moves


def test_further_addresses_are_saved_checked_and_blank_rows_ignored(client, rep, world):
    client.force_login(rep)
    channels = [("email", "private", "jana@privat.de"), ("phone", "mobile", "0171 2345678"), ("email", "work", "")]
    response = client.post(CREATE, form_data(last_name="Vielfach", channels=channels))
    contact = Contact.objects.get(last_name="Vielfach")
    saved = sorted(contact.channels.values_list("kind", "label", "value"))
    assert saved == [("email", "private", "jana@privat.de"), ("phone", "mobile", "+491712345678")]
    page = client.get(response.url).content.decode()
    assert 'href="mailto:jana@privat.de"' in page and "0171 2345678" in page
    edit = client.get(reverse("contacts:edit", args=[contact.pk])).content.decode()
    assert 'value="0171 2345678"' in edit


def test_editing_with_the_rows_emptied_removes_further_addresses(client, rep, world):
    contact = world["mine"]
    ContactChannel.objects.create(contact=contact, kind="email", value="old@alpha.de")
    client.force_login(rep)
    data = form_data(last_name="Mayer", organization="Alpha GmbH", owner=rep.pk)
    assert client.post(reverse("contacts:edit", args=[contact.pk]), data).status_code == 302
    assert not contact.channels.exists()


def test_consent_needs_a_source_and_is_kept_as_history(client, rep, world):
    contact = world["mine"]
    url = reverse("contacts:consent", args=[contact.pk])
    client.force_login(rep)
    response = client.post(url, {"status": "granted", "source": "  "})
    assert response.status_code == 400
    assert 'data-testid="consent-form"' in response.content.decode()
    assert not ConsentChange.objects.filter(contact=contact).exists()
    client.post(url, {"status": "granted", "source": "web form"})
    client.post(url, {"status": "withdrawn", "source": "e-mail reply"})
    contact.refresh_from_db()
    assert contact.email_consent == "withdrawn"
    history = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    history = history.split('data-testid="consent-history"')[1].split("</ul>")[0]
    assert "e-mail reply" in history and "web form" in history
    assert history.index("e-mail reply") < history.index("web form")


def test_the_360_page_shows_figures_deals_leads_activities_and_timeline(client, rep, stages, world):
    contact = world["mine"]
    won = factories.DealFactory(owner=rep, contact=contact, organization=world["alpha"], stage=stages[0], value=1200)
    won.status, won.won_at = "won", timezone.now()
    won.save()
    open_deal = factories.DealFactory(
        owner=rep, contact=contact, organization=world["alpha"], stage=stages[0], value=800, title="Rollout"
    )
    factories.ActivityFactory(deal=open_deal, subject="Call back", due_at=timezone.now() + timedelta(days=2))
    factories.LeadFactory(owner=rep, contact=contact, first_name="Nils", last_name="Neu")
    client.force_login(rep)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    figures = html.split('data-testid="contact-figures"')[1].split('<div class="grid')[0]
    assert "1,200" in figures and "800" in figures and "1 open deal" in figures
    assert "Rollout" in html.split('data-testid="contact-open-deals"')[1].split("</ul>")[0]
    assert "Nils" in html.split('data-testid="contact-leads"')[1].split("</ul>")[0]
    assert "Call back" in html.split('data-testid="contact-planned"')[1].split("</ul>")[0]
    assert 'data-testid="timeline-item"' in html.split('data-testid="timeline"')[1]
    assert 'href="/organizations/{}/"'.format(world["alpha"].pk) in html


def test_the_timeline_panel_comes_alone_for_htmx(client, rep, world):
    client.force_login(rep)
    html = client.get(reverse("contacts:timeline", args=[world["team"].pk]), **HTMX).content.decode()
    assert html.strip().startswith('<div id="timeline-body"') and "<html" not in html


def test_the_timeline_leaves_out_deals_the_user_does_not_see(client, rep, outsider, world, stages):
    factories.DealFactory(owner=outsider, contact=world["mine"], organization=world["alpha"], title="Geheim")
    client.force_login(rep)
    html = client.get(reverse("contacts:timeline", args=[world["mine"].pk]), **HTMX).content.decode()
    assert "Geheim" not in html


def test_the_360_page_costs_the_same_queries_at_two_sizes(client, rep, stages, world):
    """The session's user and the contact; deals, leads, figures, last and next contact,
    further addresses, moves, consent history, planned and done activities; the timeline: the
    visible deal and lead ids, the content type, audit entries, stage changes, status changes,
    activities planned and done, then one query per kind of record named by a change."""
    contact = world["mine"]
    client.force_login(rep)

    def grow(n):
        for i in range(n):
            deal = factories.DealFactory(owner=rep, contact=contact, organization=world["alpha"], stage=stages[0])
            factories.ActivityFactory(deal=deal, done_at=timezone.now() if i % 2 else None)
            factories.LeadFactory(owner=rep, contact=contact)
            ContactChannel.objects.create(
                contact=contact, kind="email", value=f"extra{ContactChannel.objects.count()}@x.de"
            )
            ConsentChange.objects.create(contact=contact, status="granted", source="web form")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("contacts:detail", args=[contact.pk])).status_code == 200
        return len(queries)

    grow(2)
    small = count()
    grow(30)
    assert count() == small


def test_a_contact_with_deals_is_not_deleted_and_the_page_says_why(client, rep, world):
    contact = world["team"]
    client.force_login(rep)
    url = reverse("contacts:delete", args=[contact.pk])
    assert 'data-testid="delete-blocked"' in client.get(url).content.decode()
    response = client.post(url)
    # the rep may not delete a teammate's contact: forbidden before the deals are looked at
    assert response.status_code == 403
    client.force_login(factories.UserFactory(username="ada2", role="admin"))
    response = client.post(url)
    assert response.status_code == 400
    assert "Move them to another record first" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_delete_goes_to_the_trash_and_restore_brings_it_back(client, rep, world):
    contact = world["mine"]
    client.force_login(rep)
    response = client.post(reverse("contacts:delete", args=[contact.pk]))
    assert response.url == LIST
    assert client.get(reverse("contacts:detail", args=[contact.pk])).status_code == 404
    assert "Mayer" not in names(client.get(LIST))
    assert "Mayer" in client.get(reverse("contacts:trash")).content.decode()
    response = client.post(reverse("contacts:restore", args=[contact.pk]))
    assert response.url == reverse("contacts:detail", args=[contact.pk])
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_someone_elses_trash_cannot_be_restored_by_a_rep(client, rep, outsider):
    contact = factories.ContactFactory(owner=outsider, last_name="Fremdmüll")
    Contact.objects.filter(pk=contact.pk).update(deleted_at=timezone.now(), deleted_by=outsider)
    client.force_login(rep)
    assert "trash is empty" in client.get(reverse("contacts:trash")).content.decode()
    assert client.post(reverse("contacts:restore", args=[contact.pk])).status_code == 404


def test_suggestions_name_only_organizations_the_user_sees(client, rep, world):
    factories.OrganizationFactory(name="Alphabet Inc", owner=rep)
    client.force_login(rep)
    html = client.get(SUGGEST, {"q": "alpha"}).content.decode()
    assert html.index('value="Alpha GmbH"') < html.index('value="Alphabet Inc"')
    assert "Delta" not in client.get(SUGGEST, {"q": "delta"}).content.decode()
    assert 'value="Alpha GmbH"' in client.get(SUGGEST, {"organization": "alp"}, **HTMX).content.decode()


def test_suggestions_stop_at_twenty(client, rep):
    for i in range(25):
        factories.OrganizationFactory(name=f"Muster {i:02d} GmbH", owner=rep)
    client.force_login(rep)
    assert client.get(SUGGEST, {"q": "muster"}).content.decode().count("<option") == 20


def test_the_organization_page_links_its_contacts_and_offers_a_new_one(client, rep, world):
    client.force_login(rep)
    html = client.get(reverse("organizations:detail", args=[world["alpha"].pk])).content.decode()
    assert f'href="{reverse("contacts:detail", args=[world["mine"].pk])}"' in html
    assert f'href="{CREATE}?organization={world["alpha"].pk}"' in html


def test_the_timeline_shows_the_contacts_own_changes(client, rep, world):
    contact = world["mine"]
    client.force_login(rep)
    data = form_data(last_name="Mayer", organization="Alpha GmbH", owner=rep.pk, job_title="Einkaufsleitung")
    assert client.post(reverse("contacts:edit", args=[contact.pk]), data).status_code == 302
    html = client.get(reverse("contacts:timeline", args=[contact.pk]), **HTMX).content.decode()
    assert "Einkaufsleitung" in html

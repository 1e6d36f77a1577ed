"""The import pages and the links on the lists."""

import re

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("record_type", ["organizations", "contacts", "deals", "activities"])
def test_upload_page_lists_the_fields_of_the_record_type(client, rep, record_type):
    client.force_login(rep)
    page = client.get(f"/import/{record_type}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    required = {"organizations": "name", "contacts": "last_name", "deals": "title", "activities": "subject"}
    assert f"<code>{required[record_type]}</code>" in page


def test_upload_without_a_file_answers_400(client, rep):
    client.force_login(rep)
    assert client.post("/import/deals/", {"encoding": "auto"}).status_code == 400


def test_mapping_form_shows_the_guess_and_the_first_rows(client, rep, upload):
    client.force_login(rep)
    job = upload("contacts", "Vorname;Nachname;Hobby\nAnna;Arndt;Segeln\n")
    page = client.get(f"/imports/{job.pk}/").content.decode()
    selected = re.findall(r'<select name="(col_\d)"[^>]*>.*?<option value="([^"]*)"[^>]*selected', page, re.S)
    assert selected == [("col_0", "first_name"), ("col_1", "last_name"), ("col_2", "")]
    assert "Segeln" in page
    assert 'data-testid="import-confirm"' not in page  # only after a dry run without errors


def test_a_checked_file_offers_the_import_and_the_page_speaks_german(client, rep, upload, dry_run):
    client.force_login(rep)
    job = dry_run(upload("organizations", "Firma\nMüller GmbH\n"))
    page = client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Probelauf: Die Zeile ist korrekt." in page
    assert "1 Datensatz importieren" in page


def test_german_labels_of_choices_are_understood(client, rep, upload, dry_run):
    client.force_login(rep)
    job = dry_run(upload("organizations", "Firma;Branche;Region\nA;Produktion & Fertigung;Deutschland Süd\n"))
    assert job.error_rows == 0, job.report
    client.post(f"/imports/{job.pk}/confirm/")
    organization = factories.OrganizationFactory._meta.model.objects.get(name="A")
    assert (organization.industry, organization.region) == ("manufacturing", "south")


def test_lists_link_to_import_and_to_exports_with_their_filters(client, rep, stages):
    client.force_login(rep)
    page = client.get("/organizations/", {"region": "north"}).content.decode()
    assert 'href="/import/organizations/"' in page
    assert 'href="/export/organizations.csv?region=north' in page
    assert 'href="/export/organizations.xlsx?region=north' in page
    partial = client.get("/contacts/", {"decision_role": "user"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'href="/export/contacts.csv?decision_role=user' in partial
    board = client.get(f"/board/{stages[0].pipeline_id}/", {"status": "won"}).content.decode()
    assert 'href="/import/deals/"' in board
    assert f'href="/export/deals.csv?pipeline={stages[0].pipeline_id}&amp;status=won"' in board
    # A filter change re-renders the board with htmx: the links follow out of band.
    partial = client.get(
        f"/board/{stages[0].pipeline_id}/", {"status": "lost"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="board-export" class="board-export" hx-swap-oob="true"' in partial
    assert f'href="/export/deals.xlsx?pipeline={stages[0].pipeline_id}&amp;status=lost"' in partial
    activities = client.get("/activities/", {"kind": "call"}).content.decode()
    assert 'href="/import/activities/"' in activities
    assert 'href="/export/activities.xlsx?kind=call"' in activities

"""Likely duplicates in the dry run of an organization or contact import: warnings per row with
what matched and a link, hidden matches without details, rows of the same file, the
confirmation before importing, and queries that do not grow with the file."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Contact, ContactChannel, Organization
from tests import factories
from transfer import duplicates, services
from transfer.models import ImportJob

pytestmark = pytest.mark.django_db


def _by_row(job):
    return {entry["row"]: entry for entry in job.duplicates}


def test_an_organization_row_like_an_existing_one_gets_a_warning_with_what_matched(client, rep, upload, dry_run):
    client.force_login(rep)
    mueller = factories.OrganizationFactory(name="Müller GmbH", owner=rep)
    domain = factories.OrganizationFactory(name="Webshop", website="https://www.shop.example/de", owner=rep)
    vat = factories.OrganizationFactory(name="Steuer AG", vat_id="DE123456789", owner=rep)
    raw = (
        "Firma;Webseite;USt-IdNr\n"
        "Mueller AG;;\n"  # line 2: the name key
        "Other;shop.example;\n"  # line 3: the website's domain
        "Third;;DE 123 456 789\n"  # line 4: the VAT ID
        "Brand new;new.example;DE999\n"  # line 5: nothing
    )
    job = dry_run(upload("organizations", raw))
    assert (job.status, job.error_rows, job.duplicate_rows) == (ImportJob.Status.CHECKED, 0, 3)
    rows = _by_row(job)
    assert sorted(rows) == [2, 3, 4]
    assert rows[2]["records"] == [{"id": mueller.pk, "label": "Müller GmbH", "on": ["name"]}]
    assert rows[3]["records"] == [{"id": domain.pk, "label": "Webshop", "on": ["domain"]}]
    assert rows[4]["records"] == [{"id": vat.pk, "label": "Steuer AG", "on": ["vat"]}]
    assert not any(entry["hidden"] or entry["in_file"] for entry in job.duplicates)

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-duplicates"' in page
    assert f'href="/organizations/{mueller.pk}/"' in page
    assert "(matching VAT ID)" in page
    assert 'data-testid="duplicates-confirmed"' in page


def test_a_contact_row_matches_on_e_mail_and_phone_main_or_further(client, rep, upload, dry_run):
    client.force_login(rep)
    anna = factories.ContactFactory(first_name="Anna", last_name="Arndt", email="Anna@Acme.example", owner=rep)
    ben = factories.ContactFactory(first_name="Ben", last_name="Bauer", email="ben@acme.example", owner=rep)
    ContactChannel.objects.create(contact=ben, kind="phone", value="+493012345678")
    raw = (
        "Vorname,Nachname,E-Mail,Telefon\n"
        "Anna,A.,anna@acme.example,\n"  # the main e-mail, case ignored
        "B.,Bauer,,030 12345678\n"  # a further phone number
        "Cara,Clausen,cara@acme.example,\n"
    )
    job = dry_run(upload("contacts", raw))
    assert (job.error_rows, job.duplicate_rows) == (0, 2)
    rows = _by_row(job)
    assert rows[2]["records"] == [{"id": anna.pk, "label": "Anna Arndt", "on": ["email"]}]
    assert rows[3]["records"] == [{"id": ben.pk, "label": "Ben Bauer", "on": ["phone"]}]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert f'href="/contacts/{anna.pk}/"' in page


def test_a_match_outside_the_importers_scope_is_reported_without_the_record(client, rep, outsider, upload, dry_run):
    client.force_login(rep)
    factories.OrganizationFactory(name="Geheim GmbH", vat_id="DE111", owner=outsider)
    job = dry_run(upload("organizations", "Firma;USt-IdNr\nGeheim KG;\nAnders;DE111\n"))
    assert job.duplicate_rows == 2
    assert [(e["records"], e["hidden"]) for e in job.duplicates] == [([], True), ([], True)]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "a record you cannot see" in page
    assert "Geheim GmbH" not in page
    assert "matching name" not in page  # not even which key matched
    german = client.get(f"/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "ein Datensatz, den Sie nicht sehen können" in german


def test_rows_that_duplicate_each_other_within_the_file_are_flagged(client, rep, upload, dry_run):
    client.force_login(rep)
    raw = "Vorname,Nachname,E-Mail\nAnna,Arndt,anna@acme.example\nBen,Bauer,ben@acme.example\nA.,Arndt,ANNA@acme.example\n"
    job = dry_run(upload("contacts", raw))
    assert job.duplicate_rows == 1
    assert job.duplicates == [
        {"row": 4, "records": [], "more": 0, "hidden": False, "in_file": [{"row": 2, "on": ["email"]}]}
    ]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "row 2 of this file (matching e-mail)" in page


def test_rows_with_errors_get_no_duplicate_warning(client, rep, upload, dry_run):
    client.force_login(rep)
    factories.OrganizationFactory(name="Acme", owner=rep)
    job = dry_run(upload("organizations", "Firma;Land\nAcme;Atlantis\n"))
    assert (job.error_rows, job.duplicate_rows, job.duplicates) == (1, 0, [])


def test_import_of_likely_duplicates_needs_the_confirmation(client, rep, upload, dry_run):
    client.force_login(rep)
    factories.OrganizationFactory(name="Acme GmbH", owner=rep)
    job = dry_run(upload("organizations", "Firma\nAcme AG\nNeu GmbH\n"))
    assert (job.error_rows, job.duplicate_rows) == (0, 1)

    response = client.post(f"/imports/{job.pk}/confirm/", follow=True)
    assert "1 row looks like a duplicate: confirm" in response.content.decode()
    job.refresh_from_db()
    assert (job.status, Organization.objects.count()) == (ImportJob.Status.CHECKED, 1)

    client.post(f"/imports/{job.pk}/confirm/", {"duplicates_confirmed": "on"})
    job.refresh_from_db()
    assert (job.status, job.created_rows) == (ImportJob.Status.DONE, 2)
    assert sorted(Organization.objects.values_list("name", flat=True)) == ["Acme AG", "Acme GmbH", "Neu GmbH"]


def test_a_file_without_likely_duplicates_imports_without_confirmation(client, rep, upload, dry_run):
    client.force_login(rep)
    job = dry_run(upload("contacts", "Nachname,E-Mail\nArndt,anna@acme.example\n"))
    assert job.duplicate_rows == 0
    assert 'data-testid="duplicates-confirmed"' not in client.get(f"/imports/{job.pk}/").content.decode()
    client.post(f"/imports/{job.pk}/confirm/")
    assert Contact.objects.count() == 1


def test_imported_organizations_get_their_duplicate_keys(client, rep, upload, dry_run):
    """A bulk insert calls no save(): the import sets the name key and website domain itself,
    so the next file (and the create form) finds them."""
    client.force_login(rep)
    job = dry_run(upload("organizations", "Firma;Webseite\nMüller & Co. KG;https://www.mueller.example\n"))
    client.post(f"/imports/{job.pk}/confirm/")
    organization = Organization.objects.get()
    assert (organization.name_key, organization.website_domain) == ("mueller", "mueller.example")
    again = dry_run(upload("organizations", "Firma\nMueller\n"))
    assert _by_row(again)[2]["records"][0]["id"] == organization.pk


def test_a_row_names_at_most_three_records_and_counts_the_rest(rep):
    for i in range(5):
        factories.OrganizationFactory(name=f"Acme {['GmbH', 'AG', 'KG', 'SE', 'UG'][i]}", owner=rep)
    warnings = duplicates.row_warnings(user=rep, record_type="organizations", rows=[(2, {"name": "Acme"})])
    assert (len(warnings[0]["records"]), warnings[0]["more"]) == (3, 2)


def test_deals_and_activities_get_no_duplicate_check(rep):
    assert duplicates.row_warnings(user=rep, record_type="deals", rows=[(2, {"title": "x"})]) == []


def _dry_run_queries(rep, record_type, raw):
    job = services.import_create(actor=rep, record_type=record_type, file_name="f.csv", raw=raw.encode())
    with CaptureQueriesContext(connection) as queries:
        services.import_check(job_id=job.pk, actor=rep, targets=job.mapping)
    job.refresh_from_db()
    return len(queries), job.duplicate_rows


@pytest.mark.parametrize("record_type", ["organizations", "contacts"])
def test_dry_run_duplicate_queries_do_not_grow_per_row(rep, outsider, settings, record_type):
    """One query per key kind over all the rows' keys, one for what the importer sees: a file of
    10 rows and one of 200 (each row a likely duplicate) cost the same queries."""
    settings.TRANSFER_IMPORT_BATCH_SIZE = 10_000
    if record_type == "organizations":
        for i in range(200):
            factories.OrganizationFactory(name=f"Firma {i}", vat_id=f"DE{i}", owner=rep if i % 2 else outsider)

        def raw(n):
            return "Firma;Webseite;USt-IdNr\n" + "".join(f"Firma {i} KG;f{i}.example;DE{i}\n" for i in range(n))

    else:
        for i in range(200):
            contact = factories.ContactFactory(email=f"p{i}@acme.example", owner=rep if i % 2 else outsider)
            ContactChannel.objects.create(contact=contact, kind="phone", value=f"+4930123{i:04d}")

        def raw(n):
            return "Nachname,E-Mail,Telefon\n" + "".join(f"P{i},p{i}@acme.example,+4930123{i:04d}\n" for i in range(n))

    _dry_run_queries(rep, record_type, raw(1))  # content types and the like, cached from then on
    small, large = _dry_run_queries(rep, record_type, raw(10)), _dry_run_queries(rep, record_type, raw(200))
    assert small[1] == 10
    assert large[1] == 200
    assert small[0] == large[0]


def test_large_files_are_matched_in_chunks_with_the_same_answer(rep, outsider, monkeypatch):
    for i in range(7):
        factories.OrganizationFactory(
            name=f"Firma {i}", vat_id="DE42" if i == 6 else "", owner=rep if i % 2 else outsider
        )
    rows = [(i + 2, {"name": f"Firma {i}", "vat_id": "DE42"}) for i in range(7)]
    whole = duplicates.row_warnings(user=rep, record_type="organizations", rows=rows)
    monkeypatch.setattr(duplicates, "CHUNK_ROWS", 2)
    assert duplicates.row_warnings(user=rep, record_type="organizations", rows=rows) == whole
    assert [entry["row"] for entry in whole] == [2, 3, 4, 5, 6, 7, 8]
    assert whole[1]["in_file"] == [{"row": 2, "on": ["vat"]}]

"""Import of organizations, contacts, deals and activities: mapping, dry run, all-or-nothing."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from activities.models import Activity
from audit.models import LogEntry
from customers.models import Contact, Organization
from deals.models import Deal, StageChange
from tests import factories
from transfer import mapping, services
from transfer.models import ColumnMapping, ImportJob

pytestmark = pytest.mark.django_db


def test_headers_are_guessed_in_german():
    user = factories.UserFactory()
    headers = ["Firma", "Branche", "Telefon", "PLZ", "Ort", "USt-IdNr.", "Verantwortlich", "Lieblingsfarbe"]
    assert mapping.guess(headers=headers, record_type="organizations", user=user) == [
        "name",
        "industry",
        "phone",
        "postal_code",
        "city",
        "vat_id",
        "owner",
        "",
    ]
    contact_headers = ["Vorname", "Nachname", "E-Mail", "Mail", "Unternehmen", "Handy"]
    # "Mail" is the second e-mail column: a field is guessed for the first column only.
    assert mapping.guess(headers=contact_headers, record_type="contacts", user=user) == [
        "first_name",
        "last_name",
        "email",
        "",
        "organization",
        "phone",
    ]


def test_headers_are_guessed_in_english():
    user = factories.UserFactory()
    assert mapping.guess(
        headers=["Company", "Industry", "Phone", "ZIP", "City", "Website"], record_type="organizations", user=user
    ) == ["name", "industry", "phone", "postal_code", "city", "website"]
    assert mapping.guess(
        headers=["Deal name", "Stage", "Amount", "Close date", "Owner", "Company", "Contact e-mail"],
        record_type="deals",
        user=user,
    ) == ["title", "stage", "value", "expected_close_date", "owner", "organization", "contact"]
    assert mapping.guess(
        headers=["Subject", "Type", "Due date", "Assigned to", "Deal"], record_type="activities", user=user
    ) == ["subject", "kind", "due_at", "assignee", "deal"]


def test_the_chosen_mapping_is_remembered_for_the_next_file_of_the_user(client, rep, teammate, upload, dry_run):
    client.force_login(rep)
    job = upload("organizations", "Kunde;Notiz\nMüller GmbH;wichtig\n")
    assert job.mapping == ["", ""]  # neither header is known
    dry_run(job, ["name", ""])
    assert job.status == ImportJob.Status.CHECKED
    assert ColumnMapping.objects.get(user=rep, record_type="organizations").targets == {"kunde": "name", "notiz": ""}
    again = upload("organizations", "Kunde;Notiz;Ort\nSchulz AG;x;Berlin\n")
    assert again.mapping == ["name", "", "city"]
    # Another user and another record type start from the guess.
    assert mapping.guess(headers=["Kunde"], record_type="organizations", user=teammate) == [""]
    assert mapping.guess(headers=["Kunde"], record_type="contacts", user=rep) == [""]


def test_a_mapping_without_a_required_field_or_with_a_field_twice_is_refused(client, rep, upload, dry_run):
    client.force_login(rep)
    job = upload("contacts", "Vorname,Nachname\nAnna,Arndt\n")
    response = dry_run(job, ["first_name", ""], status=400)
    assert response.status == ImportJob.Status.MAPPING
    page = client.post(f"/imports/{job.pk}/check/", {"col_0": "last_name", "col_1": "last_name"})
    assert page.status_code == 400
    assert "is chosen for more than one column" in page.content.decode()


def test_dry_run_reports_each_error_with_row_and_column_and_creates_nothing(client, rep, upload, dry_run):
    client.force_login(rep)
    raw = (
        "Firma;Branche;Telefon;Webseite;Land\n"
        "Gut GmbH;Software & IT;030 1234567;gut.example;DE\n"
        ";Software & IT;;;\n"  # line 3: name missing
        "Schlecht AG;Bergbau;12;;Deutschland\n"  # line 4: three errors
    )
    job = dry_run(upload("organizations", raw))
    assert (job.status, job.total_rows, job.error_rows) == (ImportJob.Status.CHECKED, 3, 2)
    report = [(entry["row"], entry["column"]) for entry in job.report]
    assert report == [(3, "Firma"), (4, "Branche"), (4, "Telefon"), (4, "Land")]
    assert "Bergbau" in job.report[1]["message"]
    assert Organization.objects.count() == 0
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-row="4"' in page
    assert "import-confirm" not in page
    # Import is refused while a row has errors.
    client.post(f"/imports/{job.pk}/confirm/")
    assert Organization.objects.count() == 0


def test_import_is_all_or_nothing_when_a_row_fails_after_the_dry_run(client, rep, upload, dry_run):
    client.force_login(rep)
    acme = factories.OrganizationFactory(name="Acme", owner=rep)
    job = dry_run(upload("contacts", "Vorname,Nachname,Firma\nAnna,Arndt,Acme\nBen,Bauer,Acme\n"))
    assert (job.status, job.error_rows) == (ImportJob.Status.CHECKED, 0)
    acme.delete()  # the organization of both rows is gone before the import
    response = client.post(f"/imports/{job.pk}/confirm/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.error_rows, job.created_rows) == (ImportJob.Status.CHECKED, 2, 0)
    assert Contact.objects.count() == 0


def test_import_creates_every_row_owned_by_the_importer_with_audit_entries(client, rep, upload, dry_run):
    client.force_login(rep)
    acme = factories.OrganizationFactory(name="Acme", owner=rep)
    raw = "First name,Last name,E-mail,Company,Decision role\nAnna,Arndt,anna@acme.example,acme,Entscheider\n"
    job = dry_run(upload("contacts", raw.replace("Entscheider", "Decision maker")))
    client.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert (job.status, job.created_rows, job.source) == (ImportJob.Status.DONE, 1, b"")
    contact = Contact.objects.get()
    assert (contact.owner, contact.organization, contact.decision_role) == (rep, acme, "decision_maker")
    entry = LogEntry.objects.get(object_pk=str(contact.pk), content_type__model="contact")
    assert entry.source == "import"


def test_owner_by_e_mail_only_among_the_users_the_importer_may_hand_records_to(
    client, rep, teammate, manager, upload, dry_run
):
    raw = f"Company,Owner\nOne,{teammate.email}\n"
    client.force_login(rep)
    job = dry_run(upload("organizations", raw))
    assert job.error_rows == 1
    assert "unknown user" in job.report[0]["message"]
    client.force_login(manager)
    job = dry_run(upload("organizations", raw))
    client.post(f"/imports/{job.pk}/confirm/")
    assert Organization.objects.get().owner == teammate


def test_deals_resolve_stage_by_name_owner_by_e_mail_and_contact_by_e_mail(client, rep, stages, upload, dry_run):
    client.force_login(rep)
    acme = factories.OrganizationFactory(name="Acme GmbH", owner=rep)
    anna = factories.ContactFactory(organization=acme, email="anna@acme.example", owner=rep)
    existing = factories.DealFactory(stage=stages[1], owner=rep)
    raw = (
        "Titel;Phase;Wert;Abschlussdatum;Verantwortlich;Kontakt\n"
        f"Rahmenvertrag;{stages[1].name};1.234,50;31.12.2026;{rep.email};ANNA@acme.example\n"
        f"Wartung für Köln;{stages[1].name.upper()};99 €;2026-11-30;;\n"
    )
    job = dry_run(upload("deals", raw.encode("cp1252"), name="deals.csv"))
    assert job.encoding == "cp1252"
    assert job.error_rows == 0, job.report
    client.post(f"/imports/{job.pk}/confirm/")
    framework = Deal.objects.get(title="Rahmenvertrag")
    assert (framework.stage, framework.value, str(framework.expected_close_date)) == (
        stages[1],
        Decimal("1234.50"),
        "2026-12-31",
    )
    assert (framework.contact, framework.organization, framework.owner) == (anna, acme, rep)
    # New cards go on top of the column in the file's order, each with its history row.
    column = list(Deal.objects.filter(stage=stages[1]).order_by("position").values_list("title", flat=True))
    assert column == ["Rahmenvertrag", "Wartung für Köln", existing.title]
    assert (
        StageChange.objects.filter(deal__title__in=["Rahmenvertrag", "Wartung für Köln"], kind="created").count() == 2
    )


def test_unknown_stage_names_the_pipeline(client, rep, stages, upload, dry_run):
    client.force_login(rep)
    job = dry_run(upload("deals", "Title,Stage\nX,Verhandlung XYZ\n"))
    assert job.report == [
        {"row": 2, "column": "Stage", "message": "pipeline “New business” has no stage “Verhandlung XYZ”"}
    ]


def test_activities_need_a_deal_or_lead_the_importer_may_change(client, rep, outsider, upload, dry_run):
    client.force_login(rep)
    mine = factories.DealFactory(owner=rep, title="Mein Deal")
    factories.DealFactory(owner=outsider, title="Fremder Deal")
    lead = factories.LeadFactory(owner=rep, email="lead@x.example")
    raw = (
        "Betreff,Art,Fällig,Deal,Lead\n"
        "Anrufen,Anruf,31.12.2026 14:30,mein deal,\n"
        "Treffen,Meeting,2026-12-30,,lead@x.example\n"
        "Spionieren,Task,,Fremder Deal,\n"
        "Nirgends,Task,,,\n"
    )
    job = dry_run(upload("activities", raw.replace("Anruf,", "Call,")))
    assert [(e["row"], e["column"]) for e in job.report] == [(4, "Deal"), (5, "Deal")]
    fixed = raw.replace("Spionieren,Task,,Fremder Deal,\n", "").replace("Nirgends,Task,,,\n", "")
    job = dry_run(upload("activities", fixed.replace("Anruf,", "Call,")))
    client.post(f"/imports/{job.pk}/confirm/")
    call = Activity.objects.get(subject="Anrufen")
    assert (call.deal, call.kind, call.assignee, call.all_day) == (mine, "call", rep, False)
    meeting = Activity.objects.get(subject="Treffen")
    assert (meeting.lead, meeting.all_day) == (lead, True)
    mine.refresh_from_db()
    assert mine.last_activity_at is not None


def test_utf8_with_byte_order_mark_and_semicolons_is_read(client, rep, upload, dry_run):
    client.force_login(rep)
    job = dry_run(upload("organizations", "\ufeffFirma;Ort\nMüller & Söhne;Köln\n"))
    assert (job.encoding, job.error_rows) == ("utf-8", 0)
    client.post(f"/imports/{job.pk}/confirm/")
    assert Organization.objects.get().city == "Köln"


def test_a_file_that_is_neither_utf8_nor_cp1252_is_refused_with_the_place(client, rep, upload):
    client.force_login(rep)
    response = upload("organizations", "Firma\nM\u00fcller\n".encode("utf-16"), status=400)
    assert "UTF-16" in response.content.decode()
    assert ImportJob.objects.count() == 0


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_excel_file_with_typed_cells_is_imported(client, rep, stages, upload, dry_run):
    from datetime import date

    client.force_login(rep)
    raw = _xlsx([["Deal", "Betrag", "Abschluss"], ["Excel-Deal", 2500.5, date(2027, 1, 15)], [None, None, None]])
    job = dry_run(upload("deals", raw, name="deals.xlsx"))
    assert (job.file_format, job.total_rows, job.error_rows) == ("xlsx", 1, 0)
    client.post(f"/imports/{job.pk}/confirm/")
    deal = Deal.objects.get(title="Excel-Deal")
    assert (deal.value, deal.expected_close_date) == (Decimal("2500.50"), date(2027, 1, 15))


def test_a_damaged_excel_file_is_refused(client, rep, upload):
    client.force_login(rep)
    response = upload("organizations", b"PK\x03\x04not really a zip", name="x.xlsx", status=400)
    assert "Excel" in response.content.decode()


def test_large_file_runs_in_the_worker_with_progress(client, rep, settings, upload, django_capture_on_commit_callbacks):
    settings.TRANSFER_IMPORT_SYNC_MAX_ROWS = 2
    settings.TRANSFER_IMPORT_BATCH_SIZE = 2
    from pipeline_crm.celery import app

    client.force_login(rep)
    job = upload("organizations", "Company\n" + "".join(f"Firm {i}\n" for i in range(5)))
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(f"/imports/{job.pk}/check/", {"col_0": "name"})
        job.refresh_from_db()
        assert job.status == ImportJob.Status.CHECKING
        partial = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
        assert 'hx-trigger="every 1s"' in partial
        assert "<progress" in partial
        assert len(callbacks) == 1  # the task is sent after commit, not run in the request
        callbacks[0]()
        job.refresh_from_db()
        assert (job.status, job.processed_rows) == (ImportJob.Status.CHECKED, 5)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/imports/{job.pk}/confirm/")
    finally:
        app.conf.task_always_eager = False
    job.refresh_from_db()
    assert (job.status, job.created_rows) == (ImportJob.Status.DONE, 5)
    assert Organization.objects.count() == 5
    done = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert "5 records imported" in done


def test_a_run_whose_worker_died_is_taken_over_and_imports_once(rep):
    """A redelivered task claims the job again: the dead run's transaction rolled back, so the
    new run imports every row once."""
    job = services.import_create(actor=rep, record_type="organizations", file_name="f.csv", raw=b"Company\nA\nB\n")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING, attempts=1, run_token=None)
    assert services.import_run(job_id=job.pk) == 2
    assert services.import_run(job_id=job.pk) is None  # a second delivery finds it done
    assert Organization.objects.count() == 2


def test_a_run_tried_too_often_is_failed(rep, settings):
    job = services.import_create(actor=rep, record_type="organizations", file_name="f.csv", raw=b"Company\nA\n")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, attempts=settings.TRANSFER_IMPORT_MAX_ATTEMPTS
    )
    assert services.import_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, "interrupted")
    assert Organization.objects.count() == 0


def test_stale_runs_are_failed_and_can_be_checked_again(client, rep, upload, dry_run):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(rep)
    job = upload("organizations", "Company\nA\n")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    assert services.import_fail_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, "stalled")
    assert "stopped making progress" in client.get(f"/imports/{job.pk}/").content.decode()
    job = dry_run(job, ["name"])
    assert job.status == ImportJob.Status.CHECKED


def test_another_users_import_is_not_found(client, rep, teammate, admin, upload):
    client.force_login(rep)
    job = upload("organizations", "Company\nA\n")
    for user in (teammate, admin):
        client.force_login(user)
        assert client.get(f"/imports/{job.pk}/").status_code == 404
        assert client.post(f"/imports/{job.pk}/check/", {"col_0": "name"}).status_code == 404
        assert client.post(f"/imports/{job.pk}/confirm/").status_code == 404
        assert client.post(f"/imports/{job.pk}/discard/").status_code == 404
    assert client.get("/import/unicorns/").status_code == 404


def test_discard_keeps_nothing(client, rep, upload):
    client.force_login(rep)
    job = upload("organizations", "Company\nA\n")
    assert client.post(f"/imports/{job.pk}/discard/").status_code == 302
    job.refresh_from_db()
    assert (job.status, job.source) == (ImportJob.Status.DISCARDED, b"")
    assert Organization.objects.count() == 0


EXPECTED_QUERIES = [
    "UPDATE transfer_importjob",  # claim: new run token, one more attempt
    "SELECT transfer_importjob",  # the claimed job with its user
    "SAVEPOINT",  # the import's one transaction (a savepoint inside the test's)
    "SELECT transfer_importjob",  # the job's row lock (FOR UPDATE on PostgreSQL)
    "SELECT accounts_user",  # the users the importer may hand records to
    "SELECT deals_pipeline",  # active pipelines
    "SELECT deals_stage",  # their stages
    "SELECT leads_organization",  # the file's organizations the importer sees
    "SELECT leads_contact",  # the file's contacts the importer sees
    "SELECT deals_deal",  # the top position of each column
    "INSERT deals_deal",  # the deals (bulk)
    "INSERT audit_logentry",  # their audit entries (bulk)
    "INSERT deals_stagechange",  # their 'created' history rows (bulk)
    "INSERT events_outboxevent",  # their "deal.created" events for webhooks (bulk)
    "UPDATE transfer_importjob",  # done
    "RELEASE",
]


def _queries_for(rep, stages, rows):
    raw = "Title,Stage,Value,Owner,Company,Contact\n" + "".join(
        f"Deal {i},{stages[i % 3].name},{i},{rep.email},Acme,anna@acme.example\n" for i in range(rows)
    )
    job = services.import_create(actor=rep, record_type="deals", file_name="f.csv", raw=raw.encode())
    services.import_check(job_id=job.pk, actor=rep, targets=job.mapping)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING)
    with CaptureQueriesContext(connection) as queries:
        assert services.import_run(job_id=job.pk) == rows
    Deal.objects.all().delete()
    return [_shape(q["sql"]) for q in queries]


def _shape(sql):
    """ "SELECT deals_stage", "INSERT deals_deal", "SAVEPOINT": the statement and its first table."""
    verb = sql.split(" ", 1)[0]
    return f"{verb} {sql.split(chr(34))[1]}" if chr(34) in sql and verb not in ("SAVEPOINT", "RELEASE") else verb


def test_import_queries_do_not_grow_per_row(rep, stages, settings):
    """Lookups (users, pipelines, stages, organizations, contacts, column tops) are read once per
    file, the rows are bulk-inserted: 10 and 400 rows cost the same queries, apart from the
    inserts' batches of 1000 (deals, stage changes, audit entries: one each here)."""
    settings.TRANSFER_IMPORT_BATCH_SIZE = 10_000
    organization = factories.OrganizationFactory(name="Acme", owner=rep)
    factories.ContactFactory(organization=organization, email="anna@acme.example", owner=rep)
    _queries_for(rep, stages, 1)  # content types and the like, cached from then on
    assert _queries_for(rep, stages, 10) == _queries_for(rep, stages, 400) == EXPECTED_QUERIES


def test_an_error_while_writing_leaves_nothing_behind(rep, monkeypatch):
    """The records of an import are written in its one transaction: a failure after the first
    bulk insert rolls everything back and the job is failed with the error."""
    from transfer import records

    job = services.import_create(actor=rep, record_type="organizations", file_name="f.csv", raw=b"Company\nA\nB\n")
    services.import_check(job_id=job.pk, actor=rep, targets=["name"])
    kind = records.get("organizations")
    original = kind.write

    def write_then_fail(actor, cleaned, context):
        original(actor, cleaned, context)
        raise RuntimeError("disk full")

    monkeypatch.setattr(kind, "write", write_then_fail)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING)
    with pytest.raises(RuntimeError):
        services.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure, job.error) == (ImportJob.Status.FAILED, "error", "disk full")
    assert Organization.objects.count() == 0
    assert LogEntry.objects.filter(content_type__model="organization").count() == 0


@pytest.mark.parametrize("name", ["big.csv", "big.xlsx"])
def test_a_file_with_too_many_rows_is_refused_while_reading(client, rep, settings, upload, name):
    settings.TRANSFER_IMPORT_MAX_ROWS = 3
    rows = [["Company"], *([f"Firm {i}"] for i in range(4))]
    raw = _xlsx(rows) if name.endswith("xlsx") else "\n".join(r[0] for r in rows).encode()
    client.force_login(rep)
    response = upload("organizations", raw, name=name, status=400)
    assert "more than 3 rows" in response.content.decode()

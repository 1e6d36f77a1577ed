import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leads import importing, services
from leads.models import Lead, LeadImport, LeadStatusChange
from tests import factories

HEADER = (
    "first_name,last_name,email,company,source,industry,company_size,region,decision_role,persona,owner,need,budget\n"
)


def _upload(client, content, *, encoding="auto", name="leads.csv", follow=False):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/leads/import/", {"file": SimpleUploadedFile(name, raw, "text/csv"), "encoding": encoding}, follow=follow
    )


def test_good_file_previews_then_imports_all_rows(client, rep):
    factories.PersonaFactory(name="Tech lead")
    client.force_login(rep)
    content = HEADER + (
        "Ann,Able,ann@able.example,Able AG,Trade fair,software,50-249,north,decision_maker,Tech lead,alice,high,medium\n"
        "Ben,Baker,ben@baker.example,Baker KG,webinar,Finance & insurance,,at,influencer,,,1,0\n"
    )
    response = _upload(client, content)
    lead_import = LeadImport.objects.get()
    assert response.status_code == 302
    assert (lead_import.status, lead_import.total_rows, lead_import.valid_rows) == ("preview", 2, 2)
    assert Lead.objects.count() == 0  # nothing before the explicit choice
    preview = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert "Import the 2 valid rows" in preview

    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows) == ("done", 2)
    ann = Lead.objects.get(email="ann@able.example")
    assert (ann.source, ann.industry, ann.size_band, ann.persona.name, ann.owner, ann.score) == (
        "trade_fair",
        "software",
        "50-249",
        "Tech lead",
        rep,
        30 + 17,
    )
    assert Lead.objects.get(email="ben@baker.example").industry == "finance"
    assert LeadStatusChange.objects.filter(to_status="new", from_status="").count() == 2


def test_semicolon_separated_files_are_read(client, rep):
    client.force_login(rep)
    _upload(client, "last_name;email\nSemi;semi@colon.example\n")
    assert LeadImport.objects.get().valid_rows == 1


def test_a_header_without_the_required_columns_asks_for_the_columns_and_imports_nothing_yet(client, rep):
    client.force_login(rep)
    response = _upload(client, "first_name,last_name,company\nA,B,C\n", follow=True)
    assert response.status_code == 200
    lead_import = LeadImport.objects.get()
    assert (lead_import.valid_rows, lead_import.rows, lead_import.status) == (0, [], "preview")
    page = response.content.decode()
    assert 'data-testid="mapping-problems"' in page
    assert "Choose the column with the E-mail." in page
    assert "Import the" not in page
    with pytest.raises(services.LeadError):
        services.lead_import_confirm(import_id=lead_import.pk, actor=rep)


def test_empty_file_is_a_clear_error(client, rep):
    client.force_login(rep)
    assert "The submitted file is empty" in _upload(client, "").content.decode()
    assert "no rows" in _upload(client, "last_name,email\n").content.decode()


def test_rows_are_validated_one_by_one(rep):
    factories.LeadFactory(email="Taken@Example.com", owner=rep)
    content = (
        "last_name,email,source,region,need,owner\n"
        "Good,good@x.example,,,,\n"  # row 2
        ",nolast@x.example,,,,\n"  # row 3: missing last name
        "Bad,not-an-email,,,,\n"  # row 4: bad e-mail
        "Dup,good@x.example,,,,\n"  # row 5: duplicate in the file
        "Old,taken@example.com,,,,\n"  # row 6: already a lead
        "Src,src@x.example,carrier pigeon,mars,9,nobody\n"  # row 7: unknown values
    )
    valid, report, total = importing.validate(text=content, actor=rep)
    by_row = {r["row"]: r for r in report}
    assert total == 6
    assert [r["email"] for r in valid] == ["good@x.example"]
    assert by_row[2]["ok"]
    assert by_row[3]["errors"] == ["last_name is missing"]
    assert "is not a valid e-mail address" in by_row[4]["errors"][0]
    assert by_row[5]["errors"] == ["duplicate e-mail: same as row 2"]
    assert by_row[6]["errors"] == ["a lead with this e-mail already exists"]
    assert by_row[7]["errors"] == [
        "unknown source “carrier pigeon”",
        "unknown region “mars”",
        "need must be 0–3 or unknown/low/medium/high",
        "unknown owner “nobody” (or not yours to assign)",
    ]


def test_rep_may_not_import_leads_for_a_teammate(rep, teammate):
    valid, report, _total = importing.validate(text="last_name,email,owner\nX,x@x.example,bob\n", actor=rep)
    assert valid == []
    assert "not yours to assign" in report[0]["errors"][0]


def test_preview_lists_problem_rows_and_importing_takes_only_valid_ones(client, rep):
    client.force_login(rep)
    _upload(client, "last_name,email\nGood,g@x.example\nBad,nope\n")
    lead_import = LeadImport.objects.get()
    html = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert 'data-row="3"' in html
    assert "is not a valid e-mail address" in html
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    assert list(Lead.objects.values_list("email", flat=True)) == ["g@x.example"]


def test_choosing_nothing_imports_nothing(client, rep):
    client.force_login(rep)
    _upload(client, "last_name,email\nGood,g@x.example\n")
    lead_import = LeadImport.objects.get()
    client.post(f"/leads/import/{lead_import.pk}/discard/")
    lead_import.refresh_from_db()
    assert lead_import.status == "discarded"
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    assert Lead.objects.count() == 0


def test_confirming_twice_imports_once(client, rep):
    client.force_login(rep)
    _upload(client, "last_name,email\nGood,g@x.example\n")
    lead_import = LeadImport.objects.get()
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    assert Lead.objects.count() == 1


def test_a_row_that_became_a_duplicate_since_the_preview_is_skipped_and_reported(client, rep):
    lead_import = services.lead_import_create(
        actor=rep, raw=b"last_name,email\nA,a@x.example\nB,b@x.example\n", file_name="f.csv"
    )
    factories.LeadFactory(email="B@x.example", owner=rep)
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows, lead_import.skipped_rows) == ("done", 1, 1)
    assert Lead.objects.filter(email="a@x.example", lead_import=lead_import, import_row=2).exists()
    assert Lead.objects.filter(email__iexact="b@x.example").count() == 1
    client.force_login(rep)
    html = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert "1 row was skipped" in html
    assert 'data-row="3"' in html
    assert "created after the preview" in html


def test_another_users_import_is_not_found(client, rep, teammate):
    lead_import = services.lead_import_create(actor=rep, raw=b"last_name,email\nA,a@x.example\n", file_name="f.csv")
    client.force_login(teammate)
    assert client.get(f"/leads/import/{lead_import.pk}/").status_code == 404
    assert client.post(f"/leads/import/{lead_import.pk}/confirm/").status_code == 404
    assert Lead.objects.count() == 0


def test_large_import_runs_in_the_worker_with_progress(client, rep, settings, django_capture_on_commit_callbacks):
    settings.LEADS_IMPORT_SYNC_MAX_ROWS = 2
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from pipeline_crm.celery import app

    app.conf.task_always_eager = True
    try:
        client.force_login(rep)
        rows = "".join(f"L{i},l{i}@x.example\n" for i in range(5))
        _upload(client, "last_name,email\n" + rows)
        lead_import = LeadImport.objects.get()
        # Queued but not yet run: the progress partial polls.
        LeadImport.objects.filter(pk=lead_import.pk).update(status="queued")
        partial = client.get(f"/leads/import/{lead_import.pk}/", HTTP_HX_REQUEST="true").content.decode()
        assert 'hx-trigger="every 1s"' in partial
        assert "<progress" in partial
        LeadImport.objects.filter(pk=lead_import.pk).update(status="preview")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            client.post(f"/leads/import/{lead_import.pk}/confirm/")
        # The task was enqueued after commit, not run inline (the other callbacks are the
        # webhook dispatch requests of the lead.created events it wrote when run eagerly).
        assert len([c for c in callbacks if getattr(c, "__name__", "") != "_queue_dispatch"]) == 1
    finally:
        app.conf.task_always_eager = False
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows) == ("done", 5)
    done = client.get(f"/leads/import/{lead_import.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert "5 leads imported" in done


def test_10000_rows_import_completely(rep):
    """How long it takes is measured by bench/lead_import.py, not here."""
    rows = "".join(
        f"Name{i},Last{i},row{i}@bulk.example,Company {i % 500},trade_fair,software,high,low\n" for i in range(10_000)
    )
    raw = ("first_name,last_name,email,company,source,industry,need,budget\n" + rows).encode()
    lead_import = services.lead_import_create(actor=rep, raw=raw, file_name="big.csv")
    LeadImport.objects.filter(pk=lead_import.pk).update(status="queued")
    assert services.lead_import_run(import_id=lead_import.pk) == 10_000
    assert Lead.objects.count() == 10_000
    assert LeadStatusChange.objects.filter(reason="csv import").count() == 10_000
    assert Lead.objects.filter(score=30 + 8).count() == 10_000


def test_an_import_reads_a_fixed_number_of_times_per_batch_not_per_row(rep, settings):
    """Apart from the INSERTs (which SQLite splits by its variable limit), each batch costs
    the same queries whatever its rows: the import grows by batches, never by rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.LEADS_IMPORT_BATCH_SIZE = 500

    def reads_for(batches, offset):
        rows = "".join(f"N{i},L{i},r{i}-{offset}@shape.example,Co {i}\n" for i in range(batches * 500))
        raw = ("first_name,last_name,email,company\n" + rows).encode()
        lead_import = services.lead_import_create(actor=rep, raw=raw, file_name="shape.csv")
        LeadImport.objects.filter(pk=lead_import.pk).update(status="queued")
        with CaptureQueriesContext(connection) as queries:
            assert services.lead_import_run(import_id=lead_import.pk) == batches * 500
        return sum(1 for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("INSERT"))

    reads_for(1, "warm-up")  # the first import also looks up (and caches) a content type
    one, two, four = reads_for(1, "a"), reads_for(2, "b"), reads_for(4, "c")
    per_batch = two - one
    assert 0 < per_batch < 20
    assert four - one == 3 * per_batch


def test_coded_values_are_read_by_their_german_or_english_label_whatever_the_uploaders_language(client, rep):
    client.force_login(rep)
    content = (
        "last_name;email;source;need;budget\n"
        "Messe;messe@de.example;Messe;hoch;niedrig\n"
        "Fair;fair@en.example;Trade fair;high;low\n"
    )
    _upload(client, content)
    lead_import = LeadImport.objects.get()
    assert (lead_import.total_rows, lead_import.valid_rows) == (2, 2)
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    leads = {lead.email: (lead.source, lead.need, lead.budget) for lead in Lead.objects.all()}
    assert leads == {"messe@de.example": ("trade_fair", 3, 1), "fair@en.example": ("trade_fair", 3, 1)}

"""One person, one lead: the web form records a repeated submission on the existing lead,
the lead form warns before creating a second one, the CSV import flags rows of existing
leads. Matching is on the normalised e-mail and phone number, stored and indexed."""

import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads import contact_keys, importing, services
from leads.models import Lead, LeadTouch, WebFormSettings
from tests.concurrency import run_in_threads

WEBFORM = "/forms/lead/"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """These tests submit the form many times from 127.0.0.1; the rate limit has its own tests."""
    settings.LEADS_WEBFORM_RATE_LIMIT = 10_000
    cache.delete("leads:webform:127.0.0.1")
    yield
    cache.delete("leads:webform:127.0.0.1")


def _submit(client, **fields):
    data = {
        "first_name": "Ann",
        "last_name": "Able",
        "email": "ann@able.example",
        "company_name": "",
        "phone": "",
        "message": "",
        "consent": "on",
        "campaign": "",
        "website": "",
    }
    return client.post(WEBFORM, {**data, **fields})


# The keys -----------------------------------------------------------------------------------


def test_email_key_is_trimmed_and_case_folded():
    assert contact_keys.email_key("  Ann.Lee@Example.COM ") == "ann.lee@example.com"
    assert contact_keys.email_key("") == ""


@pytest.mark.parametrize(
    "phone",
    ["+49 30 1234567", "030 1234567", "030/123 45 67", "(030) 123-4567", "0049 30 1234567", "+49 (0)30 1234567"],
)
def test_every_way_of_writing_a_number_gives_one_key(phone):
    assert contact_keys.phone_key(phone) == "+49301234567"


@pytest.mark.parametrize("phone", ["", "123", "call me", "+49 30"])
def test_what_is_not_a_valid_number_has_no_key(phone):
    assert contact_keys.phone_key(phone) == ""


def test_national_numbers_are_read_in_the_installations_region(settings):
    settings.LEADS_PHONE_REGION = "AT"
    assert contact_keys.phone_key("01 5123456") == "+4315123456"
    assert contact_keys.phone_key("+49 30 1234567") == "+49301234567"


def test_saving_a_lead_keeps_its_keys_in_step(rep, make_lead):
    lead = make_lead(owner=rep, email="Mixed@Case.Example", phone="030 1234567")
    assert (lead.email_key, lead.phone_key) == ("mixed@case.example", "+49301234567")
    services.lead_update(lead_id=lead.pk, actor=rep, email="new@case.example", phone="+49 40 1234567")
    lead.refresh_from_db()
    assert (lead.email_key, lead.phone_key) == ("new@case.example", "+49401234567")


def test_the_lookup_uses_the_indexes(rep, make_lead):
    for i in range(30):
        make_lead(owner=rep, email=f"p{i}@x.example", phone=f"+49 30 12345{i:02d}")
    from leads import selectors

    with CaptureQueriesContext(connection) as ctx:
        assert len(selectors.lead_matches(email="P7@X.example", phone="030 1234507")) == 1
    sql = ctx.captured_queries[-1]["sql"]  # the parameters are in it
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # 30 rows: make the planner show its options
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "lead_email_key" in plan and "lead_phone_key" in plan, plan


def test_the_data_migration_fills_the_keys_of_existing_leads(rep, make_lead):
    make_lead(owner=rep, email="Old@Lead.Example", phone="030 1234567")
    Lead.objects.update(email_key="", phone_key="")
    migration = importlib.import_module("leads.migrations.0005_lead_touch_backfill_keys")
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert Lead.objects.values_list("email_key", "phone_key").get() == ("old@lead.example", "+49301234567")


def test_rekey_leads_follows_a_new_region(rep, make_lead, settings):
    make_lead(owner=rep, phone="01 5123456")
    assert Lead.objects.get().phone_key == ""  # not a valid German number
    settings.LEADS_PHONE_REGION = "AT"
    call_command("rekey_leads", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Lead.objects.get().phone_key == "+4315123456"


# The web form -------------------------------------------------------------------------------


def test_a_second_submission_is_recorded_on_the_existing_lead(client, rep, make_lead):
    lead = make_lead(owner=rep, email="ann@able.example", first_name="Ann", phone="", company_name="")
    before = lead.last_touch_at
    response = _submit(
        client,
        email="  ANN@Able.Example ",
        first_name="Annie",
        phone="+49 30 1234567",
        company_name="Able AG",
        message="Please call me back",
        campaign="spring-webinar",
    )
    assert response.status_code == 302
    assert Lead.objects.count() == 1
    touch = LeadTouch.objects.get()
    assert (touch.lead, touch.source, touch.campaign, touch.message, touch.first_name, touch.consent) == (
        lead,
        "web_form",
        "spring-webinar",
        "Please call me back",
        "Annie",
        True,
    )
    lead.refresh_from_db()
    assert lead.last_touch_at == touch.at and lead.last_touch_at != before
    # Blank fields are filled, filled ones are kept; consent is recorded.
    assert (lead.first_name, lead.phone, lead.company_name, lead.consent) == ("Ann", "+49 30 1234567", "Able AG", True)
    assert lead.phone_key == "+49301234567"


def test_the_submitter_sees_the_same_answer_whether_or_not_the_lead_exists(client, rep, make_lead):
    first = _submit(client, email="new@person.example")
    make_lead(owner=rep, email="known@person.example")
    second = _submit(client, email="known@person.example")
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert first.content == second.content
    pages = [client.get(r["Location"]).content.decode() for r in (first, second)]
    assert len({re.sub(r'nonce="[^"]+"', "", page) for page in pages}) == 1  # the same but for the CSP nonce


def test_a_phone_match_joins_only_a_lead_without_email(client, rep, make_lead):
    no_email = make_lead(owner=rep, email="", phone="030 1234567")
    make_lead(owner=rep, email="reception@shared.example", phone="040 1234567")
    _submit(client, email="caller@x.example", phone="+49 30 1234567")
    assert LeadTouch.objects.get().lead == no_email
    # The same switchboard number behind another e-mail is another person: a new lead.
    _submit(client, email="colleague@shared.example", phone="+49 40 1234567")
    assert Lead.objects.filter(email="colleague@shared.example").exists()
    assert LeadTouch.objects.count() == 1


def test_a_converted_lead_does_not_match_a_new_enquiry(client, rep, make_lead):
    old = make_lead(owner=rep, email="customer@x.example")
    Lead.objects.filter(pk=old.pk).update(status="converted", converted_at=timezone.now())
    _submit(client, email="customer@x.example")
    assert Lead.objects.filter(email="customer@x.example").count() == 2
    assert not LeadTouch.objects.exists()


def test_a_disqualified_lead_gets_the_touch_and_keeps_its_status(client, rep, make_lead):
    lead = make_lead(owner=rep, email="back@x.example")
    services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="disqualified", reason="No budget")
    _submit(client, email="back@x.example", message="We have budget now")
    lead.refresh_from_db()
    assert (Lead.objects.count(), lead.status, lead.touches.get().message) == (1, "disqualified", "We have budget now")


def test_an_open_lead_is_preferred_to_a_disqualified_one(client, rep, make_lead):
    open_lead = make_lead(owner=rep, email="twice@x.example")
    dq = make_lead(owner=rep, email="twice@x.example")
    services.lead_change_status(lead_id=dq.pk, actor=rep, to_status="disqualified", reason="Duplicate")
    _submit(client, email="twice@x.example")
    assert LeadTouch.objects.get().lead == open_lead


def test_the_lead_page_lists_the_touches(client, rep, make_lead):
    lead = make_lead(owner=rep, email="ann@able.example")
    _submit(client, email="ann@able.example", message="Second message", campaign="fair-2026")
    client.force_login(rep)
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="lead-touches"' in html
    assert "Second message" in html and "fair-2026" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("settings_row", ["present", "missing"])
def test_simultaneous_submissions_of_one_person_create_one_lead(settings_row):
    from django.test import Client

    if settings_row == "missing":  # the lock recreates the row it locks
        WebFormSettings.objects.all().delete()
    else:
        WebFormSettings.get_solo()

    def submit():
        assert _submit(Client(), email="race@x.example").status_code == 302

    run_in_threads(submit, count=4)
    assert Lead.objects.filter(email_key="race@x.example").count() == 1
    assert LeadTouch.objects.count() == 3


# The lead form ------------------------------------------------------------------------------


def _lead_form(**fields):
    data = {"first_name": "Ann", "last_name": "Able", "email": "", "phone": "", "source": "cold_call"}
    data.update({"need": 0, "budget": 0, "authority": 0, "timing": 0, "job_title": "Head of IT", "campaign": "fair"})
    data.update(fields)
    return data


def test_the_lead_form_warns_of_an_existing_lead_and_keeps_the_entries(client, rep, make_lead):
    existing = make_lead(owner=rep, email="ann@able.example", last_name="Able", first_name="Ann")
    client.force_login(rep)
    response = client.post("/leads/new/", _lead_form(email="ANN@able.example ", owner=rep.pk))
    assert response.status_code == 409
    html = response.content.decode()
    assert "A lead with this e-mail exists:" in html
    assert f'href="/leads/{existing.pk}/"' in html
    assert 'name="create_anyway" value="1"' in html
    assert 'value="Head of IT"' in html and 'value="fair"' in html  # nothing lost
    assert Lead.objects.count() == 1


def test_create_anyway_creates_the_second_lead(client, rep, make_lead):
    make_lead(owner=rep, email="ann@able.example")
    client.force_login(rep)
    response = client.post("/leads/new/", _lead_form(email="ann@able.example", owner=rep.pk, create_anyway="1"))
    assert response.status_code == 302
    assert Lead.objects.filter(email_key="ann@able.example").count() == 2


def test_the_lead_form_warns_of_the_same_phone_number(client, rep, make_lead):
    make_lead(owner=rep, email="other@x.example", phone="+49 30 1234567")
    client.force_login(rep)
    response = client.post("/leads/new/", _lead_form(email="ann@able.example", phone="030 123 45 67", owner=rep.pk))
    assert response.status_code == 409
    assert "A lead with this phone number exists:" in response.content.decode()


def test_a_match_outside_the_scope_is_mentioned_without_details(client, rep, outsider, make_lead):
    hidden = make_lead(owner=outsider, email="secret@x.example", first_name="Sigrid", last_name="Secret")
    client.force_login(rep)
    response = client.post("/leads/new/", _lead_form(email="secret@x.example", owner=rep.pk))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="duplicate-hidden"' in html
    assert "Secret" not in html.replace("secret@x.example", "")
    assert "charlie" not in html and "Charlie" not in html
    assert f"/leads/{hidden.pk}/" not in html
    assert 'data-testid="duplicate-link"' not in html


def test_a_converted_lead_does_not_stop_the_form(client, rep, make_lead):
    old = make_lead(owner=rep, email="customer@x.example")
    Lead.objects.filter(pk=old.pk).update(status="converted", converted_at=timezone.now())
    client.force_login(rep)
    assert client.post("/leads/new/", _lead_form(email="customer@x.example", owner=rep.pk)).status_code == 302


def test_a_new_person_is_created_at_once(client, rep):
    client.force_login(rep)
    assert client.post("/leads/new/", _lead_form(email="fresh@x.example", owner=rep.pk)).status_code == 302


# The CSV import -----------------------------------------------------------------------------


def test_the_import_flags_existing_leads_and_links_the_visible_ones(rep, outsider, make_lead):
    mine = make_lead(owner=rep, email="mine@x.example")
    make_lead(owner=outsider, email="theirs@x.example")
    make_lead(owner=rep, email="byphone@x.example", phone="+49 30 1234567")
    content = (
        "last_name,email,phone\n"
        "Mine, MINE@x.example ,\n"  # row 2: my lead
        "Theirs,theirs@x.example,\n"  # row 3: another team's lead
        "Phone,new@x.example,030 1234567\n"  # row 4: the phone of my lead
    )
    valid, report, _total = importing.validate(text=content, actor=rep)
    by_row = {r["row"]: r for r in report}
    assert (by_row[2]["errors"], by_row[2]["match"]) == (["a lead with this e-mail already exists"], mine.pk)
    assert (by_row[3]["errors"], by_row[3]["match"]) == (["a lead with this e-mail already exists"], None)
    assert by_row[4]["ok"]
    assert by_row[4]["notes"] == ["a lead with this phone number already exists (imported all the same)"]
    assert [r["email"] for r in valid] == ["new@x.example"]


def test_the_import_preview_links_the_existing_lead(client, rep, make_lead):
    mine = make_lead(owner=rep, email="mine@x.example", phone="+49 30 1234567")
    raw = b"last_name,email,phone\nA,mine@x.example,\nB,b@x.example,030 1234567\n"
    lead_import = services.lead_import_create(actor=rep, raw=raw, file_name="x.csv")
    client.force_login(rep)
    html = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert html.count(f'<a href="/leads/{mine.pk}/" data-testid="match-link">') == 2  # the error row, the note row
    assert "Rows with notes (imported all the same)" in html


def test_rows_of_converted_leads_are_imported(rep, make_lead):
    old = make_lead(owner=rep, email="customer@x.example")
    Lead.objects.filter(pk=old.pk).update(status="converted", converted_at=timezone.now())
    lead_import = services.lead_import_create(actor=rep, raw=b"last_name,email\nC,Customer@x.example\n", file_name="x")
    assert lead_import.valid_rows == 1
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    assert Lead.objects.filter(email_key="customer@x.example").count() == 2


def test_a_row_whose_lead_was_created_since_the_preview_is_skipped_and_reported(rep, make_lead):
    raw = b"last_name,email\nLate,late@x.example\nFresh,fresh@x.example\n"
    lead_import = services.lead_import_create(actor=rep, raw=raw, file_name="x")
    make_lead(owner=rep, email="LATE@x.example")
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows, lead_import.skipped_rows) == ("done", 1, 1)
    late = next(entry for entry in lead_import.report if entry["row"] == 2)
    assert not late["ok"] and "created after the preview" in " ".join(late["errors"])
    assert sorted(Lead.objects.values_list("email_key", flat=True)) == ["fresh@x.example", "late@x.example"]


def test_imported_leads_get_their_keys(rep):
    lead_import = services.lead_import_create(
        actor=rep, raw=b"last_name,email,phone\nK, Key@X.example ,030 1234567\n", file_name="x"
    )
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    assert Lead.objects.values_list("email_key", "phone_key").get() == ("key@x.example", "+49301234567")

"""Data coming in, in real Chromium: the lead form's duplicate notice with "Create anyway",
and the import preview that reads the file again with another encoding. No console error
(the strict CSP included) on either page."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadImport
from tests import factories

FILES = Path(__file__).resolve().parent.parent / "leads" / "files"


# The pages answer 409 (a duplicate to confirm) and 400 (a file that cannot be read so) on
# purpose; Chromium logs such answers as errors. Anything else (CSP, JavaScript, a failed static
# file) counts.
EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of (400|409)")


@pytest.fixture
def problems(page):
    seen = []
    page.on(
        "console", lambda msg: seen.append(msg.text) if msg.type == "error" and not EXPECTED.match(msg.text) else None
    )
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def test_the_lead_form_offers_the_existing_lead_and_creates_anyway(page, live_server, login, rep, problems):
    existing = factories.LeadFactory(owner=rep, first_name="Ann", last_name="Able", email="ann@able.example")
    login(page, rep)
    page.goto(f"{live_server.url}/leads/new/")
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Able")
    page.get_by_label("E-mail", exact=True).fill("ANN@able.example")
    page.get_by_label("Job title").fill("Head of Sales")
    page.get_by_role("button", name="Save").click()

    notice = page.get_by_test_id("duplicate-notice")
    expect(notice).to_contain_text("A lead with this e-mail exists:")
    expect(notice.get_by_role("link", name="Ann Able")).to_have_attribute("href", f"/leads/{existing.pk}/")
    expect(page.get_by_label("Job title")).to_have_value("Head of Sales")  # nothing lost
    assert Lead.objects.count() == 1

    page.get_by_role("button", name="Create anyway").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("Ann Able"))).to_be_visible()
    assert Lead.objects.filter(email_key="ann@able.example").count() == 2
    assert Lead.objects.exclude(pk=existing.pk).get().job_title == "Head of Sales"
    assert problems == []


def test_the_import_preview_reads_the_file_again_with_another_encoding(page, live_server, login, rep, problems):
    login(page, rep)
    page.goto(f"{live_server.url}/leads/import/")
    page.get_by_label("CSV file").set_input_files(str(FILES / "cp1252.csv"))
    page.get_by_role("button", name="Check the file").click()

    encoding = page.get_by_test_id("import-encoding")
    expect(encoding).to_contain_text("Read as Windows-1252 (Western European; Excel’s “CSV” on Windows) (detected).")
    expect(page.get_by_role("cell", name="Jürgen Müller")).to_be_visible()

    # Latin-1 has control codes where Windows-1252 has „ and €: refused, the preview unchanged.
    encoding.get_by_label("Read the file as").select_option("latin-1")
    encoding.get_by_role("button", name="Read again").click()
    expect(page.get_by_test_id("encoding-error")).to_contain_text(
        "Line 2, column “message”: U+0084 is a control character"
    )
    expect(page.get_by_role("cell", name="Jürgen Müller")).to_be_visible()
    assert LeadImport.objects.get().encoding == "cp1252"

    page.get_by_test_id("import-encoding").get_by_label("Read the file as").select_option("utf-8")
    page.get_by_test_id("import-encoding").get_by_role("button", name="Read again").click()
    expect(page.get_by_test_id("encoding-error")).to_contain_text("Line 2, column “first_name”: byte 0xFC is not UTF-8")

    page.get_by_test_id("import-encoding").get_by_label("Read the file as").select_option("auto")
    page.get_by_test_id("import-encoding").get_by_role("button", name="Read again").click()
    expect(page.get_by_test_id("import-encoding")).to_contain_text("(detected)")
    page.get_by_role("button", name="Import the 2 valid rows").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Imported")
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == ["Müller", "Öztürk"]
    assert problems == []

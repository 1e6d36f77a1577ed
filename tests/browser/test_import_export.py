"""The import of organizations in real Chromium: a German CSV, the guessed mapping changed for
one column, a dry run with an error, the file fixed, the import, and the list's export link.
No console error (the strict CSP included)."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Organization
from transfer.models import ColumnMapping

EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of 400")


@pytest.fixture
def problems(page):
    seen = []
    page.on(
        "console", lambda msg: seen.append(msg.text) if msg.type == "error" and not EXPECTED.match(msg.text) else None
    )
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def _upload(page, live_server, tmp_path, text):
    path = tmp_path / "firmen.csv"
    path.write_bytes(text.encode("cp1252"))
    page.goto(f"{live_server.url}/organizations/")
    page.get_by_test_id("import-link").click()
    page.get_by_label("CSV or Excel file (.csv, .xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Read the file").click()


def test_organizations_are_imported_after_a_mapping_and_a_clean_dry_run(
    page, live_server, login, rep, problems, tmp_path
):
    login(page, rep)
    _upload(page, live_server, tmp_path, "Firma;Kundennummer;Ort;Branche\nMüller GmbH;K-1;Köln;Bergbau\n")
    form = page.get_by_test_id("mapping-form")
    expect(form.get_by_label("Firma")).to_have_value("name")
    expect(form.get_by_label("Kundennummer")).to_have_value("")
    expect(form.get_by_label("Ort")).to_have_value("city")
    expect(form).to_contain_text("Müller GmbH")
    form.get_by_label("Kundennummer").select_option("vat_id")
    form.get_by_label("Kundennummer").select_option("")  # changed its mind: ignored after all
    page.get_by_test_id("dry-run").click()

    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("Branche")
    expect(errors).to_contain_text("unknown value “Bergbau”")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    assert Organization.objects.count() == 0

    # The same headers again: the mapping chosen before is remembered.
    _upload(page, live_server, tmp_path, "Firma;Kundennummer;Ort;Branche\nMüller GmbH;K-1;Köln;Software & IT\n")
    expect(page.get_by_test_id("mapping-form").get_by_label("Kundennummer")).to_have_value("")
    page.get_by_test_id("dry-run").click()
    expect(page.get_by_test_id("dry-run-result")).to_contain_text("the row is correct")
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-done")).to_contain_text("1 record imported.")
    organization = Organization.objects.get()
    assert (organization.name, organization.city, organization.industry, organization.owner) == (
        "Müller GmbH",
        "Köln",
        "software",
        rep,
    )
    assert ColumnMapping.objects.get(user=rep).targets["kundennummer"] == ""

    page.get_by_role("link", name="Back to the list").first.click()
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", re.compile(r"^/export/organizations\.csv"))
    assert problems == []

"""The lead import's column mapping: guessed from English and German headers, chosen by the user on
the preview, remembered for their next file with the same header (docs/leads.md, "Import")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leads import import_mapping, services
from leads.models import Lead, LeadImport

GERMAN = (
    "Vorname;Nachname;E-Mail-Adresse;Telefon;Firma;Branche;Unternehmensgröße;Bemerkung\n"
    "Jana;Krüger;jana@krueger.example;+49 40 1234567;Krüger Logistik GmbH;logistics;50-249;Messe Hamburg\n"
)


def _upload(client, content, name="kontakte.csv"):
    return client.post(
        "/leads/import/",
        {"file": SimpleUploadedFile(name, content.encode("utf-8"), "text/csv"), "encoding": "auto"},
        follow=True,
    )


def test_german_headers_are_mapped_to_the_lead_fields():
    headers = ["Vorname", "Nachname", "E-Mail-Adresse", "Telefon", "Firma", "Unternehmensgröße", "Spalte X"]
    assert import_mapping.guess(headers=headers) == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "company_name",
        "size_band",
        "",
    ]


def test_a_field_is_guessed_for_the_first_of_two_matching_columns_only():
    assert import_mapping.guess(headers=["Mail", "E-Mail", "Name"]) == ["email", "", "last_name"]


def test_the_export_headers_map_onto_themselves():
    headers = ["first_name", "last_name", "email", "company", "company_size", "decision_role", "need"]
    assert import_mapping.guess(headers=headers) == [
        "first_name",
        "last_name",
        "email",
        "company_name",
        "size_band",
        "decision_role",
        "need",
    ]


def test_problems_name_a_missing_required_field_and_a_field_chosen_twice():
    assert import_mapping.problems(["last_name", "email"]) == []
    assert [str(p) for p in import_mapping.problems(["last_name", "phone", "phone"])] == [
        "“Phone” is chosen for more than one column.",
        "Choose the column with the E-mail.",
    ]


def test_a_mapping_is_fitted_to_the_columns_with_nothing_as_the_empty_field():
    assert import_mapping.fit(["email", None, ""], columns=4) == ["email", "", "", ""]
    assert import_mapping.fit(["last_name", "email", "phone"], columns=2) == ["last_name", "email"]


def test_a_column_mapped_to_nothing_is_stored_as_ignored_and_not_imported(client, rep):
    client.force_login(rep)
    _upload(client, "Spalte A,Spalte B,Spalte C,Spalte D\nMeyer,geheim,meyer@meyer.example,+49 30 1234567\n")
    lead_import = LeadImport.objects.get()
    services.lead_import_remap(import_id=lead_import.pk, actor=rep, mapping=["last_name", None, "email", ""])
    lead_import.refresh_from_db()
    assert (lead_import.mapping, lead_import.valid_rows) == (["last_name", "", "email", ""], 1)
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead = Lead.objects.get()
    assert (lead.last_name, lead.email, lead.message, lead.phone) == ("Meyer", "meyer@meyer.example", "", "")


def test_a_german_file_imports_with_the_guessed_columns(client, rep):
    client.force_login(rep)
    page = _upload(client, GERMAN).content.decode()
    lead_import = LeadImport.objects.get()
    assert lead_import.valid_rows == 1, lead_import.report
    assert 'data-testid="import-columns"' in page
    assert "jana@krueger.example" in page, "the first values are shown beside each column"
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company_name, lead.size_band, lead.message) == (
        "Jana",
        "Krüger",
        "Krüger Logistik GmbH",
        "50-249",
        "Messe Hamburg",
    )


def test_unknown_headers_are_mapped_by_hand_then_import(client, rep):
    client.force_login(rep)
    content = "Spalte A,Spalte B,Spalte C\nMeyer,meyer@meyer.example,Ignored\n"
    _upload(client, content)
    lead_import = LeadImport.objects.get()
    assert lead_import.mapping == ["", "", ""]
    assert lead_import.valid_rows == 0
    response = client.post(
        f"/leads/import/{lead_import.pk}/columns/", {"col_0": "last_name", "col_1": "email", "col_2": ""}
    )
    assert response.status_code == 302
    lead_import.refresh_from_db()
    assert (lead_import.mapping, lead_import.valid_rows) == (["last_name", "email", ""], 1)


def test_an_incomplete_choice_is_shown_with_its_problem_and_keeps_nothing_to_import(client, rep):
    client.force_login(rep)
    _upload(client, "A,B\nMeyer,meyer@meyer.example\n")
    lead_import = LeadImport.objects.get()
    response = client.post(f"/leads/import/{lead_import.pk}/columns/", {"col_0": "last_name", "col_1": "last_name"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "is chosen for more than one column" in page
    assert "Choose the column with the E-mail." in page
    lead_import.refresh_from_db()
    assert lead_import.valid_rows == 0


def test_an_unknown_field_in_the_choice_is_a_form_error(client, rep):
    client.force_login(rep)
    _upload(client, "A,B\nMeyer,meyer@meyer.example\n")
    lead_import = LeadImport.objects.get()
    response = client.post(f"/leads/import/{lead_import.pk}/columns/", {"col_0": "password", "col_1": "email"})
    assert response.status_code == 400
    lead_import.refresh_from_db()
    assert lead_import.mapping == ["", ""]


def test_the_users_choice_is_proposed_for_their_next_file_with_the_same_header(client, rep, teammate):
    client.force_login(rep)
    _upload(client, "Kunde,Kontakt\nMeyer,meyer@meyer.example\n")
    first = LeadImport.objects.get()
    client.post(f"/leads/import/{first.pk}/columns/", {"col_0": "last_name", "col_1": "email"})
    _upload(client, "kunde ; KONTAKT\nSchulz;schulz@schulz.example\n")
    second = LeadImport.objects.exclude(pk=first.pk).get()
    assert (second.mapping, second.valid_rows) == (["last_name", "email"], 1)
    client.force_login(teammate)
    _upload(client, "Kunde,Kontakt\nLang,lang@lang.example\n")
    theirs = LeadImport.objects.filter(created_by=teammate).get()
    assert theirs.mapping == ["", ""], "another user's choice is not theirs"


def test_reading_again_with_another_encoding_keeps_the_chosen_columns(client, rep):
    client.force_login(rep)
    raw = "Kunde;Kontakt\nMüller;mueller@mueller.example\n".encode("cp1252")
    client.post("/leads/import/", {"file": SimpleUploadedFile("m.csv", raw, "text/csv"), "encoding": "auto"})
    lead_import = LeadImport.objects.get()
    client.post(f"/leads/import/{lead_import.pk}/columns/", {"col_0": "last_name", "col_1": "email"})
    client.post(f"/leads/import/{lead_import.pk}/encoding/", {"encoding": "cp1252"})
    lead_import.refresh_from_db()
    assert lead_import.mapping == ["last_name", "email"]
    assert lead_import.rows[0]["last_name"] == "Müller"


@pytest.mark.parametrize(("who", "status"), [("rep", 302), ("teammate", 404), ("manager", 404), ("admin", 404)])
def test_only_the_uploader_chooses_the_columns(client, request, rep, who, status):
    client.force_login(rep)
    _upload(client, "A,B\nMeyer,meyer@meyer.example\n")
    lead_import = LeadImport.objects.get()
    client.force_login(request.getfixturevalue(who))
    response = client.post(f"/leads/import/{lead_import.pk}/columns/", {"col_0": "last_name", "col_1": "email"})
    assert response.status_code == status


def test_the_columns_cannot_change_once_the_import_ran(client, rep):
    client.force_login(rep)
    _upload(client, "last_name,email\nMeyer,meyer@meyer.example\n")
    lead_import = LeadImport.objects.get()
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    response = client.post(f"/leads/import/{lead_import.pk}/columns/", {"col_0": "email", "col_1": "last_name"})
    assert response.status_code == 302
    lead_import.refresh_from_db()
    assert lead_import.mapping == ["last_name", "email"]
    assert Lead.objects.get().last_name == "Meyer"

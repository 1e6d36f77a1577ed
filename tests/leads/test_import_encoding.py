"""The encoding of an uploaded CSV: detected, shown in the preview, changeable without a new
upload, and refused with the line (and column) when the bytes are not text in it. Every file
is a real byte file in tests/leads/files/."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leads import import_encoding, importing, services
from leads.models import Lead, LeadImport

FILES = Path(__file__).parent / "files"
GERMAN = [
    ("Jürgen", "Müller", "Bäckerei Groß", "„Preis 5 €“ – bitte Rückruf"),
    ("Ännchen", "Öztürk", "Straßenbau Süd", "Grüße aus Köln"),
]


def _raw(name):
    return (FILES / name).read_bytes()


def _upload(client, name, encoding="auto"):
    upload = SimpleUploadedFile(name, _raw(name), "text/csv")
    return client.post("/leads/import/", {"file": upload, "encoding": encoding})


def _rows(lead_import):
    return [(r["first_name"], r["last_name"], r["company_name"], r["message"]) for r in lead_import.rows]


def _error(response):
    assert response.status_code == 400
    assert LeadImport.objects.count() == 0  # nothing stored
    assert Lead.objects.count() == 0
    return response.context["form"].errors["file"][0]


@pytest.mark.parametrize(
    ("name", "detected"), [("utf8.csv", "utf-8"), ("utf8-bom.csv", "utf-8"), ("cp1252.csv", "cp1252")]
)
def test_utf8_with_or_without_bom_and_windows_1252_are_detected_and_read_right(client, rep, name, detected):
    client.force_login(rep)
    assert _upload(client, name).status_code == 302
    lead_import = LeadImport.objects.get()
    assert (lead_import.encoding, lead_import.encoding_detected) == (detected, detected)
    assert _rows(lead_import) == GERMAN
    assert lead_import.valid_rows == 2


def test_the_preview_names_the_detected_encoding_and_offers_the_others(client, rep):
    client.force_login(rep)
    _upload(client, "cp1252.csv")
    lead_import = LeadImport.objects.get()
    html = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert "Read as <strong>Windows-1252 (Western European; Excel’s “CSV” on Windows)</strong> (detected)." in html
    assert f'action="/leads/import/{lead_import.pk}/encoding/"' in html
    assert '<option value="latin-1">ISO-8859-1 (Latin-1)</option>' in html
    assert "Müller" in html and "Öztürk" in html


def test_latin1_reads_the_same_as_windows_1252_and_may_be_chosen(client, rep):
    client.force_login(rep)
    _upload(client, "latin1.csv")
    detected = LeadImport.objects.get()
    assert detected.encoding == "cp1252"
    names = [(r["first_name"], r["last_name"], r["company_name"], r["message"]) for r in detected.rows]
    assert names == [
        ("François", "Lefèvre", "Château Ère", "Voilà à côté"),
        ("José", "Núñez", "Señor Café", "¿Qué tal? 50 °C"),
    ]
    _upload(client, "latin1.csv", encoding="latin-1")
    chosen = LeadImport.objects.latest("pk")
    assert (chosen.encoding, chosen.encoding_detected, chosen.rows) == ("latin-1", "cp1252", detected.rows)


def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_the_lines(client, rep):
    client.force_login(rep)
    message = _error(_upload(client, "mixed.csv"))
    assert message == (
        "The file mixes encodings: line 2 is UTF-8 (“ü”), but line 3, column “first_name”, byte 0xC4, is not. "
        "Open it in a spreadsheet, check the characters and save it again as “CSV UTF-8”."
    )


def test_the_mixed_file_is_refused_in_any_encoding_the_user_chooses(client, rep):
    client.force_login(rep)
    assert _error(_upload(client, "mixed.csv", encoding="utf-8")).startswith(
        "Line 3, column “first_name”: byte 0xC4 is not UTF-8."
    )
    assert _error(_upload(client, "mixed.csv", encoding="cp1252")).startswith(
        "Line 2, column “first_name”: “Ã¼” is “ü” saved as UTF-8, so this part of the file is not Windows-1252"
    )
    assert _error(_upload(client, "mixed.csv", encoding="latin-1")).startswith("Line 2, column “first_name”: “Ã¼”")


def test_a_byte_that_is_no_character_is_refused_with_line_and_column(client, rep):
    client.force_login(rep)
    assert _error(_upload(client, "invalid.csv")) == (
        "Line 3, column “company”: byte 0x81 is neither UTF-8 nor Windows-1252 (Western European). The file is "
        "damaged or in another encoding: save it as “CSV UTF-8”."
    )
    # Latin-1 reads every byte, but 0x81 is then an invisible control character.
    assert _error(_upload(client, "invalid.csv", encoding="latin-1")).startswith(
        "Line 3, column “company”: U+0081 is a control character, not text."
    )


def test_choosing_utf8_for_a_windows_file_names_the_first_bad_byte(client, rep):
    client.force_login(rep)
    assert _error(_upload(client, "cp1252.csv", encoding="utf-8")).startswith(
        "Line 2, column “first_name”: byte 0xFC is not UTF-8. Choose the encoding the file was saved in"
    )


def test_text_already_damaged_by_an_earlier_conversion_is_refused(client, rep):
    client.force_login(rep)
    raw = "last_name,email\nM\ufffdller,m@x.example\n".encode()
    response = client.post("/leads/import/", {"file": SimpleUploadedFile("x.csv", raw, "text/csv"), "encoding": "auto"})
    assert "Line 2, column “last_name”: the file contains “\ufffd” (U+FFFD)" in _error(response)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("workbook.xlsx", "it looks like an Excel workbook"),
        ("utf16.csv", "This file is UTF-16"),
    ],
)
def test_binary_and_utf16_files_are_refused(client, rep, name, message):
    client.force_login(rep)
    assert message in _error(_upload(client, name))


def test_nul_bytes_are_binary_data_with_the_line(rep):
    with pytest.raises(importing.ImportFileError, match="binary data, first on line 2"):
        import_encoding.decode(b"last_name,email\nA\x00,a@x.example\n", encoding="utf-8")


def test_reading_again_with_another_encoding_revalidates_without_a_new_upload(client, rep):
    client.force_login(rep)
    _upload(client, "utf8-polish.csv", encoding="cp1252")  # the user's wrong choice
    lead_import = LeadImport.objects.get()
    assert lead_import.rows[0]["last_name"] == "WaÅ‚Ä™sa"
    html = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert "(your choice; detected: UTF-8)" in html

    response = client.post(f"/leads/import/{lead_import.pk}/encoding/", {"encoding": "auto"})
    assert response.status_code == 302
    lead_import.refresh_from_db()
    assert (lead_import.encoding, lead_import.rows[0]["last_name"]) == ("utf-8", "Wałęsa")
    assert LeadImport.objects.count() == 1
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    assert Lead.objects.get().last_name == "Wałęsa"


def test_an_unreadable_choice_leaves_the_preview_as_it_was(client, rep):
    client.force_login(rep)
    _upload(client, "cp1252.csv")
    lead_import = LeadImport.objects.get()
    response = client.post(f"/leads/import/{lead_import.pk}/encoding/", {"encoding": "latin-1"})
    assert response.status_code == 400
    assert "Line 2, column “message”: U+0084 is a control character" in response.content.decode()
    lead_import.refresh_from_db()
    assert (lead_import.encoding, _rows(lead_import)) == ("cp1252", GERMAN)


def test_the_upload_is_kept_only_until_the_user_decides(client, rep):
    client.force_login(rep)
    _upload(client, "cp1252.csv")
    lead_import = LeadImport.objects.get()
    assert bytes(lead_import.source) == _raw("cp1252.csv")
    client.post(f"/leads/import/{lead_import.pk}/confirm/")
    lead_import.refresh_from_db()
    assert (lead_import.status, bytes(lead_import.source)) == ("done", b"")
    response = client.post(f"/leads/import/{lead_import.pk}/encoding/", {"encoding": "latin-1"}, follow=True)
    assert "no longer waiting for a decision" in response.content.decode()
    assert Lead.objects.count() == 2


def test_a_discarded_upload_is_dropped(client, rep):
    client.force_login(rep)
    _upload(client, "utf8.csv")
    lead_import = LeadImport.objects.get()
    client.post(f"/leads/import/{lead_import.pk}/discard/")
    lead_import.refresh_from_db()
    assert (lead_import.status, bytes(lead_import.source)) == ("discarded", b"")


def test_another_users_import_cannot_be_read_again(client, rep, teammate):
    lead_import = services.lead_import_create(actor=teammate, raw=_raw("utf8.csv"), file_name="x.csv")
    client.force_login(rep)
    assert client.post(f"/leads/import/{lead_import.pk}/encoding/", {"encoding": "latin-1"}).status_code == 404


def test_an_unknown_encoding_is_a_form_error(client, rep):
    client.force_login(rep)
    response = _upload(client, "utf8.csv", encoding="ebcdic")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()

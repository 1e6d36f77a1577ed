"""The provider presets (mail/presets.py): complete server settings, offered on the page, and
the same table as docs/email.md."""

from pathlib import Path

from django.conf import settings

from mail import presets
from mail.mailbox_forms import MailboxForm
from mail.models import Mailbox

DOCS = Path(settings.BASE_DIR) / "docs" / "email.md"


def test_every_provider_preset_names_both_servers_with_a_valid_port_and_security():
    securities = {choice.value for choice in Mailbox.Security}
    for preset in presets.PRESETS:
        if preset.key == "custom":
            continue
        assert preset.imap_host and preset.smtp_host, preset.key
        assert preset.imap_security in securities and preset.smtp_security in securities
        assert (preset.imap_port, preset.imap_security) == (993, "ssl")
        assert (preset.smtp_port, preset.smtp_security) in {(587, "starttls"), (465, "ssl")}
        assert str(preset.hint), preset.key


def test_the_form_offers_every_preset():
    offered = {value for value, _label in MailboxForm().fields["provider"].choices}
    assert offered == {"", *presets.BY_KEY}


def test_the_documented_table_matches_the_presets():
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("### Presets") : text.index("### Test connection")]
    names = {"ssl": "SSL/TLS", "starttls": "STARTTLS"}
    for preset in presets.PRESETS:
        if preset.key == "custom":
            continue
        row = next(line for line in table.splitlines() if line.startswith(f"| {preset.label} |"))
        assert f"{preset.imap_host}:{preset.imap_port} {names[preset.imap_security]}" in row
        assert f"{preset.smtp_host}:{preset.smtp_port} {names[preset.smtp_security]}" in row

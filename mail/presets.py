"""Server settings of common mail providers, as data: choosing one on the mailbox page fills the
host, port and security fields (static/js/mailbox.js reads them from a data attribute) and shows
its hint. The table is documented in docs/email.md ("Connecting a mailbox").
"""

from dataclasses import asdict, dataclass

from django.utils.translation import gettext_lazy as _

SSL, STARTTLS = "ssl", "starttls"


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = SSL
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = STARTTLS
    hint: str = ""

    def as_data(self):
        """What the page's script needs (hints translated into the request's language)."""
        return asdict(self) | {"label": str(self.label), "hint": str(self.hint)}


PRESETS = [
    Preset(
        "gmail",
        _("Gmail / Google Workspace"),
        imap_host="imap.gmail.com",
        smtp_host="smtp.gmail.com",
        hint=_("Needs an app password (2-step verification on); IMAP must be enabled in Gmail's settings."),
    ),
    Preset(
        "microsoft",
        _("Microsoft 365 / Outlook.com"),
        imap_host="outlook.office365.com",
        smtp_host="smtp.office365.com",
        hint=_(
            "Microsoft has switched off password sign-in for most accounts (OAuth 2.0 only); "
            "it works only where your administrator still allows it for IMAP and SMTP AUTH."
        ),
    ),
    Preset(
        "ionos",
        _("IONOS"),
        imap_host="imap.ionos.de",
        smtp_host="smtp.ionos.de",
        hint=_("Use your full e-mail address and its mailbox password."),
    ),
    Preset(
        "strato",
        _("STRATO"),
        imap_host="imap.strato.de",
        smtp_host="smtp.strato.de",
        smtp_port=465,
        smtp_security=SSL,
        hint=_("Use your full e-mail address and its mailbox password."),
    ),
    Preset(
        "gmx",
        _("GMX"),
        imap_host="imap.gmx.net",
        smtp_host="mail.gmx.net",
        hint=_("IMAP and SMTP must be enabled in GMX's settings (POP3/IMAP access)."),
    ),
    Preset(
        "webde",
        _("WEB.DE"),
        imap_host="imap.web.de",
        smtp_host="smtp.web.de",
        hint=_("IMAP and SMTP must be enabled in WEB.DE's settings (POP3/IMAP access)."),
    ),
    Preset(
        "tonline",
        _("T-Online"),
        imap_host="secureimap.t-online.de",
        smtp_host="securesmtp.t-online.de",
        smtp_port=465,
        smtp_security=SSL,
        hint=_("Needs the e-mail password set in T-Online's e-mail centre, not the login password."),
    ),
    Preset(
        "icloud",
        _("iCloud Mail"),
        imap_host="imap.mail.me.com",
        smtp_host="smtp.mail.me.com",
        hint=_("Needs an app-specific password (Apple ID settings); use your full iCloud address as the user name."),
    ),
    Preset("custom", _("Other provider (enter the servers yourself)"), hint=_("Your provider lists these settings.")),
]

BY_KEY = {preset.key: preset for preset in PRESETS}


def choices():
    return [("", _("— choose a provider —")), *((preset.key, preset.label) for preset in PRESETS)]


def as_data():
    return {preset.key: preset.as_data() for preset in PRESETS}

"""Which lead field each column of an uploaded file fills: guessed from the header, chosen by the
user on the preview, and proposed again for the user's next file with the same header.

The guess normalises a header (case-folded letters and digits, umlauts folded: "E-Mail-Adresse"
= "email adresse" = "emailadresse") and looks it up in ALIASES: the field names the lead export
writes, their English and German labels and usual headers of address lists and trade-fair
scanners in both languages. A field is guessed for one column only (the first). A header the
user mapped before wins over the aliases: their last import whose header was the same is asked
(one query).
"""

import hashlib
import re

from django.utils.translation import gettext_lazy as _

from leads.models import LeadImport

IGNORE = ""
REQUIRED = ("last_name", "email")

# The fields a column can fill, in the order the mapping form offers them.
TARGETS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "job_title": _("Job title"),
    "company_name": _("Company"),
    "source": _("Source"),
    "campaign": _("Campaign"),
    "industry": _("Industry"),
    "size_band": _("Company size"),
    "region": _("Region"),
    "decision_role": _("Decision role"),
    "persona": _("Persona"),
    "owner": _("Owner"),
    "need": _("Need"),
    "budget": _("Budget"),
    "authority": _("Decision authority"),
    "timing": _("Timing"),
    "message": _("Message"),
}

_ALIASES = {
    "first_name": ["first name", "firstname", "given name", "vorname", "rufname"],
    "last_name": ["last name", "lastname", "surname", "family name", "name", "nachname", "familienname"],
    "email": ["email", "e mail", "mail", "email address", "e mail adresse", "emailadresse", "mailadresse"],
    "phone": ["phone", "telephone", "mobile", "telefon", "telefonnummer", "tel", "handy", "mobil", "mobilnummer"],
    "job_title": ["job title", "title", "position", "funktion", "jobtitel", "berufsbezeichnung"],
    "company_name": ["company", "company name", "organization", "organisation", "firma", "unternehmen"],
    "source": ["source", "lead source", "quelle", "herkunft", "leadquelle"],
    "campaign": ["campaign", "kampagne", "aktion"],
    "industry": ["industry", "branche", "sector"],
    "size_band": ["company size", "size", "employees", "unternehmensgroesse", "groesse", "mitarbeiter"],
    "region": ["region", "gebiet", "vertriebsgebiet"],
    "decision_role": ["decision role", "role", "rolle", "entscheidungsrolle"],
    "persona": ["persona", "buyer persona"],
    "owner": ["owner", "assigned to", "besitzer", "verantwortlich", "zustaendig", "betreuer"],
    "need": ["need", "bedarf"],
    "budget": ["budget"],
    "authority": ["authority", "decision authority", "entscheidungsbefugnis", "befugnis"],
    "timing": ["timing", "timeframe", "zeitrahmen", "zeitpunkt"],
    "message": ["message", "note", "notes", "comment", "nachricht", "notiz", "kommentar", "bemerkung"],
}
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def normalise(header):
    """ "E-Mail-Adresse" → "e mail adresse"; "Unternehmensgröße" → "unternehmensgroesse"."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (header or "").casefold().translate(_FOLD)).split())


ALIASES = {normalise(alias): field for field, aliases in _ALIASES.items() for alias in [field, *aliases]}
ALIASES |= {alias.replace(" ", ""): field for alias, field in list(ALIASES.items()) if " " in alias}


def header_key(headers):
    """A fingerprint of the header as normalise() sees it: files from the same source share it."""
    return hashlib.sha256("\x1f".join(normalise(h) for h in headers).encode()).hexdigest()


def remembered(*, user, headers):
    """The mapping the user chose for the same header last time, or None."""
    for earlier in (
        LeadImport.objects.filter(created_by=user, header_key=header_key(headers))
        .exclude(mapping=[])
        .order_by("-created_at", "-pk")
        .values_list("mapping", flat=True)[:1]
    ):
        if len(earlier) == len(headers):
            return list(earlier)
    return None


def guess(*, headers, user=None):
    """One field (or IGNORE) per column."""
    if user is not None:
        earlier = remembered(user=user, headers=headers)
        if earlier is not None:
            return earlier
    taken, mapping = set(), []
    for header in headers:
        key = normalise(header)
        field = ALIASES.get(key) or ALIASES.get(key.replace(" ", ""))
        if field and field not in taken:
            taken.add(field)
            mapping.append(field)
        else:
            mapping.append(IGNORE)
    return mapping


def fit(mapping, *, columns):
    """One entry per column: the field it fills, or IGNORE ("") for a column mapped to nothing.
    None, "" and missing entries at the end all mean "not imported" and are stored as IGNORE;
    entries beyond the last column are dropped."""
    fitted = [field or IGNORE for field in list(mapping)[:columns]]
    return fitted + [IGNORE] * (columns - len(fitted))


def problems(mapping):
    """What stops the import with this mapping: a field chosen twice, a required one not chosen."""
    found = []
    chosen = [field for field in mapping if field]
    for field in dict.fromkeys(f for f in chosen if chosen.count(f) > 1):
        found.append(_("“%(field)s” is chosen for more than one column.") % {"field": TARGETS[field]})
    for field in REQUIRED:
        if field not in chosen:
            found.append(_("Choose the column with the %(field)s.") % {"field": TARGETS[field]})
    return [str(p) for p in found]

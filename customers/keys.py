"""The normalised keys that make two organizations or contacts likely the same (customers.duplicates
matches on them; Organization.save() stores the name and website keys). Pure functions of text,
below the models so both can use them."""

import re
import unicodedata
from urllib.parse import urlsplit

from customers import phones

# Legal forms dropped from the end of a name (dots are dropped first: "e.K." → "ek").
LEGAL_FORMS = frozenset(
    """
    gmbh mbh ag kg ohg gbr ug se kgaa ek ev eg haftungsbeschraenkt co cokg ltd limited inc incorporated
    llc llp lp plc corp corporation company sa sas sarl srl spa bv nv oy ab as aps
    """.split()  # noqa: SIM905 (a word list reads better as words)
)

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

# Domains shared by people of many organizations: never a sign that two are the same.
SHARED_DOMAINS = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.de hotmail.com hotmail.de outlook.com outlook.de live.com
    icloud.com me.com aol.com gmx.de gmx.net gmx.at gmx.ch web.de t-online.de freenet.de posteo.de
    mailbox.org protonmail.com proton.me example.com
    """.split()  # noqa: SIM905
)


def name_key(name):
    """ "Müller & Co. GmbH" → "mueller": case-folded, umlauts folded (ä → ae), accents and
    punctuation dropped, legal forms removed from the end, spaces collapsed."""
    text = (name or "").casefold().translate(UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = re.sub(r"[^\w]+", " ", text.replace(".", "")).split()  # "e.K." → "ek", "Co." → "co"
    dropped = False
    while len(words) > 1 and (words[-1] in LEGAL_FORMS or (dropped and words[-1] in {"und", "and"})):
        words.pop()  # "Schmidt und Co. KG" → "schmidt"
        dropped = True
    return " ".join(words)[:200]


def domain(text):
    """The host of a website or e-mail address, lower case and without "www.":
    "https://www.Example.com/de" → "example.com", "ann@Example.com" → "example.com"."""
    text = (text or "").strip().lower()
    if not text:
        return ""
    if "@" in text and "/" not in text:
        host = text.rsplit("@", 1)[1]
    else:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host.removeprefix("www.").strip(".")[:200]


def matching_domain(text):
    """The domain for matching: "" for a shared one (gmail.com) that says nothing."""
    value = domain(text)
    return "" if value in SHARED_DOMAINS else value


def vat_key(vat_id):
    return re.sub(r"[\s.-]", "", vat_id or "").upper()


def email_key(email):
    return (email or "").strip().casefold()


def phone_key(phone):
    """E.164 or "" (a number phonenumbers cannot read never matches)."""
    return phones.e164(phone)

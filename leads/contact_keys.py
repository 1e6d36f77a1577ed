"""The keys that tell whether two leads are the same person.

Stored on every lead (`Lead.email_key`, `Lead.phone_key`, both indexed) so that finding a
lead for an e-mail or a phone number is one indexed lookup, not a scan over normalised
expressions. The web form, the lead form and the CSV import compare these keys.
"""

from customers import phones

# E.164 has at most 15 digits after the "+".
PHONE_KEY_LENGTH = 16


def email_key(email):
    """The e-mail trimmed and case-folded: "  Ann.Lee@Example.COM " → "ann.lee@example.com"."""
    return (email or "").strip().casefold()


def phone_key(phone, *, region=None):
    """The number in E.164 ("030 123 45 67" → "+49301234567" with region DE), or "" when it is
    not a valid number: a number that phonenumbers cannot place never matches another lead.

    National numbers are read with LEADS_PHONE_REGION (the installation's country); numbers
    written with "+" or "00" and a country code are read as such.
    """
    return phones.e164(phone, region=region)

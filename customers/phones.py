"""Phone numbers: read in the installation's country unless written with a country code,
validated with phonenumbers, stored in E.164 ("+49301234567"), shown in national form
("030 1234567") with the international form beside it."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def parse(text, *, region=None):
    """The valid number `text` means, or None when it cannot be read as one."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region or settings.LEADS_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def e164(text, *, region=None):
    """The number in E.164, or "" when `text` is not a valid number."""
    number = parse(text, region=region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else ""


def normalise(text):
    """E.164 for a form field: "" stays "", a number that is not valid raises ValidationError."""
    if not (text or "").strip():
        return ""
    value = e164(text)
    if not value:
        raise ValidationError(
            _("“%(value)s” is not a valid phone number. Write it with the area code, or with + and the country code."),
            code="invalid_phone",
            params={"value": text.strip()},
        )
    return value


def national(value):
    """How a stored number reads at home: national form for the installation's country, the
    international form for any other (a value that is not a number is shown as stored)."""
    number = parse(value)
    if number is None:
        return value or ""
    home = phonenumbers.region_code_for_number(number) == settings.LEADS_PHONE_REGION
    form = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, form)

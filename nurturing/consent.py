"""Marketing consent (owned by the CONSENT part; this minimal version stands in until it is
merged, with the same signature and rules)."""

from customers.models import MARKETING_ALLOWED
from nurturing.models import Suppression


def marketing_refusal(*, address, contact=None, lead=None):
    """ "" when marketing e-mail may go to the address, else a short reason: "no_address",
    "suppressed", "withdrawn" or "no_consent"."""
    address = (address or "").strip().lower()
    if not address:
        return "no_address"
    if Suppression.objects.filter(address=address).exists():
        return "suppressed"
    record = contact if contact is not None else lead
    state = record.email_consent if record is not None else ""
    if state == "withdrawn":
        return "withdrawn"
    if state not in MARKETING_ALLOWED:
        return "no_consent"
    return ""

"""Marketing e-mail (ENGINE part; this minimal version stands in until the engine's is merged).

`send_marketing` has the shared plan's signature. This version records the `Send` for the
address when marketing e-mail may go there, else a withheld one; it does not render or queue
the e-mail itself (the engine's version does, through the mail app).
"""

from django.utils import timezone

from customers.models import MARKETING_ALLOWED
from nurturing.models import Send, Suppression


def send_marketing(
    *, template, sender, contact=None, lead=None, enrolment=None, step=None, rule=None, segment=None
) -> Send:
    person = contact if contact is not None else lead
    address = (person.email or "").strip().lower()
    refusal = ""
    if not address:
        refusal = "no_address"
    elif person.email_consent not in MARKETING_ALLOWED:
        refusal = "no_consent"
    elif Suppression.objects.filter(address=address).exists():
        refusal = "suppressed"
    return Send.objects.create(
        enrolment=enrolment,
        sequence=enrolment.sequence if enrolment else None,
        step=step,
        rule=rule,
        template=template,
        segment=segment,
        contact=contact,
        lead=lead,
        sender=sender,
        address=address,
        domain=address.rpartition("@")[2],
        status=Send.Status.WITHHELD if refusal else Send.Status.QUEUED,
        status_detail=refusal,
        created_at=timezone.now(),
    )

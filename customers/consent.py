"""The rules every recorded e-mail consent follows, for contacts and leads alike
(docs/nurturing.md, "Consent"), and the listeners told of a change.

`check(status=…, source=…, proof=…)` refuses what could not be shown later: a change without its
source, and the "existing customer" basis (UWG § 7 (3)) without the date the customer relationship
began, written in the proof ("existing customer since 2025-03-01").

The nurturing app sits above customers and leads and sends the double opt-in e-mail when a record
becomes "pending". It registers a listener in its `AppConfig.ready()`:

    consent.register_listener(listener)

and `changed()` calls `listener(contact=…, lead=…, change=…)` once the transaction that recorded
the change commits (exactly one of contact and lead is given; a listener that fails is logged
and does not undo the change).
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Consent

# A date as people write it: 2025-03-01, 1.3.2025 or 01.03.25.
DATE = re.compile(r"\b(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{2,4})\b")

_listeners = []


def check(*, status, source, proof):
    """(source, proof) stripped, or a ValidationError saying what is missing."""
    source, proof = source.strip(), proof.strip()
    if status not in Consent.values:
        raise ValidationError({"status": _("Choose a consent state.")})
    if not source:
        raise ValidationError({"source": _("Say how the consent was given or withdrawn.")})
    if status == Consent.EXISTING and not DATE.search(proof):
        raise ValidationError(
            {"proof": _("Give the date the customer relationship began, e.g. “existing customer since 2025-03-01”.")}
        )
    return source, proof


def register_listener(listener):
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_listener(listener):
    if listener in _listeners:
        _listeners.remove(listener)


def changed(*, change, contact=None, lead=None):
    """Tell the listeners of a recorded change once the transaction commits."""
    for listener in list(_listeners):
        transaction.on_commit(
            lambda listener=listener: listener(contact=contact, lead=lead, change=change), robust=True
        )

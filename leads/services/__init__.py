"""Writes of leads. Every function owns its transaction, checks permission, keeps the
score in step with its inputs and writes the LeadStatusChange history.

One module per family — `lifecycle` (create, edit, status, consent), `webform` (the public form
and touches of known people) and `imports` (the CSV import) — re-exported here, so callers keep
`from leads import services` and `services.<name>`. webform and imports use lifecycle, never
each other.
"""

from leads.services.imports import (
    lead_import_confirm,
    lead_import_create,
    lead_import_discard,
    lead_import_fail_stale,
    lead_import_is_stale,
    lead_import_remap,
    lead_import_reread,
    lead_import_retry,
    lead_import_run,
)
from leads.services.lifecycle import (
    CONVERTIBLE,
    EDITABLE_FIELDS,
    TRANSITIONS,
    LeadError,
    allowed_transitions,
    can_change,
    lead_change_status,
    lead_consent_set,
    lead_create,
    lead_mark_converted,
    lead_qualify,
    lead_update,
    may_convert,
    scoring_rescore_all,
)
from leads.services.webform import (
    TOUCH_FILLS,
    lead_contact_keys_refresh,
    lead_submit_webform,
    lead_touch_record,
    webform_pick_owner,
    webform_rate_limited,
)

__all__ = [
    "CONVERTIBLE",
    "EDITABLE_FIELDS",
    "TOUCH_FILLS",
    "TRANSITIONS",
    "LeadError",
    "allowed_transitions",
    "can_change",
    "lead_change_status",
    "lead_consent_set",
    "lead_contact_keys_refresh",
    "lead_create",
    "lead_import_confirm",
    "lead_import_create",
    "lead_import_discard",
    "lead_import_fail_stale",
    "lead_import_is_stale",
    "lead_import_remap",
    "lead_import_reread",
    "lead_import_retry",
    "lead_import_run",
    "lead_mark_converted",
    "lead_qualify",
    "lead_submit_webform",
    "lead_touch_record",
    "lead_update",
    "may_convert",
    "scoring_rescore_all",
    "webform_pick_owner",
    "webform_rate_limited",
]

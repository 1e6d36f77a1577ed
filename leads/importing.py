"""CSV import: read and validate an uploaded file row by row (no writes).

The result feeds the preview: every row with its problems, and the normalised valid rows
that the import will create if the user chooses to. Problems with the whole file (missing
columns, no rows; wrong encoding in leads.import_encoding) raise ImportFileError with a
message for the user.
"""

import csv
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import scoping
from customers.models import DecisionRole, Industry, Region, SizeBand
from leads import contact_keys, import_mapping, selectors
from leads.models import Lead, Persona
from pipeline_crm import csvexport

EXPORT_HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "company",
    "source",
    "campaign",
    "industry",
    "company_size",
    "region",
    "decision_role",
    "persona",
    "owner",
    "status",
    "need",
    "budget",
    "authority",
    "timing",
    "score",
    "created_at",
]
MAX_LENGTHS = {"first_name": 100, "last_name": 100, "phone": 50, "job_title": 100, "company_name": 200, "campaign": 200}
CHOICES = {
    "source": Lead.Source,
    "industry": Industry,
    "size_band": SizeBand,
    "region": Region,
    "decision_role": DecisionRole,
}


def _choice_lookup(choices):
    """Value or label (in any of the installation's languages, lower case) → the stored value,
    so a German file may say "Messe" and an English one "Trade fair"."""
    table = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in choices.choices:
                table[str(value).lower()] = value
                table[str(label).lower()] = value
    return table


LEVELS = _choice_lookup(Lead.Level)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class MappingIncomplete(ImportFileError):
    """The columns do not say where the required fields are (or name one field twice): the
    user chooses the columns on the preview (leads.import_mapping)."""

    def __init__(self, problems, *, headers, mapping):
        super().__init__(" ".join(problems))
        self.problems, self.headers, self.mapping = problems, headers, mapping


def read_header(text):
    """(the header's cells, a csv reader positioned at the first row). The delimiter is whichever
    of comma, semicolon and tab the first line has most of."""
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportFileError(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from None
    return [cell.strip() for cell in header], reader


def read_rows(text, *, mapping=None):
    """(the header, the field of each column, iterator of rows). `mapping` is the field (or "")
    per column; None guesses it from the header. Raises MappingIncomplete when a required
    field has no column or a field has two."""
    header, reader = read_header(text)
    if mapping is None:
        mapping = import_mapping.guess(headers=header)
    mapping = import_mapping.fit(mapping, columns=len(header))
    problems = import_mapping.problems(mapping)
    if problems:
        raise MappingIncomplete(problems, headers=header, mapping=mapping)
    return header, [field or None for field in mapping], reader


def validate(*, text, actor, mapping=None):
    """Validate every row, the columns read as `mapping` says (None: guessed from the header).
    Returns (valid rows, report, total rows).

    A row is valid when its required values are there, its e-mail is well-formed, every
    coded value is known (value or label, any case), and its e-mail (trimmed, case-folded)
    appears neither earlier in the file nor on an existing lead that is not converted. A row
    whose phone number (in international form) is an existing lead's is imported with a note.
    Each report row names the matching lead when the user may open it ("match").
    """
    _header, fields, reader = read_rows(text, mapping=mapping)
    lookups = {name: _choice_lookup(choices) for name, choices in CHOICES.items()}
    personas = {p.name.lower(): p.pk for p in Persona.objects.all()}
    owners = {u.username.lower(): u.pk for u in scoping.assignable_users(actor)}
    parsed = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            values = {}
            for field, cell in zip(fields, row, strict=False):
                if field:
                    values[field] = csvexport.text_from_cell(cell).strip()
            parsed.append((line, values, len(row) > len(fields)))
    except csv.Error as exc:
        raise ImportFileError(
            _("The file cannot be read as CSV near line %(line)s: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from None
    if not parsed:
        raise ImportFileError(_("The file has a header but no rows."))

    for _line, values, _extra in parsed:
        values["email_key"] = contact_keys.email_key(values.get("email", ""))
        values["phone_key"] = contact_keys.phone_key(values.get("phone", ""))
    existing_emails, existing_phones = selectors.lead_key_matches_for_user(
        user=actor,
        email_keys=[v["email_key"] for _line, v, _extra in parsed],
        phone_keys=[v["phone_key"] for _line, v, _extra in parsed],
    )

    seen = {}
    valid, report = [], []
    for line, values, extra in parsed:
        errors, notes = [], []
        match = None  # an existing lead of the same person that the user may open
        out = {"row": line}
        if extra:
            errors.append(_("more cells than columns"))
        for field in ("first_name", "last_name", "phone", "job_title", "company_name", "campaign", "message"):
            value = values.get(field, "")
            if field in MAX_LENGTHS and len(value) > MAX_LENGTHS[field]:
                errors.append(
                    _("%(field)s is longer than %(max)s characters") % {"field": field, "max": MAX_LENGTHS[field]}
                )
            out[field] = value
        if not out["last_name"]:
            errors.append(_("last_name is missing"))
        email = values.get("email", "")
        if not email:
            errors.append(_("email is missing"))
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(_("“%(email)s” is not a valid e-mail address") % {"email": email})
            key = values["email_key"]
            if key in seen:
                errors.append(_("duplicate e-mail: same as row %(row)s") % {"row": seen[key]})
            else:
                seen[key] = line
            if key in existing_emails:
                errors.append(_("a lead with this e-mail already exists"))
                match = existing_emails[key]
        phone_key = values["phone_key"]
        if phone_key and phone_key in existing_phones and not (email and values["email_key"] in existing_emails):
            notes.append(_("a lead with this phone number already exists (imported all the same)"))
            match = existing_phones[phone_key]
        out["email"] = email
        for field, table in lookups.items():
            value = values.get(field, "")
            if not value:
                out[field] = Lead.Source.OTHER if field == "source" else ""
            elif value.lower() in table:
                out[field] = table[value.lower()]
            else:
                errors.append(_("unknown %(field)s “%(value)s”") % {"field": field, "value": value})
        for field in ("need", "budget", "authority", "timing"):
            value = values.get(field, "").lower()
            if value and value not in LEVELS:
                errors.append(_("%(field)s must be 0–3 or unknown/low/medium/high") % {"field": field})
            out[field] = LEVELS.get(value, 0)
        persona = values.get("persona", "")
        out["persona_id"] = personas.get(persona.lower()) if persona else None
        if persona and out["persona_id"] is None:
            errors.append(_("unknown persona “%(value)s”") % {"value": persona})
        owner = values.get("owner", "")
        out["owner_id"] = owners.get(owner.lower()) if owner else actor.pk
        if owner and out["owner_id"] is None:
            errors.append(_("unknown owner “%(value)s” (or not yours to assign)") % {"value": owner})
        name = f"{out['first_name']} {out['last_name']}".strip()
        report.append(
            {
                "row": line,
                "ok": not errors,
                "errors": [str(e) for e in errors],
                "notes": [str(n) for n in notes],
                "match": match,
                "name": name,
                "email": email,
            }
        )
        if not errors:
            valid.append(out)
    return valid, report, len(parsed)

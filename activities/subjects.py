"""The subjects of follow-up rules: the placeholders they may use, their validation and filling.

A subject is plain text with placeholders in braces, e.g. "Follow up on {deal} ({organization})".
The names are a fixed list (below, docs/activities.md); filling is a plain substitution, not
str.format, so a template cannot reach attributes. Braces serve only placeholders: an unknown name
or a brace without its partner is refused when the rule is saved (the field's validator, run by the
admin and by every `full_clean`). Rules saved before the validation existed are reported by the
system check `activities.W001` (`manage.py check --database default`, and on `migrate`).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

PLACEHOLDERS = {
    "deal": _("the deal's title"),
    "organization": _("the deal's organization, or the lead's company"),
    "lead": _("the lead's name"),
    "stage": _("the deal's stage"),
    "owner": _("the owner, who gets the activity or notification"),
    "quote": _("the quote's number (quote triggers only)"),
}
HELP_TEXT = _(
    "Placeholders: {deal} the deal's title, {organization} the deal's organization or the lead's company, "
    "{lead} the lead's name, {stage} the deal's stage, {owner} the owner, {quote} the quote's number (quote "
    "triggers). Braces are for placeholders only."
)

_BRACED = re.compile(r"\{([^{}]*)\}")
_FILLED = re.compile(r"\{(\w+)\}")


def available():
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def template_errors(template):
    """The problems of a subject template as ValidationErrors ([] when it is fine)."""
    errors = []
    unknown = [f"{{{m.group(1)}}}" for m in _BRACED.finditer(template) if m.group(1) not in PLACEHOLDERS]
    if unknown:
        unknown = list(dict.fromkeys(unknown))
        errors.append(
            ValidationError(
                ngettext(
                    "Unknown placeholder %(names)s. Available: %(available)s.",
                    "Unknown placeholders %(names)s. Available: %(available)s.",
                    len(unknown),
                ),
                code="unknown_placeholder",
                params={"names": ", ".join(unknown), "available": available()},
            )
        )
    # What is left after taking out every {…} pair: any brace there has no partner.
    rest = _BRACED.sub(lambda m: " " * len(m.group(0)), template)
    stray = next((i for i, char in enumerate(rest) if char in "{}"), None)
    if stray is not None:
        errors.append(
            ValidationError(
                _(
                    "The “%(brace)s” at character %(position)d has no partner: braces only enclose a "
                    "placeholder, such as {deal}."
                ),
                code="unmatched_brace",
                params={"brace": rest[stray], "position": stray + 1},
            )
        )
    return errors


def validate_subject_template(value):
    errors = template_errors(value)
    if errors:
        raise ValidationError(errors)


def fill(template, values):
    """Replace each {name} by values[name]; a name without a value stays as written (only in
    templates saved before the validation: see the module docstring)."""
    return _FILLED.sub(lambda m: values.get(m.group(1), m.group(0)), template)

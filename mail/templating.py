"""E-mail templates rendered in a sandbox (docs/email.md, "Templates").

A template may only name the placeholders of PLACEHOLDERS, written `{{ name.field }}` with an
optional `|default:"text"`. Rendering builds a dict of plain strings from exactly those fields
(`context_for`), so no model instance ever reaches the renderer: there is no attribute walk,
no tag, no filter but `default`. Saving a template that asks for anything else (an unknown
field such as `{{ owner.password }}`, a path such as `{{ deal.owner.password }}`, a tag such as
`{% load %}`) is refused with the list of what is allowed (`validate`). Rendering is total: a
missing value gives the default or nothing.
"""

import re

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext_lazy as _

# The whitelist: placeholder → its label (shown on the templates page and in docs/email.md).
PLACEHOLDERS = {
    "contact.first_name": _("the contact's first name"),
    "contact.last_name": _("the contact's last name"),
    "contact.full_name": _("the contact's full name"),
    "contact.email": _("the contact's e-mail address"),
    "contact.job_title": _("the contact's job title"),
    "organization.name": _("the organization's name"),
    "organization.city": _("the organization's city"),
    "organization.industry": _("the organization's industry"),
    "deal.title": _("the deal's title"),
    "deal.value": _("the deal's value, formatted with the currency"),
    "deal.stage": _("the deal's stage"),
    "deal.expected_close_date": _("the deal's expected close date"),
    "lead.first_name": _("the lead's first name"),
    "lead.last_name": _("the lead's last name"),
    "lead.full_name": _("the lead's full name"),
    "lead.company_name": _("the lead's company"),
    "lead.industry": _("the lead's industry"),
    "persona.name": _("the persona's name"),
    "persona.needs": _("the persona's needs"),
    "persona.problems": _("the persona's pain points"),
    "sender.first_name": _("your first name"),
    "sender.last_name": _("your last name"),
    "sender.full_name": _("your full name"),
    "sender.email": _("your e-mail address"),
    "sender.signature": _("your signature (from your preferences)"),
}

# Anything between {{ }} or {% %} or {# #}; what is inside is checked against the whitelist.
_ANY = re.compile(r"\{\{(.*?)\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_PLACEHOLDER = re.compile(r'^\s*([a-z_]+\.[a-z_]+)\s*(?:\|\s*default\s*:\s*"([^"{}%]*)"\s*)?$')


def allowed_text():
    return ", ".join("{{ %s }}" % name for name in PLACEHOLDERS)  # noqa: UP031 (braces)


def problems(text):
    """The placeholders and tags of `text` that are not allowed (as written)."""
    found = []
    for match in _ANY.finditer(text or ""):
        inner = match.group(1)
        parsed = _PLACEHOLDER.match(inner) if inner is not None else None
        if parsed is None or parsed.group(1) not in PLACEHOLDERS:
            found.append(match.group(0))
    # A lone "{{" or "{%" (unclosed) is refused too: it would be shown to the customer.
    rest = _ANY.sub("", text or "")
    if "{{" in rest or "{%" in rest:
        found.append("{{" if "{{" in rest else "{%")
    return found


def validate(text):
    """Raise ValidationError naming what is not allowed and listing what is."""
    bad = problems(text)
    if bad:
        raise ValidationError(
            _("Not allowed: %(bad)s. Allowed placeholders: %(allowed)s."),
            params={"bad": ", ".join(dict.fromkeys(bad)), "allowed": allowed_text()},
            code="placeholder",
        )


def sanitise_html(html):
    """HTML kept to safe tags and attributes (nh3's defaults: no script, style, event handlers)."""
    return nh3.clean(html or "")


def _money(value):
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} {settings.CRM_CURRENCY}"


def _names(first, last):
    return " ".join(part for part in (first, last) if part)


def context_for(*, sender, contact=None, organization=None, deal=None, lead=None, signature="", persona=None):
    """Plain strings of the whitelisted fields, nothing else. The deal brings its contact and
    organization, the lead its own and its persona, when none is given. Industries are their
    display names in the active language."""
    if deal is not None:
        contact = contact or deal.contact
        organization = organization or deal.organization
    if lead is not None:
        contact = contact or lead.contact
        organization = organization or lead.organization
        persona = persona or (lead.persona if lead.persona_id else None)
    if contact is not None and organization is None:
        organization = contact.organization
    values = dict.fromkeys(PLACEHOLDERS, "")
    if contact is not None:
        values |= {
            "contact.first_name": contact.first_name,
            "contact.last_name": contact.last_name,
            "contact.full_name": _names(contact.first_name, contact.last_name),
            "contact.email": contact.email,
            "contact.job_title": contact.job_title,
        }
    if organization is not None:
        values |= {
            "organization.name": organization.name,
            "organization.city": organization.city,
            "organization.industry": organization.get_industry_display() if organization.industry else "",
        }
    if deal is not None:
        values |= {
            "deal.title": deal.title,
            "deal.value": _money(deal.value),
            "deal.stage": deal.stage.name if deal.stage_id else "",
            "deal.expected_close_date": formats.date_format(deal.expected_close_date, "SHORT_DATE_FORMAT")
            if deal.expected_close_date
            else "",
        }
    if lead is not None:
        values |= {
            "lead.first_name": lead.first_name,
            "lead.last_name": lead.last_name,
            "lead.full_name": _names(lead.first_name, lead.last_name),
            "lead.company_name": lead.company_name,
            "lead.industry": lead.get_industry_display() if lead.industry else "",
        }
    if persona is not None:
        values |= {"persona.name": persona.name, "persona.needs": persona.needs, "persona.problems": persona.problems}
    if sender is not None:
        values |= {
            "sender.first_name": sender.first_name,
            "sender.last_name": sender.last_name,
            "sender.full_name": _names(sender.first_name, sender.last_name) or sender.get_username(),
            "sender.email": sender.email,
            "sender.signature": signature,
        }
    return {name: str(value or "") for name, value in values.items()}


def render(text, values, *, html=False):
    """`text` with each allowed placeholder replaced by its value (escaped in HTML, where a
    multi-line value keeps its line breaks); anything else is left as written."""

    def replace(match):
        inner = match.group(1)
        parsed = _PLACEHOLDER.match(inner) if inner is not None else None
        if parsed is None or parsed.group(1) not in PLACEHOLDERS:
            return match.group(0)
        value = values.get(parsed.group(1), "") or (parsed.group(2) or "")
        if html:
            return escape(value).replace("\n", "<br>")
        return value

    return _ANY.sub(replace, text or "")


def text_to_html(text):
    """The HTML part of a plain-text message: escaped, paragraphs and line breaks kept."""
    return linebreaks(text or "", autoescape=True)

"""Templates render in a sandbox: a fixed whitelist of placeholders filled from plain strings;
anything else is refused when saved; rendering never fails."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from mail import services, templating
from mail.models import EmailTemplate
from nurturing import defaults as nurturing_defaults
from tests import factories


@pytest.mark.parametrize(
    "text",
    [
        "{{ owner.password }}",
        "{{ deal.owner.password }}",
        "{{ sender.password }}",
        "{% load static %}",
        "{% if x %}x{% endif %}",
        "{{ deal.title|upper }}",
        "{{ deal.title.__class__ }}",
        "{{ contact }}",
        "Hallo {{ deal.title",
        "{# comment #}",
    ],
)
def test_anything_outside_the_whitelist_is_refused_with_the_allowed_list(text):
    with pytest.raises(ValidationError) as refused:
        templating.validate(f"Guten Tag, {text}")

    message = refused.value.messages[0]
    assert "Not allowed" in message
    assert "{{ contact.first_name }}" in message and "{{ sender.signature }}" in message


def test_saving_a_template_asking_for_owner_password_is_refused(rep):
    with pytest.raises(ValidationError, match=r"owner\.password"):
        services.template_create(
            actor=rep,
            data={
                "name": "x",
                "language": "de",
                "subject": "Hallo",
                "body": "{{ owner.password }}",
                "visibility": "personal",
            },
        )
    assert not EmailTemplate.objects.filter(owner=rep).exists()


def test_the_whitelisted_fields_are_rendered_with_defaults_for_missing_values(rep):
    contact = factories.ContactFactory(first_name="Katrin", last_name="Brandt", organization__name="Brandt GmbH")
    deal = factories.DealFactory(
        owner=rep, title="Rollout Nord", contact=contact, organization=contact.organization, value=Decimal("12500.50")
    )
    with translation.override("de"):
        values = templating.context_for(sender=rep, deal=deal, signature="Alice Adams\nVertrieb")
    text = templating.render(
        "Guten Tag {{ contact.first_name }} {{contact.last_name}} ({{ organization.name }}), "
        '{{ deal.title }} über {{ deal.value }}. {{ lead.full_name|default:"kein Lead" }} {{ lead.company_name }}.\n'
        "{{ sender.signature }}",
        values,
    )

    assert text == (
        "Guten Tag Katrin Brandt (Brandt GmbH), Rollout Nord über 12.500,50 EUR. kein Lead .\nAlice Adams\nVertrieb"
    )
    assert all(isinstance(value, str) for value in values.values())
    assert set(values) == set(templating.PLACEHOLDERS)


def test_values_are_escaped_in_html_templates(rep):
    contact = factories.ContactFactory(first_name="<script>alert(1)</script>")
    values = templating.context_for(sender=rep, contact=contact)

    html = templating.render("<p>Hallo {{ contact.first_name }}</p>", values, html=True)

    assert html == "<p>Hallo &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_an_html_template_is_cleaned_when_saved(rep):
    template = services.template_create(
        actor=rep,
        data={
            "name": "Angebot",
            "language": "de",
            "subject": "Ihr Angebot",
            "body": '<p onclick="x()">Hallo {{ contact.first_name }}<script>steal()</script></p>',
            "is_html": True,
            "visibility": "personal",
        },
    )
    assert template.body == "<p>Hallo {{ contact.first_name }}</p>"


def test_rendering_is_total_for_text_that_slipped_past_validation():
    assert templating.render("{{ owner.password }} {% load x %}", {}) == "{{ owner.password }} {% load x %}"


def test_the_default_templates_exist_in_both_languages(db):
    # The mail app's own defaults (the retargeting set of docs/nurturing.md adds German ones of its own).
    defaults = EmailTemplate.objects.filter(owner__isnull=True).exclude(name__in=nurturing_defaults.TEMPLATES)
    assert sorted(defaults.values_list("language", flat=True)) == ["de", "de", "en", "en"]
    for template in defaults:
        templating.validate(template.subject)
        templating.validate(template.body)
        assert template.visibility == EmailTemplate.Visibility.EVERYONE


def test_a_lead_brings_its_persona_and_industries_are_their_display_names(rep):
    persona = factories.PersonaFactory(name="IT-Leiterin", needs="Weniger Handarbeit", problems="Excel-Chaos")
    organization = factories.OrganizationFactory(industry="manufacturing")
    lead = factories.LeadFactory(persona=persona, industry="software", organization=organization)
    with translation.override("en"):
        values = templating.context_for(sender=rep, lead=lead)
    text = templating.render(
        "{{ persona.name }}: {{ persona.needs }} / {{ persona.problems }} – {{ lead.industry }}, "
        "{{ organization.industry }}",
        values,
    )

    assert text == "IT-Leiterin: Weniger Handarbeit / Excel-Chaos – Software & IT, Manufacturing"
    templating.validate("{{ persona.problems }} {{ lead.industry }} {{ organization.industry }} {{ persona.name }}")


def test_without_a_persona_or_industry_the_placeholders_give_their_default(rep):
    lead = factories.LeadFactory(industry="")
    values = templating.context_for(sender=rep, lead=lead)

    assert templating.render('{{ persona.name|default:"Sie" }} {{ lead.industry|default:"-" }}', values) == "Sie -"

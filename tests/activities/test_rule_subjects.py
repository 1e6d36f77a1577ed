"""Follow-up rule subjects: only the documented placeholders, braces only around them; the admin
(and every other path through model validation) refuses the rest naming what is wrong, the field
lists the placeholders, and rules saved before that are reported by a system check."""

import pytest
from django.core import checks
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities import services, subjects
from activities.models import FollowUpRule
from tests import factories

AVAILABLE = "{deal}, {organization}, {lead}, {stage}, {owner}, {quote}"


def rule_form(subject):
    return {
        "name": "Follow the proposal",
        "is_active": "on",
        "trigger": "deal_won",
        "action": "create_activity",
        "activity_kind": "follow_up",
        "subject_template": subject,
        "due_in_days": "3",
        "created_at_0": "2026-01-01",
        "created_at_1": "10:00:00",
    }


def subject_errors(response):
    return response.context["adminform"].form.errors.get("subject_template", [])


def test_the_admin_refuses_an_unknown_placeholder_naming_it(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("admin:activities_followuprule_add"), rule_form("Check {deal.owner.password} for {deal}")
    )
    assert response.status_code == 200
    assert subject_errors(response) == [f"Unknown placeholder {{deal.owner.password}}. Available: {AVAILABLE}."]
    assert not FollowUpRule.objects.filter(name="Follow the proposal").exists()


def test_every_unknown_placeholder_is_named_once(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("admin:activities_followuprule_add"), rule_form("{Deal} {company} {} {company} { deal }")
    )
    assert subject_errors(response) == [
        f"Unknown placeholders {{Deal}}, {{company}}, {{}}, {{ deal }}. Available: {AVAILABLE}."
    ]


@pytest.mark.parametrize(
    ("subject", "brace", "position"),
    [
        ("Call {deal", "{", 6),
        ("Call deal}", "}", 10),
        ("Call {{deal}}", "{", 6),
        ("}{deal}{", "}", 1),
        ("Call {deal} {owner", "{", 13),
    ],
)
def test_the_admin_refuses_a_brace_without_its_partner(client, admin, subject, brace, position):
    client.force_login(admin)
    response = client.post(reverse("admin:activities_followuprule_add"), rule_form(subject))
    assert subject_errors(response) == [
        f"The “{brace}” at character {position} has no partner: braces only enclose a placeholder, such as {{deal}}."
    ]
    assert not FollowUpRule.objects.filter(name="Follow the proposal").exists()


def test_unknown_names_and_stray_braces_are_both_reported(db):
    with pytest.raises(ValidationError) as refused:
        subjects.validate_subject_template("{deal.title} {owner")
    assert refused.value.messages == [
        f"Unknown placeholder {{deal.title}}. Available: {AVAILABLE}.",
        "The “{” at character 14 has no partner: braces only enclose a placeholder, such as {deal}.",
    ]


def test_model_validation_refuses_them_outside_the_admin_too(db):
    rule = factories.FollowUpRuleFactory.build(subject_template="Ping {deal.__class__}")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict["subject_template"] == [
        f"Unknown placeholder {{deal.__class__}}. Available: {AVAILABLE}."
    ]


def test_every_documented_placeholder_is_accepted_and_filled(client, admin, rep):
    template = "{deal} · {organization} · {lead} · {stage} · {owner}"
    client.force_login(admin)
    response = client.post(reverse("admin:activities_followuprule_add"), rule_form(template))
    assert response.status_code == 302
    assert FollowUpRule.objects.get(name="Follow the proposal").subject_template == template
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    subject = services.rule_render_subject(template, deal=deal, owner=rep)
    assert subject == f"Acme rollout · {deal.organization.name} ·  · {deal.stage.name} · {rep}"


def test_text_without_placeholders_is_fine(db):
    subjects.validate_subject_template("Post-sale check-in")


def test_the_admin_lists_the_placeholders_beside_the_field(client, admin):
    client.force_login(admin)
    html = client.get(reverse("admin:activities_followuprule_add")).content.decode()
    help_text = html[html.index('id="id_subject_template_helptext"') :][:600]
    for name in subjects.PLACEHOLDERS:
        assert f"{{{name}}}" in help_text


def test_the_check_reports_rules_saved_with_bad_placeholders(db):
    good = factories.FollowUpRuleFactory(name="Good", subject_template="Call {deal}")
    bad = factories.FollowUpRuleFactory(name="Old import", subject_template="Call {deal.owner.password}")
    stray = factories.FollowUpRuleFactory(name="Typo", subject_template="Call {deal")
    found = [w for w in checks.run_checks(databases=["default"]) if w.id == "activities.W001"]
    assert [w.obj for w in found] == [f"activities.FollowUpRule {bad.pk}", f"activities.FollowUpRule {stray.pk}"]
    assert "Unknown placeholder {deal.owner.password}" in found[0].msg
    assert "“Old import”" in found[0].msg
    assert "has no partner" in found[1].msg
    assert f"activities.FollowUpRule {good.pk}" not in {w.obj for w in found}


def test_the_check_reads_the_database_only_when_asked(db):
    factories.FollowUpRuleFactory(subject_template="Call {deal.owner.password}")
    assert not [w for w in checks.run_checks() if w.id == "activities.W001"]


def test_a_rule_saved_before_keeps_working_as_before(db, rep):
    """Its unknown placeholder stays as written (the check tells the admin), the known ones fill."""
    deal = factories.DealFactory(owner=rep, title="Acme")
    assert services.rule_render_subject("{deal.owner.password} {deal}", deal=deal, owner=rep) == (
        "{deal.owner.password} Acme"
    )

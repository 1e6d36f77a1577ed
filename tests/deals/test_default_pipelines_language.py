"""The default pipelines, stages, lost reasons and follow-up rules are data written in the
installation's language, with a description of what to do in each stage (docs/translations.md)."""

import pytest

from activities.defaults import ensure_default_rules
from activities.models import FollowUpRule
from deals import defaults
from deals.models import LostReason, Pipeline, Stage


@pytest.fixture
def empty(db):
    FollowUpRule.objects.all().delete()
    Stage.objects.all().delete()
    Pipeline.objects.all().delete()
    LostReason.objects.all().delete()


def test_a_german_installation_starts_with_german_pipelines_stages_and_reasons(empty, settings):
    settings.LANGUAGE_CODE = "de"
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    default = Pipeline.objects.get(is_default=True)
    assert default.name == "Neugeschäft"
    assert list(default.stages.order_by("order").values_list("name", flat=True)) == [
        "Interessentensuche",
        "Erstkontakt",
        "Bedarfsanalyse",
        "Lösungsvorstellung",
        "Verhandlung & Angebot",
        "Einwandbehandlung & Abschluss",
    ]
    assert default.stages.get(name="Einwandbehandlung & Abschluss").description.startswith("Offene Einwände")
    assert "Preis zu hoch" in set(LostReason.objects.values_list("name", flat=True))


def test_the_german_rules_find_the_german_proposal_stage_and_keep_their_placeholders(empty, settings):
    settings.LANGUAGE_CODE = "de"
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    ensure_default_rules(FollowUpRule, Stage)
    proposal = FollowUpRule.objects.get(name="Angebot gesendet: nachfassen")
    assert proposal.stage.name == "Verhandlung & Angebot"
    assert proposal.subject_template == "Beim Angebot nachfassen"
    assert FollowUpRule.objects.get(trigger="quote_expiring").subject_template == (
        "Angebot {quote} läuft bald ab: bei {deal} nachfassen"
    )


def test_an_english_installation_changed_to_german_gets_no_second_set(db, settings):
    """The migrations ran in English; running the defaults again in German finds them all."""
    before = (Pipeline.objects.count(), Stage.objects.count(), LostReason.objects.count(), FollowUpRule.objects.count())
    settings.LANGUAGE_CODE = "de"
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    ensure_default_rules(FollowUpRule, Stage)
    after = (Pipeline.objects.count(), Stage.objects.count(), LostReason.objects.count(), FollowUpRule.objects.count())
    assert after == before
    assert Pipeline.objects.filter(name="New business").exists()


def test_the_default_stages_carry_what_to_do_in_each_phase(db):
    stages = Stage.objects.filter(pipeline__name__in=["New business", "Expansion"])
    assert stages.count() == 10
    assert not stages.filter(description="").exists()
    first = stages.get(name="Prospecting")
    assert first.description.startswith("Find companies and people who fit the offer")


def test_describing_fills_only_empty_descriptions_of_default_stages(db):
    Stage.objects.filter(name="Prospecting").update(description="")
    Stage.objects.filter(name="First contact").update(description="Our own words")
    other = Stage.objects.create(pipeline=Pipeline.objects.get(name="Expansion"), name="Custom", order=99)
    assert defaults.describe_default_stages(Pipeline, Stage) == 1
    assert Stage.objects.get(name="First contact").description == "Our own words"
    assert Stage.objects.get(name="Prospecting").description.startswith("Find companies")
    other.refresh_from_db()
    assert other.description == ""


def test_a_renamed_default_stage_keeps_its_new_name(db, settings):
    Stage.objects.filter(name="Prospecting").update(name="Lead research")
    settings.LANGUAGE_CODE = "de"
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    assert Stage.objects.filter(name="Lead research").count() == 1
    assert not Stage.objects.filter(name="Interessentensuche").exists()

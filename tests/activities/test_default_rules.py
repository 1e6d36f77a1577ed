from activities.defaults import QUOTE_RULES, ensure_default_rules
from activities.models import FollowUpRule
from deals.models import Stage

Trigger = FollowUpRule.Trigger


def test_default_rules_come_from_the_data_migration(db):
    rules = {r.subject_template: r for r in FollowUpRule.objects.select_related("stage__pipeline")}

    proposal = rules["Follow up on the proposal"]
    assert (proposal.trigger, proposal.stage.name, proposal.stage.pipeline.name) == (
        Trigger.STAGE_ENTERED,
        "Negotiation & proposal",
        "New business",
    )
    assert proposal.due_in_days == 3
    won = {s: rules[s].due_in_days for s in rules if rules[s].trigger == Trigger.DEAL_WON}
    assert won == {"Post-sale check-in": 14, "Ask for feedback and a testimonial": 30, "Cross-sell / upsell review": 60}
    assert (rules["Re-engage"].trigger, rules["Re-engage"].due_in_days) == (Trigger.DEAL_LOST, 90)
    nurture = rules["Nurture: send relevant content"]
    assert (nurture.trigger, nurture.idle_days) == (Trigger.LEAD_IDLE, 14)


def test_default_rules_tolerate_a_missing_proposal_stage(db):
    FollowUpRule.objects.all().delete()
    Stage.objects.filter(name="Negotiation & proposal").update(name="Proposal")

    ensure_default_rules(FollowUpRule, Stage)

    assert FollowUpRule.objects.count() == 8
    assert not FollowUpRule.objects.filter(trigger=Trigger.STAGE_ENTERED).exists()


def test_default_rules_keep_what_an_admin_edited(db):
    FollowUpRule.objects.filter(name="Lost: re-engage").update(due_in_days=120)

    ensure_default_rules(FollowUpRule, Stage)

    assert FollowUpRule.objects.get(name="Lost: re-engage").due_in_days == 120
    # The nurturing app's retargeting rules (nurturing/defaults.py) are not these defaults.
    assert FollowUpRule.objects.exclude(name__startswith="Retargeting").count() == 9


def test_the_quote_rules_migration_adds_only_the_quote_rules(db):
    FollowUpRule.objects.filter(name="Lost: re-engage").delete()  # an admin removed a default
    FollowUpRule.objects.filter(trigger__startswith="quote_").delete()

    ensure_default_rules(FollowUpRule, Stage, only=QUOTE_RULES)

    assert not FollowUpRule.objects.filter(name="Lost: re-engage").exists()
    assert set(FollowUpRule.objects.filter(trigger__startswith="quote_").values_list("name", flat=True)) == set(
        QUOTE_RULES
    )

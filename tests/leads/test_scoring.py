import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leads import scoring, services
from leads.models import Lead, ScoringSettings

HIGH, MEDIUM, LOW, UNKNOWN = 3, 2, 1, 0


@pytest.mark.parametrize(("criterion", "weight"), [("need", 30), ("budget", 25), ("authority", 25), ("timing", 20)])
def test_each_criterion_counts_with_its_default_weight(rep, make_lead, criterion, weight):
    lead = make_lead(owner=rep, **{criterion: HIGH})
    assert lead.score == weight
    assert lead.score_breakdown[criterion] == {"level": HIGH, "weight": weight, "points": weight}
    others = [c for c in scoring.CRITERIA if c != criterion]
    assert all(lead.score_breakdown[c]["points"] == 0 for c in others)


@pytest.mark.parametrize(("level", "points"), [(UNKNOWN, 0), (LOW, 10), (MEDIUM, 20), (HIGH, 30)])
def test_every_level_of_the_scale_gives_its_share_of_the_weight(rep, make_lead, level, points):
    assert make_lead(owner=rep, need=level).score == points


def test_points_round_half_up():
    assert scoring.points(level=MEDIUM, weight=25) == 17  # 16.67
    assert scoring.points(level=LOW, weight=25) == 8  # 8.33
    assert scoring.points(level=LOW, weight=3) == 1  # 1.0
    assert scoring.points(level=1, weight=1) == 0  # 0.33


def test_all_criteria_high_score_100(rep, make_lead):
    assert make_lead(owner=rep, need=HIGH, budget=HIGH, authority=HIGH, timing=HIGH).score == 100


def test_edited_weights_change_new_scores(rep, make_lead):
    ScoringSettings.objects.update_or_create(
        pk=1, defaults={"need_weight": 10, "budget_weight": 40, "authority_weight": 40, "timing_weight": 10}
    )
    lead = make_lead(owner=rep, budget=HIGH, timing=MEDIUM)
    assert lead.score == 40 + 7
    assert lead.score_breakdown["budget"]["weight"] == 40


def test_score_is_recomputed_when_a_criterion_changes(rep, make_lead):
    lead = make_lead(owner=rep, need=LOW)
    assert lead.score == 10
    services.lead_qualify(lead_id=lead.pk, actor=rep, need=HIGH, budget=MEDIUM, authority=UNKNOWN, timing=LOW)
    lead.refresh_from_db()
    assert lead.score == 30 + 17 + 0 + 7
    assert lead.score_breakdown["budget"]["points"] == 17


def test_score_is_recomputed_on_an_edit_through_lead_update(rep, make_lead):
    lead = make_lead(owner=rep)
    services.lead_update(lead_id=lead.pk, actor=rep, timing=HIGH)
    lead.refresh_from_db()
    assert lead.score == 20


def test_rescore_all_applies_new_weights_to_stored_scores(rep, make_lead):
    lead = make_lead(owner=rep, need=HIGH, timing=HIGH)
    assert lead.score == 50
    ScoringSettings.objects.update_or_create(
        pk=1, defaults={"need_weight": 50, "budget_weight": 20, "authority_weight": 20, "timing_weight": 10}
    )
    assert services.scoring_rescore_all() == 1
    lead.refresh_from_db()
    assert lead.score == 60
    assert lead.score_breakdown["need"] == {"level": HIGH, "weight": 50, "points": 50}


@pytest.mark.parametrize(
    ("score", "band"), [(100, "hot"), (70, "hot"), (69, "warm"), (40, "warm"), (39, "cold"), (0, "cold")]
)
def test_bands_follow_the_thresholds(db, score, band):
    assert scoring.band(score, config=ScoringSettings.get_solo()) == band


def test_thresholds_are_editable(db):
    config = ScoringSettings.get_solo()
    config.hot_threshold, config.warm_threshold = 90, 60
    config.save()
    assert scoring.band(80, config=config) == "warm"


def test_weights_must_add_up_to_100(db):
    config = ScoringSettings.get_solo()
    config.need_weight = 50
    with pytest.raises(ValidationError, match="add up to 100"):
        config.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        config.save()


def test_explanation_reads_like_the_page(rep, make_lead):
    lead = make_lead(owner=rep, need=HIGH, budget=LOW)
    rows = scoring.explain(lead)
    assert [(str(r["label"]), str(r["level_label"]), r["points"], r["weight"]) for r in rows] == [
        ("need", "high", 30, 30),
        ("budget", "low", 8, 25),
        ("decision authority", "unknown", 0, 25),
        ("timing", "unknown", 0, 20),
    ]


def test_explanation_handles_breakdowns_without_weights(rep):
    lead = Lead(need=HIGH, score=30, score_breakdown={"need": 30, "budget": 0, "authority": 0, "timing": 0})
    assert scoring.explain(lead)[0]["points"] == 30


def test_rescore_command_reports_the_changed_leads(rep, make_lead):
    from io import StringIO

    from django.core.management import call_command

    make_lead(owner=rep, need=HIGH)
    make_lead(owner=rep)
    ScoringSettings.objects.filter(pk=1).update(need_weight=40, timing_weight=10)
    out = StringIO()
    call_command("rescore_leads", stdout=out)
    assert out.getvalue().strip() == "2 leads rescored (score or breakdown changed)."

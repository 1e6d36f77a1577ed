"""The qualification score: pure functions, no writes (services store the result).

Each criterion (need, budget, decision authority, timing) sits on the labelled scale
unknown=0, low=1, medium=2, high=3 and contributes `weight × level / 3` points, rounded
half up. The admin-edited weights add up to 100, so the score runs from 0 to 100.
"""

from django.utils.translation import gettext_lazy as _

from leads.models import Lead, ScoringSettings

CRITERIA = ("need", "budget", "authority", "timing")
CRITERION_LABELS = {
    "need": _("need"),
    "budget": _("budget"),
    "authority": _("decision authority"),
    "timing": _("timing"),
}
BAND_LABELS = {"hot": _("hot"), "warm": _("warm"), "cold": _("cold")}


def points(*, level, weight):
    """weight × level / 3, rounded half up, in integers so SQL and Python agree."""
    return (2 * int(level) * int(weight) + 3) // 6


def compute(*, levels, config):
    """(score, breakdown) for a mapping criterion → level under `config`."""
    weights = config.weights()
    breakdown = {}
    for criterion in CRITERIA:
        level = int(levels.get(criterion) or 0)
        breakdown[criterion] = {
            "level": level,
            "weight": weights[criterion],
            "points": points(level=level, weight=weights[criterion]),
        }
    return sum(item["points"] for item in breakdown.values()), breakdown


def apply(lead, *, config):
    """Recompute `lead.score` and `lead.score_breakdown` in memory; True if they changed."""
    score, breakdown = compute(levels={c: getattr(lead, c) for c in CRITERIA}, config=config)
    changed = score != lead.score or breakdown != lead.score_breakdown
    lead.score, lead.score_breakdown = score, breakdown
    return changed


def band(score, *, config):
    if score >= config.hot_threshold:
        return "hot"
    if score >= config.warm_threshold:
        return "warm"
    return "cold"


def explain(lead, *, config=None):
    """The rows the detail page shows: 'need: high → 30 of 30 points'.

    Reads the stored breakdown (what produced the stored score); an entry without its
    weight (older data) falls back to the current weight.
    """
    config = config or ScoringSettings.get_solo()
    weights = config.weights()
    rows = []
    stored = lead.score_breakdown or {}
    for criterion in CRITERIA:
        entry = stored.get(criterion)
        level = getattr(lead, criterion)
        if isinstance(entry, dict):
            weight, pts = entry.get("weight", weights[criterion]), entry.get("points", 0)
        else:
            weight = weights[criterion]
            pts = entry if isinstance(entry, int) else points(level=level, weight=weight)
        rows.append(
            {
                "criterion": criterion,
                "label": CRITERION_LABELS[criterion],
                "level": level,
                "level_label": Lead.Level(level).label,
                "weight": weight,
                "points": pts,
            }
        )
    return rows

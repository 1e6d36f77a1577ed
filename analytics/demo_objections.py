"""The demo's objections: what customers objected to in the close stage and how the reps answered,
on some open deals in the close stage and on deals won or lost from it (docs/deals.md, "Objections").
Written with bulk_create like the rest of the generated data (no audit entries)."""

import random
from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from deals.models import Deal, Objection, Stage

# (kind, what the customer said, how it was answered when it was resolved, when it was not), written
# in the installation's language when seeded.
SAYINGS = (
    (
        "price",
        gettext_noop("The price is above what we planned for this year."),
        gettext_noop("Offered payment in two instalments and a one-year contract at 5 % off."),
        gettext_noop("We cannot go below the list price; budget only next year."),
    ),
    (
        "price",
        gettext_noop("The competitor offers the licences 15 % cheaper."),
        gettext_noop("Compared the cost over three years: rollout and support are included with us."),
        gettext_noop("The customer chose the cheaper offer."),
    ),
    (
        "product",
        gettext_noop("We are missing the connection to our ERP system."),
        gettext_noop("Demonstrated the interface through the REST API; setting it up is part of the project."),
        gettext_noop("The connection will only be available in six months."),
    ),
    (
        "product",
        gettext_noop("Training 40 employees seems too much effort to us."),
        gettext_noop("Promised two days of on-site training and video tutorials."),
        "",
    ),
    (
        "timing",
        gettext_noop("We cannot sign anything before the end of the quarter."),
        gettext_noop("Agreed on a start at the beginning of the quarter, offer extended until then."),
        gettext_noop("The project was postponed indefinitely."),
    ),
    (
        "timing",
        gettext_noop("The management decides only after the budget round in autumn."),
        gettext_noop("Arranged a meeting with the management before the budget round."),
        "",
    ),
    (
        "other",
        gettext_noop("The data protection officer still has to agree."),
        gettext_noop("Sent the data processing agreement and the security measures; approval received."),
        gettext_noop("The data protection officer has concerns about the hosting."),
    ),
)


def seed_objections(*, seed=42, share=0.4, stdout=None):
    """Objections on `share` of the deals that are (or were, when they closed) in their pipeline's
    close stage: won deals mostly had theirs resolved, lost deals mostly not, open ones are mixed."""
    rng = random.Random(seed)
    last = {row["pipeline_id"]: row["last"] for row in Stage.objects.values("pipeline_id").annotate(last=Max("order"))}
    close_stages = {
        stage.pipeline_id: stage for stage in Stage.objects.all() if last.get(stage.pipeline_id) == stage.order
    }
    close_ids = [stage.pk for stage in close_stages.values()]
    in_close = Q(status=Deal.Status.OPEN, stage_id__in=close_ids) | Q(status=Deal.Status.WON, stage_id__in=close_ids)
    in_close |= Q(status=Deal.Status.LOST, lost_from_stage_id__in=close_ids)
    deals = Deal.objects.filter(in_close).values_list(
        "pk", "status", "pipeline_id", "owner_id", "stage_entered_at", "won_at", "lost_at"
    )
    now = timezone.now()
    rows = []
    for pk, status, pipeline_id, owner_id, entered_at, won_at, lost_at in deals.iterator():
        if rng.random() >= share:
            continue
        closed_at = won_at or lost_at or now
        start = min(entered_at or closed_at - timedelta(days=14), closed_at)
        span = max((closed_at - start).total_seconds(), 3600)
        for kind, note, answer, no_answer in rng.sample(SAYINGS, k=rng.choice((1, 1, 2))):
            note, answer, no_answer = (gettext(text) if text else "" for text in (note, answer, no_answer))
            handling = _handling(rng, status)
            response = answer if handling == Objection.Handling.RESOLVED else no_answer
            if handling == Objection.Handling.UNRESOLVED and not response:
                handling, response = Objection.Handling.OPEN, ""
            at = start + timedelta(seconds=rng.uniform(0, span * 0.8))
            rows.append(
                Objection(
                    deal_id=pk,
                    stage_id=close_stages[pipeline_id].pk,
                    kind=kind,
                    note=note,
                    handling=handling,
                    response=response if handling != Objection.Handling.OPEN else "",
                    raised_by_id=owner_id,
                    created_at=at,
                )
            )
    Objection.objects.bulk_create(rows, batch_size=2000)
    if stdout is not None:
        stdout.write(f"  {len(rows)} objections")
    return len(rows)


def _handling(rng, status):
    roll = rng.random()
    if status == Deal.Status.WON:
        return Objection.Handling.RESOLVED if roll < 0.85 else Objection.Handling.UNRESOLVED
    if status == Deal.Status.LOST:
        return Objection.Handling.UNRESOLVED if roll < 0.7 else Objection.Handling.RESOLVED
    if roll < 0.4:
        return Objection.Handling.OPEN
    return Objection.Handling.RESOLVED if roll < 0.8 else Objection.Handling.UNRESOLVED

"""The demo's objections: what customers objected to in the close stage and how the reps answered,
on some open deals in the close stage and on deals won or lost from it (docs/deals.md, "Objections").
Written with bulk_create like the rest of the generated data (no audit entries)."""

import random
from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone

from deals.models import Deal, Objection, Stage

# (kind, what the customer said, how it was answered when it was resolved, when it was not)
SAYINGS = (
    (
        "price",
        "Der Preis liegt über dem, was wir für dieses Jahr eingeplant haben.",
        "Zahlung in zwei Raten und ein Jahresvertrag mit 5 % Nachlass angeboten.",
        "Unter den Listenpreis können wir nicht gehen; Budget erst im nächsten Jahr.",
    ),
    (
        "price",
        "Der Wettbewerber bietet die Lizenzen 15 % günstiger an.",
        "Gesamtkosten über drei Jahre verglichen: Einführung und Support sind bei uns enthalten.",
        "Der Kunde hat sich für das günstigere Angebot entschieden.",
    ),
    (
        "product",
        "Uns fehlt die Anbindung an unser ERP-System.",
        "Die Schnittstelle über die REST-API vorgeführt; Einrichtung im Projekt enthalten.",
        "Die Anbindung ist erst in einem halben Jahr verfügbar.",
    ),
    (
        "product",
        "Die Einarbeitung für 40 Mitarbeitende scheint uns zu aufwendig.",
        "Zwei Schulungstage vor Ort und Video-Tutorials zugesagt.",
        "",
    ),
    (
        "timing",
        "Vor dem Ende des Quartals können wir nichts unterschreiben.",
        "Start zum Quartalsbeginn vereinbart, Angebot bis dahin verlängert.",
        "Das Projekt wurde auf unbestimmte Zeit verschoben.",
    ),
    (
        "timing",
        "Die Geschäftsführung entscheidet erst nach der Budgetrunde im Herbst.",
        "Termin mit der Geschäftsführung vor der Budgetrunde vereinbart.",
        "",
    ),
    (
        "other",
        "Der Datenschutzbeauftragte muss noch zustimmen.",
        "Auftragsverarbeitungsvertrag und TOMs geschickt; Zustimmung liegt vor.",
        "Der Datenschutzbeauftragte hat Bedenken wegen des Hostings.",
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

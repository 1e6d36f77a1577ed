"""Stage order numbers: unique within a pipeline (docs/architecture.md).

`renumber_duplicate_orders` is what the migration that added the constraint ran on existing data;
it takes the model class so that the migration can pass its historical model.
"""

from django.db.models import Count, F


def renumber_duplicate_orders(Stage):
    """Make the order numbers of every pipeline unique without changing the stages' sequence.

    In each pipeline with a repeated number the stages are walked in (order, id) — the sequence the
    board and the admin already showed — and a stage whose number is not above its predecessor's
    gets the predecessor's number + 1; all other numbers stay. Returns [(stage id, old, new), …].
    """
    pipelines = (
        Stage.objects.values("pipeline")
        .annotate(stages=Count("id"), numbers=Count("order", distinct=True))
        .filter(stages__gt=F("numbers"))
        .values_list("pipeline", flat=True)
    )
    changed = []
    for pipeline in sorted(pipelines):
        previous = None
        for stage in Stage.objects.filter(pipeline=pipeline).order_by("order", "id"):
            if previous is not None and stage.order <= previous:
                changed.append((stage.pk, stage.order, previous + 1))
                stage.order = previous + 1
                stage.save(update_fields=["order"])
            previous = stage.order
    return changed

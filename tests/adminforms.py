"""Django admin forms as the admin pages post them."""


def pipeline_change_form(pipeline, orders=None, delete=()):
    """The pipeline's change form with its stage inline; `orders` {stage: new order}, `delete` stages."""
    orders = {stage.pk: order for stage, order in (orders or {}).items()}
    stages = list(pipeline.stages.order_by("order", "id"))
    data = {
        "name": pipeline.name,
        "kind": pipeline.kind,
        "order": pipeline.order,
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    if pipeline.is_default:
        data["is_default"] = "on"
    if pipeline.is_active:
        data["is_active"] = "on"
    for i, stage in enumerate(stages):
        data |= {
            f"stages-{i}-id": stage.pk,
            f"stages-{i}-pipeline": pipeline.pk,
            f"stages-{i}-order": orders.get(stage.pk, stage.order),
            f"stages-{i}-name": stage.name,
            f"stages-{i}-probability": stage.probability,
            f"stages-{i}-rotting_days": stage.rotting_days or "",
            f"stages-{i}-expected_days": stage.expected_days or "",
        }
        if stage in delete:
            data[f"stages-{i}-DELETE"] = "on"
    return data

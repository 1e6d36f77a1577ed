"""The default pipelines and lost reasons a fresh installation starts with.

Used by the data migration and by seed_demo; both create what is missing and change
nothing an admin already edited.
"""

NEW_BUSINESS = "New business"
EXPANSION = "Expansion"

# (name, probability %, rotting days, expected days in stage)
NEW_BUSINESS_STAGES = [
    ("Prospecting", 10, 14, 10),
    ("First contact", 20, 10, 7),
    ("Needs analysis", 35, 14, 10),
    ("Solution presentation", 50, 14, 10),
    ("Negotiation & proposal", 70, 21, 14),
    ("Objection handling & closing", 85, 14, 10),
]

EXPANSION_STAGES = [
    ("Account review", 20, 21, 14),
    ("Opportunity identified", 40, 14, 10),
    ("Offer presented", 60, 14, 10),
    ("Negotiation", 80, 14, 10),
]

LOST_REASONS = [
    "Price too high",
    "Chose a competitor",
    "No budget",
    "No decision / bad timing",
    "Requirements not met",
    "No response",
    "Other",
]


def ensure_defaults(Pipeline, Stage, LostReason):
    """Create the default pipelines, their stages and the lost reasons where missing.

    Takes the model classes so that a migration can pass its historical models.
    """
    for order, (name, kind, stages, is_default) in enumerate(
        [(NEW_BUSINESS, "new_business", NEW_BUSINESS_STAGES, True), (EXPANSION, "expansion", EXPANSION_STAGES, False)]
    ):
        pipeline, created = Pipeline.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "order": order,
                "is_default": is_default and not Pipeline.objects.filter(is_default=True).exists(),
            },
        )
        if created:
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    name=stage_name,
                    order=index,
                    probability=probability,
                    rotting_days=rotting,
                    expected_days=expected,
                )
                for index, (stage_name, probability, rotting, expected) in enumerate(stages, start=1)
            )
    for order, name in enumerate(LOST_REASONS, start=1):
        LostReason.objects.get_or_create(name=name, defaults={"order": order})

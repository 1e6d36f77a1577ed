"""The default pipelines and lost reasons a fresh installation starts with.

Used by the data migration and by seed_demo; both create what is missing and change
nothing an admin already edited.

Names and stage descriptions are data: they are written once, in the installation's language
(`LANGUAGE_CODE`, or `language`), and an admin renames them in the admin. The English texts here
are the message ids (`gettext_noop`), so the German catalog holds their German wording. A default
counts as present under its English or its translated name, so that switching the installation's
language never creates a second set.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

NEW_BUSINESS = gettext_noop("New business")
EXPANSION = gettext_noop("Expansion")

# (name, probability %, rotting days, expected days in stage)
NEW_BUSINESS_STAGES = [
    (gettext_noop("Prospecting"), 10, 14, 10),
    (gettext_noop("First contact"), 20, 10, 7),
    (gettext_noop("Needs analysis"), 35, 14, 10),
    (gettext_noop("Solution presentation"), 50, 14, 10),
    (gettext_noop("Negotiation & proposal"), 70, 21, 14),
    (gettext_noop("Objection handling & closing"), 85, 14, 10),
]

EXPANSION_STAGES = [
    (gettext_noop("Account review"), 20, 21, 14),
    (gettext_noop("Opportunity identified"), 40, 14, 10),
    (gettext_noop("Offer presented"), 60, 14, 10),
    (gettext_noop("Negotiation"), 80, 14, 10),
]

# What to do in each phase (after the sales pipeline phases the product is built on); shown on
# the board's column header and the deal page.
STAGE_DESCRIPTIONS = {
    "Prospecting": gettext_noop(
        "Find companies and people who fit the offer: research, network, lists. Goal: a short list of "
        "prospects with a real chance to buy."
    ),
    "First contact": gettext_noop(
        "Reach out by phone, e-mail or social media, win attention and listen: first notes on needs, "
        "a relationship built on trust."
    ),
    "Needs analysis": gettext_noop(
        "Ask and listen until the customer's problems and wishes are clear: who decides, what budget, by when."
    ),
    "Solution presentation": gettext_noop(
        "Present a solution made for these needs and show its concrete benefit; link each wish to the product."
    ),
    "Negotiation & proposal": gettext_noop(
        "Agree prices, scope and terms fairly and write the quote with every agreed point; it is the "
        "basis of the contract."
    ),
    "Objection handling & closing": gettext_noop(
        "Clear the open objections (price, product details, timing) with questions and answers, then "
        "lead to the decision without rushing it."
    ),
    "Account review": gettext_noop(
        "Review the customer's account: what they bought, how they use it, what their business plans."
    ),
    "Opportunity identified": gettext_noop(
        "Name the cross-selling or upselling opportunity that adds real value for this customer."
    ),
    "Offer presented": gettext_noop("Present the additional or higher-value offer and its benefit for the customer."),
    "Negotiation": gettext_noop("Agree the terms of the expansion and send the quote."),
}

LOST_REASONS = [
    gettext_noop("Price too high"),
    gettext_noop("Chose a competitor"),
    gettext_noop("No budget"),
    gettext_noop("No decision / bad timing"),
    gettext_noop("Requirements not met"),
    gettext_noop("No response"),
    gettext_noop("Other"),
]


def _names(text):
    """The English name and the translated one (the same in English)."""
    return {text, gettext(text)}


def ensure_defaults(Pipeline, Stage, LostReason, *, language=None):
    """Create the default pipelines, their stages and the lost reasons where missing, named in
    `language` (default: the installation's).

    Takes the model classes so that a migration can pass its historical models.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        for order, (name, kind, stages, is_default) in enumerate(
            [
                (NEW_BUSINESS, "new_business", NEW_BUSINESS_STAGES, True),
                (EXPANSION, "expansion", EXPANSION_STAGES, False),
            ]
        ):
            if Pipeline.objects.filter(name__in=_names(name)).exists():
                continue
            pipeline = Pipeline.objects.create(
                name=gettext(name),
                kind=kind,
                order=order,
                is_default=is_default and not Pipeline.objects.filter(is_default=True).exists(),
            )
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    name=gettext(stage_name),
                    description=gettext(STAGE_DESCRIPTIONS[stage_name]),
                    order=index,
                    probability=probability,
                    rotting_days=rotting,
                    expected_days=expected,
                )
                for index, (stage_name, probability, rotting, expected) in enumerate(stages, start=1)
            )
        for order, name in enumerate(LOST_REASONS, start=1):
            if not LostReason.objects.filter(name__in=_names(name)).exists():
                LostReason.objects.create(name=gettext(name), order=order)


def describe_default_stages(Pipeline, Stage, *, language=None):
    """Give the default stages that have no description yet theirs, in `language` (default: the
    installation's); a stage is known by its pipeline's and its own English or translated name.
    Returns how many were described."""
    described = 0
    with translation.override(language or settings.LANGUAGE_CODE):
        for pipeline_name, stages in ((NEW_BUSINESS, NEW_BUSINESS_STAGES), (EXPANSION, EXPANSION_STAGES)):
            for stage_name, *_figures in stages:
                described += Stage.objects.filter(
                    pipeline__name__in=_names(pipeline_name), name__in=_names(stage_name), description=""
                ).update(description=gettext(STAGE_DESCRIPTIONS[stage_name]))
    return described

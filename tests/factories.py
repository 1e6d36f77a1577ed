"""factory_boy factories for every model the tests build."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Team, User
from activities.models import Activity, FollowUpRule, Kind, Notification
from customers.models import Contact, Organization
from deals.defaults import ensure_defaults
from deals.models import Deal, LostReason, Pipeline, Product, Stage, StageChange
from leads.models import Lead, Persona


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.REP
    password = factory.django.Password("password")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    order = factory.Sequence(lambda n: n)
    probability = 20


def default_pipeline():
    """The 'New business' pipeline the data migration creates.

    A transactional test (every browser test) flushes the tables when it ends, rows
    from data migrations included, so the defaults are ensured again (idempotent).
    """
    ensure_defaults(Pipeline, Stage, LostReason)
    return Pipeline.objects.get(name="New business")


def default_stages():
    return list(default_pipeline().stages.order_by("order"))


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Company {n} GmbH")
    email_domain = factory.Sequence(lambda n: f"company{n}.example")
    region = "north"
    industry = "software"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    name = factory.Sequence(lambda n: f"Persona {n}")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    company_name = factory.Sequence(lambda n: f"Lead Company {n}")
    source = Lead.Source.WEB_FORM
    owner = factory.SubFactory(UserFactory)


class LostReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LostReason
        django_get_or_create = ["name"]

    name = "Price too high"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    unit_price = Decimal("1000")


class DealFactory(factory.django.DjangoModelFactory):
    """An open deal in the first stage of the default pipeline (pass stage= for another).

    Writes its 'created' StageChange like the deal_create service does.
    """

    class Meta:
        model = Deal
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Deal {n}")
    stage = factory.LazyFunction(lambda: default_stages()[0])
    pipeline = factory.LazyAttribute(lambda d: d.stage.pipeline)
    owner = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    value = Decimal("10000")
    position = factory.Sequence(float)
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))

    @factory.post_generation
    def history(deal, create, extracted, **kwargs):
        if create and extracted is not False:
            StageChange.objects.create(
                deal=deal,
                pipeline_id=deal.pipeline_id,
                kind=StageChange.Kind.CREATED,
                to_stage_id=deal.stage_id,
                to_status=deal.status,
                owner_id=deal.owner_id,
                value=deal.value,
                at=deal.created_at,
            )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = Kind.CALL
    subject = factory.Sequence(lambda n: f"Activity {n}")
    deal = factory.SubFactory(DealFactory)
    assignee = factory.LazyAttribute(lambda a: a.deal.owner if a.deal else a.lead.owner)
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class FollowUpRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    trigger = FollowUpRule.Trigger.DEAL_WON
    subject_template = "Follow up on {deal}"
    due_in_days = 3


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    message = factory.Sequence(lambda n: f"Notification {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Tag"

    name = factory.Sequence(lambda n: f"Tag {n}")
    colour = "blue"

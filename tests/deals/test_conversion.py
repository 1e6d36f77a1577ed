from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from customers.models import Contact, Organization
from deals import conversion, conversion_selectors, defaults
from deals.models import Deal, LostReason, Pipeline, Stage, StageChange
from leads import services as lead_services
from leads.models import Lead, LeadStatusChange
from tests import factories


@pytest.fixture
def pipeline(db):
    # The migrated pipelines may have been flushed by a transactional test (reused test DB).
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    return factories.default_pipeline()


@pytest.fixture
def qualified_lead(rep, pipeline):
    lead = lead_services.lead_create(
        actor=rep,
        owner=rep,
        first_name="Quinn",
        last_name="Qualified",
        email="quinn@umbrella.example",
        company_name="Umbrella AG",
        industry="manufacturing",
        region="south",
        decision_role="decision_maker",
        need=3,
        budget=3,
    )
    lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="contacted")
    lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="qualified")
    return lead


def _convert(lead, actor, pipeline, **kwargs):
    kwargs.setdefault("value", Decimal("12500.00"))
    return conversion.lead_convert(lead_id=lead.pk, actor=actor, pipeline_id=pipeline.pk, **kwargs)


def test_conversion_creates_organization_contact_and_deal_in_the_first_stage(rep, pipeline, stages, qualified_lead):
    deal = _convert(qualified_lead, rep, pipeline, title="Umbrella rollout")
    assert deal.stage == stages[0]
    assert (deal.title, deal.owner, deal.value, deal.status) == ("Umbrella rollout", rep, Decimal("12500.00"), "open")
    org = Organization.objects.get()
    assert (org.name, org.email_domain, org.industry, org.region) == (
        "Umbrella AG",
        "umbrella.example",
        "manufacturing",
        "south",
    )
    contact = Contact.objects.get()
    assert (contact.organization, contact.email, contact.decision_role) == (
        org,
        "quinn@umbrella.example",
        "decision_maker",
    )
    assert (deal.organization, deal.contact) == (org, contact)


def test_conversion_links_lead_and_deal_both_ways_and_marks_it_converted(rep, pipeline, qualified_lead):
    deal = _convert(qualified_lead, rep, pipeline)
    lead = Lead.objects.select_related("deal").get(pk=qualified_lead.pk)
    assert deal.source_lead_id == lead.pk
    assert lead.deal == deal
    assert lead.status == "converted"
    assert lead.converted_at is not None
    assert (lead.organization_id, lead.contact_id) == (deal.organization_id, deal.contact_id)
    last = LeadStatusChange.objects.filter(lead=lead).latest("id")
    assert (last.from_status, last.to_status, last.actor) == ("qualified", "converted", rep)


def test_conversion_writes_the_deal_created_history(rep, pipeline, stages, qualified_lead):
    deal = _convert(qualified_lead, rep, pipeline)
    change = StageChange.objects.get(deal=deal)
    assert (change.kind, change.to_stage, change.value) == ("created", stages[0], Decimal("12500.00"))


def test_conversion_matches_an_existing_organization_by_name(rep, pipeline, qualified_lead):
    existing = factories.OrganizationFactory(name="umbrella ag", email_domain="other.example", industry="")
    deal = _convert(qualified_lead, rep, pipeline)
    assert deal.organization == existing
    assert Organization.objects.count() == 1
    existing.refresh_from_db()
    assert existing.industry == "manufacturing"  # blanks filled from the lead


def test_conversion_matches_an_existing_organization_by_email_domain(rep, pipeline, qualified_lead):
    existing = factories.OrganizationFactory(name="Umbrella Corporation", email_domain="UMBRELLA.example")
    deal = _convert(qualified_lead, rep, pipeline)
    assert deal.organization == existing


def test_conversion_never_matches_by_a_free_mail_domain(rep, pipeline, qualified_lead):
    factories.OrganizationFactory(name="Somebody", email_domain="gmail.com")
    Lead.objects.filter(pk=qualified_lead.pk).update(email="quinn@gmail.com", company_name="Brand New Ltd")
    deal = _convert(qualified_lead, rep, pipeline)
    assert deal.organization.name == "Brand New Ltd"
    assert deal.organization.email_domain == ""


def test_conversion_reuses_an_existing_contact_of_the_organization(rep, pipeline, qualified_lead):
    org = factories.OrganizationFactory(name="Umbrella AG")
    contact = factories.ContactFactory(organization=org, email="QUINN@umbrella.example")
    deal = _convert(qualified_lead, rep, pipeline)
    assert deal.contact == contact
    assert Contact.objects.count() == 1


def test_converting_twice_is_refused(rep, pipeline, qualified_lead):
    _convert(qualified_lead, rep, pipeline)
    with pytest.raises(conversion.ConversionError, match="already been converted"):
        _convert(qualified_lead, rep, pipeline)
    assert Deal.objects.count() == 1


def test_the_database_refuses_a_second_deal_for_one_lead_and_everything_rolls_back(rep, pipeline, qualified_lead):
    # A concurrent conversion already committed its deal while the lead still reads "qualified":
    # the one-to-one constraint fires after organization and contact were created here.
    factories.DealFactory(owner=rep, source_lead=qualified_lead, organization=None)
    orgs, contacts, history = Organization.objects.count(), Contact.objects.count(), LeadStatusChange.objects.count()
    with pytest.raises(conversion.ConversionError, match="already been converted"):
        _convert(qualified_lead, rep, pipeline)
    assert Organization.objects.count() == orgs
    assert Contact.objects.count() == contacts
    assert LeadStatusChange.objects.count() == history
    assert Deal.objects.count() == 1
    qualified_lead.refresh_from_db()
    assert (qualified_lead.status, qualified_lead.converted_at, qualified_lead.organization_id) == (
        "qualified",
        None,
        None,
    )


def test_a_new_lead_converts_in_one_step_and_its_history_passes_qualified(rep, pipeline):
    lead = lead_services.lead_create(actor=rep, owner=rep, last_name="New", email="new@x.example")
    deal = _convert(lead, rep, pipeline)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    assert deal.source_lead_id == lead.pk
    steps = list(
        LeadStatusChange.objects.filter(lead=lead).order_by("at", "pk").values_list("from_status", "to_status")
    )
    assert steps == [("", "new"), ("new", "qualified"), ("qualified", "converted")]


def test_a_disqualified_lead_is_not_converted(rep, pipeline):
    lead = lead_services.lead_create(actor=rep, owner=rep, last_name="Gone", email="gone@x.example")
    lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="disqualified", reason="No budget")
    with pytest.raises(conversion.ConversionError, match="Only an open lead"):
        _convert(lead, rep, pipeline)
    assert Organization.objects.count() == 0
    assert Deal.objects.count() == 0


def test_a_pipeline_without_stages_is_refused(rep, qualified_lead):
    empty = factories.PipelineFactory()
    with pytest.raises(conversion.ConversionError, match="pipeline"):
        _convert(qualified_lead, rep, empty)


def test_teammate_may_not_convert(teammate, pipeline, qualified_lead):
    with pytest.raises(PermissionDenied):
        _convert(qualified_lead, teammate, pipeline)


def test_manager_converts_and_hands_the_deal_to_a_team_member(manager, teammate, pipeline, qualified_lead):
    deal = _convert(qualified_lead, manager, pipeline, owner=teammate)
    assert deal.owner == teammate


def test_rep_may_not_give_the_deal_to_someone_else(rep, teammate, pipeline, qualified_lead):
    with pytest.raises(PermissionDenied):
        _convert(qualified_lead, rep, pipeline, owner=teammate)
    assert Deal.objects.count() == 0


# The conversion page ------------------------------------------------------------------------


def _url(lead):
    return f"/leads/{lead.pk}/convert/"


def _post(client, lead, pipeline, owner, **extra):
    data = {"title": "Umbrella", "pipeline": pipeline.pk, "owner": owner.pk, "value": "5000", **extra}
    return client.post(_url(lead), data)


@pytest.mark.parametrize(
    ("who", "status"), [("rep", 200), ("manager", 200), ("admin", 200), ("teammate", 403), ("outsider", 404)]
)
def test_convert_page_access_for_every_role(client, request, qualified_lead, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(qualified_lead)).status_code == status


def test_convert_page_converts_and_redirects_to_the_deal(client, rep, pipeline, qualified_lead):
    client.force_login(rep)
    response = _post(client, qualified_lead, pipeline, rep)
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    assert deal.value == Decimal("5000")


def test_convert_page_says_clearly_when_the_lead_was_already_converted(client, rep, pipeline, qualified_lead):
    client.force_login(rep)
    _post(client, qualified_lead, pipeline, rep)
    response = _post(client, qualified_lead, pipeline, rep)
    assert response.status_code == 409
    assert "already been converted" in response.content.decode()
    assert Deal.objects.count() == 1


def test_convert_page_rejects_a_negative_value(client, rep, pipeline, qualified_lead):
    client.force_login(rep)
    response = _post(client, qualified_lead, pipeline, rep, value="-1")
    assert response.status_code == 400
    assert Deal.objects.count() == 0


def test_teammate_cannot_post_a_conversion(client, teammate, pipeline, qualified_lead):
    client.force_login(teammate)
    assert _post(client, qualified_lead, pipeline, teammate).status_code == 403
    assert Deal.objects.count() == 0


def test_convert_page_for_a_disqualified_lead_explains_why(client, rep):
    lead = lead_services.lead_create(actor=rep, owner=rep, last_name="Gone", email="gone@x.example")
    lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="disqualified", reason="No budget")
    client.force_login(rep)
    response = client.get(_url(lead))
    assert response.status_code == 409
    assert "Only an open lead can be converted; this one is Disqualified." in response.content.decode()


def test_a_new_lead_is_converted_from_its_page_in_two_steps_with_the_defaults(client, rep, pipeline):
    """Step one: "Convert to deal" on the lead page. Step two: the form, submitted as proposed."""
    lead = lead_services.lead_create(
        actor=rep, owner=rep, last_name="Neu", email="neu@neu.example", company_name="Neu GmbH"
    )
    client.force_login(rep)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="{_url(lead)}"' in page
    form = client.get(_url(lead))
    assert form.status_code == 200
    assert 'data-testid="qualifies-on-conversion"' in form.content.decode()
    proposed = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.context["form"].initial.items()
        if value is not None
    }
    response = client.post(_url(lead), proposed)
    assert response.status_code == 302
    deal = Deal.objects.get(source_lead=lead)
    assert deal.title == "Neu GmbH"
    assert deal.owner == rep
    assert (deal.expected_close_date - timezone.localdate()).days == conversion.DEFAULT_CLOSE_DAYS


def test_the_proposed_value_is_the_average_won_deal_the_user_sees_rounded_to_hundreds(rep, outsider, pipeline):
    today = timezone.localdate()
    won_at = timezone.now() - timedelta(days=10)
    for value in ("1000", "2260"):
        factories.DealFactory(pipeline=pipeline, owner=rep, status=Deal.Status.WON, won_at=won_at, value=Decimal(value))
    factories.DealFactory(pipeline=pipeline, owner=outsider, status=Deal.Status.WON, won_at=won_at, value=90_000)
    factories.DealFactory(
        pipeline=pipeline, owner=rep, status=Deal.Status.WON, won_at=won_at - timedelta(days=400), value=50_000
    )
    factories.DealFactory(pipeline=pipeline, owner=rep, status=Deal.Status.OPEN, value=70_000)
    assert conversion_selectors.typical_won_value(user=rep, pipeline=pipeline, today=today) == Decimal("1600")
    assert conversion_selectors.typical_won_value(user=outsider, pipeline=pipeline, today=today) == Decimal("90000")
    other = factories.PipelineFactory()
    assert conversion_selectors.typical_won_value(user=rep, pipeline=other, today=today) == Decimal("0")


def test_convert_page_for_a_converted_lead_says_so(client, rep, pipeline, qualified_lead):
    _convert(qualified_lead, rep, pipeline)
    client.force_login(rep)
    response = client.get(_url(qualified_lead))
    assert response.status_code == 409
    assert "already been converted" in response.content.decode()


@pytest.mark.postgres
def test_two_simultaneous_conversions_make_one_deal(transactional_db):
    import threading

    from django.db import connection

    from deals import defaults
    from deals.models import LostReason, Pipeline, Stage

    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    owner = factories.UserFactory(username="alice")
    lead = lead_services.lead_create(actor=owner, owner=owner, last_name="Race", email="race@x.example")
    Lead.objects.filter(pk=lead.pk).update(status="qualified")
    pipeline = factories.default_pipeline()
    barrier, outcomes = threading.Barrier(2), []

    def convert():
        try:
            barrier.wait()
            _convert(lead, owner, pipeline)
            outcomes.append("converted")
        except conversion.ConversionError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["This lead has already been converted into a deal.", "converted"]
    assert Deal.objects.filter(source_lead=lead).count() == 1
    assert Organization.objects.count() == 1

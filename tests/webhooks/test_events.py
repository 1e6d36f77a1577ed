"""Every event type is written by the services that make the change, in their transaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities.services import reminders
from customers import services as customer_services
from deals import conversion
from deals import services as deal_services
from deals.models import Deal, Pipeline
from events.models import EventType, OutboxEvent
from leads.models import Lead
from leads.services import imports as lead_imports
from leads.services import lifecycle, webform
from quotes import public
from tests import factories
from tests.quotes.pdf_mail_helpers import draft, line, send
from tests.quotes.public_cast import TOKEN, sent_quote
from tests.transfer.conftest import dry_run as dry_run  # the fixtures
from tests.transfer.conftest import upload as upload

pytestmark = pytest.mark.django_db


def events(event_type):
    return list(OutboxEvent.objects.filter(type=event_type).order_by("occurred_at", "id"))


def test_deal_create_and_quick_add_emit_deal_created(rep, stages):
    deal = deal_services.deal_create(title="A", stage=stages[0], owner=rep, actor=rep)
    quick = deal_services.deal_quick_add(actor=rep, stage=stages[0], title="B", organization_name="Acme")
    created = events(EventType.DEAL_CREATED)
    assert [(e.subject_type, e.subject_id, e.actor_id) for e in created] == [
        ("deal", deal.pk, rep.pk),
        ("deal", quick.pk, rep.pk),
    ]


def test_a_follow_up_deal_emits_deal_created(rep, stages):
    if not Pipeline.objects.filter(kind=Pipeline.Kind.EXPANSION, is_active=True, stages__isnull=False).exists():
        expansion = factories.PipelineFactory(name="Expansion (test)", kind=Pipeline.Kind.EXPANSION)
        factories.StageFactory(pipeline=expansion, name="Upsell", order=1)
    origin = factories.DealFactory(owner=rep, status=Deal.Status.WON, won_at=timezone.now())
    follow_up = deal_services.deal_follow_up_create(origin_id=origin.pk, actor=rep)
    (event,) = events(EventType.DEAL_CREATED)
    assert event.subject_id == follow_up.pk and event.data["origin_id"] == origin.pk


def test_moving_to_another_stage_emits_deal_moved_and_a_reorder_does_not(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    deal, _ = deal_services.deal_move(deal_id=deal.pk, stage_id=stages[0].pk, version=deal.version, actor=rep, index=0)
    assert events(EventType.DEAL_MOVED) == []
    deal, _ = deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=deal.version, actor=rep)
    (event,) = events(EventType.DEAL_MOVED)
    assert event.data == {
        "from_stage": {"id": stages[0].pk, "name": stages[0].name},
        "to_stage": {"id": stages[1].pk, "name": stages[1].name},
        "version": deal.version,
    }


def test_won_and_lost_emit_their_events(rep, stages):
    won = factories.DealFactory(owner=rep)
    deal_services.deal_win(deal_id=won.pk, version=won.version, actor=rep)
    lost = factories.DealFactory(owner=rep)
    reason = factories.LostReasonFactory(name="Price too high")
    deal_services.deal_lose(deal_id=lost.pk, version=lost.version, actor=rep, reason_id=reason.pk, note="Too dear")
    (won_event,) = events(EventType.DEAL_WON)
    assert won_event.subject_id == won.pk and won_event.data == {"version": 2}
    (lost_event,) = events(EventType.DEAL_LOST)
    assert lost_event.subject_id == lost.pk
    assert lost_event.data == {"reason": {"id": reason.pk, "name": "Price too high"}, "note": "Too dear", "version": 2}


def test_a_refused_change_emits_nothing(rep, outsider, stages):
    theirs = factories.DealFactory(owner=outsider)
    with pytest.raises(Exception):  # noqa: B017 (404 for a deal outside the scope)
        deal_services.deal_win(deal_id=theirs.pk, version=theirs.version, actor=rep)
    assert not OutboxEvent.objects.exists()


def test_lead_create_and_the_web_form_emit_lead_created(rep):
    lead = lifecycle.lead_create(actor=rep, owner=rep, first_name="Lena", last_name="Lange", email="l@x.example")
    submitted = webform.lead_submit_webform(first_name="Web", last_name="Form", email="web@x.example")
    created = events(EventType.LEAD_CREATED)
    assert [(e.subject_type, e.subject_id) for e in created] == [("lead", lead.pk), ("lead", submitted.pk)]
    assert created[1].actor is None and created[1].data == {"source": Lead.Source.WEB_FORM}


def test_a_lead_import_emits_one_lead_created_per_lead(rep):
    raw = "last_name,email\nOne,one@x.example\nTwo,two@x.example\n"
    lead_import = lead_imports.lead_import_create(actor=rep, raw=raw.encode(), file_name="leads.csv")
    lead_imports.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    lead_imports.lead_import_run(import_id=lead_import.pk)
    created = events(EventType.LEAD_CREATED)
    assert sorted(e.subject_id for e in created) == sorted(Lead.objects.values_list("pk", flat=True))
    assert len(created) == 2 and all(e.actor_id == rep.pk for e in created)


def test_converting_a_lead_emits_lead_converted_deal_created_and_contact_created(rep, stages):
    lead = factories.LeadFactory(owner=rep, email="new@person.example")
    deal = conversion.lead_convert(lead_id=lead.pk, actor=rep, pipeline_id=stages[0].pipeline_id)
    (converted,) = events(EventType.LEAD_CONVERTED)
    assert converted.subject_id == lead.pk and converted.data["deal_id"] == deal.pk
    (created,) = events(EventType.DEAL_CREATED)
    assert created.subject_id == deal.pk and created.data["source_lead_id"] == lead.pk
    (contact,) = events(EventType.CONTACT_CREATED)
    assert contact.subject_id == deal.contact_id


def test_contact_create_emits_contact_created(rep):
    contact = customer_services.contact_create(actor=rep, first_name="Anna", last_name="Arndt")
    (event,) = events(EventType.CONTACT_CREATED)
    assert (event.subject_type, event.subject_id, event.actor_id) == ("contact", contact.pk, rep.pk)


def test_imports_of_contacts_and_deals_emit_their_created_events(client, rep, stages, upload, dry_run):
    client.force_login(rep)
    job = dry_run(upload("contacts", "First name,Last name\nAnna,Arndt\nBen,Baker\n"))
    client.post(f"/imports/{job.pk}/confirm/")
    assert len(events(EventType.CONTACT_CREATED)) == 2
    job = dry_run(upload("deals", f"Title,Stage,Value\nBig one,{stages[1].name},100\n"))
    client.post(f"/imports/{job.pk}/confirm/")
    (event,) = events(EventType.DEAL_CREATED)
    assert event.subject_id == Deal.objects.get(title="Big one").pk and event.data == {"source": "import"}


def test_sending_a_quote_emits_quote_sent(rep, queued_quote_mails):
    quote = draft(rep, [line("Licence", "1", "100")])
    send(quote, rep)
    (event,) = events(EventType.QUOTE_SENT)
    assert (event.subject_type, event.subject_id) == ("quote", quote.pk)
    assert event.data["deal_id"] == quote.deal_id


@pytest.mark.parametrize(
    ("accept", "event_type"), [(True, EventType.QUOTE_ACCEPTED), (False, EventType.QUOTE_DECLINED)]
)
def test_the_customers_answer_emits_quote_accepted_or_declined(rep, accept, event_type):
    quote = sent_quote(factories.DealFactory(owner=rep))
    if accept:
        public.quote_accept(TOKEN, name="Katrin Brandt", confirmed=True)
    else:
        public.quote_decline(TOKEN, name="Katrin Brandt", reason="Too expensive")
    (event,) = events(event_type)
    assert event.subject_id == quote.pk and event.actor is None and event.data["name"] == "Katrin Brandt"
    if not accept:
        assert event.data["reason"] == "Too expensive"


def test_a_reminder_emits_activity_due_once_per_due_time(rep):
    now = timezone.now().replace(microsecond=0)
    activity = factories.ActivityFactory(deal=factories.DealFactory(owner=rep), due_at=now + timedelta(minutes=10))
    reminders.reminders_claim_due(now=now)
    reminders.reminders_claim_due(now=now)
    (event,) = events(EventType.ACTIVITY_DUE)
    assert (event.subject_type, event.subject_id) == ("activity", activity.pk)
    assert event.data["due_at"] == activity.due_at.isoformat() and event.data["deal_id"] == activity.deal_id


def test_a_commit_asks_for_a_dispatch_only_while_a_subscription_is_active(
    rep, stages, admin, monkeypatch, django_capture_on_commit_callbacks
):
    """Without a subscription a change queues no task (an import would queue thousands for nobody);
    once one exists, the next commit asks for the dispatch at once."""
    from celery import current_app
    from django.core.cache import cache

    import webhooks.tasks  # noqa: F401 (registers the task, as the worker's autodiscovery does)
    from deals import services as deal_services
    from events import services as event_services
    from webhooks.models import Subscription

    queued = []
    monkeypatch.setattr(current_app.tasks[event_services.DISPATCH_TASK], "delay", lambda: queued.append(1))
    cache.delete(event_services.WANTED_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(title="Quiet", stage=stages[0], owner=rep, actor=rep)
    assert queued == []

    with django_capture_on_commit_callbacks(execute=True):
        Subscription.objects.create(
            owner=admin, url="https://hooks.example.com/", events=["deal.created"], secret_encrypted="x"
        )
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(title="Heard", stage=stages[0], owner=rep, actor=rep)
    assert queued == [1]

    with django_capture_on_commit_callbacks(execute=True):
        Subscription.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(title="Quiet again", stage=stages[0], owner=rep, actor=rep)
    assert queued == [1]

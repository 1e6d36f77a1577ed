"""The audit trail: every create, change and delete of the audited models is recorded with
the user, the source, the field, the old and the new value — in the transaction of the change."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity, FollowUpRule
from audit import context
from audit.models import LogEntry
from customers.models import Contact, Organization
from deals import services as deal_services
from deals.models import Deal, LostReason, Pipeline, Product, Stage
from leads import services as lead_services
from leads import tasks as lead_tasks
from leads.models import Lead, LeadImport, ScoringSettings
from tests import factories

CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE


def entries_of(obj, **filters):
    content_type = ContentType.objects.get_for_model(type(obj))
    return LogEntry.objects.filter(content_type=content_type, object_id=obj.pk, **filters).order_by("id")


def last_entry(obj, **filters):
    return entries_of(obj, **filters).last()


# --- every audited model: create, change, delete -----------------------------------------------


def _deal(rep, stages):
    return factories.DealFactory.build(owner=rep, stage=stages[0], pipeline=stages[0].pipeline, organization=None)


MODELS = {
    "deal": (lambda rep, stages: _deal(rep, stages), "title", "Renamed deal"),
    "lead": (lambda rep, stages: factories.LeadFactory.build(owner=rep), "last_name", "Renamed"),
    "organization": (lambda rep, stages: Organization(name="Acme"), "name", "Acme AG"),
    "contact": (lambda rep, stages: Contact(last_name="Smith"), "job_title", "CTO"),
    "activity": (
        lambda rep, stages: Activity(subject="Call", assignee=rep, deal=factories.DealFactory(owner=rep)),
        "subject",
        "Call back",
    ),
    "product": (
        lambda rep, stages: Product(name="Widget", unit_price=Decimal("10.00")),
        "unit_price",
        Decimal("12.50"),
    ),
    "stage": (lambda rep, stages: Stage(pipeline=stages[0].pipeline, name="Pilot", order=9), "probability", 40),
    "pipeline": (lambda rep, stages: Pipeline(name="Partners", order=5), "name", "Partner channel"),
    "lost reason": (lambda rep, stages: LostReason(name="Budget cut"), "name", "Budget frozen"),
    "follow-up rule": (
        lambda rep, stages: FollowUpRule(name="Won", trigger="deal_won", subject_template="Thanks {deal}"),
        "due_in_days",
        7,
    ),
}


@pytest.mark.parametrize("model", MODELS)
def test_create_change_and_delete_of_each_audited_model_are_recorded(rep, stages, model):
    make, field, new_value = MODELS[model]
    with context.recorded_as(context.Source.WEB, actor=rep):
        obj = make(rep, stages)
        obj.save()
        pk = obj.pk
        old_value = getattr(obj, field)
        setattr(obj, field, new_value)
        obj.save()
        obj.delete()
    obj.pk = pk
    created, changed, deleted = entries_of(obj)
    assert [e.action for e in (created, changed, deleted)] == [CREATE, UPDATE, DELETE]
    assert all(e.actor == rep and e.source == "web" for e in (created, changed, deleted))
    assert created.changes[field][0] is None
    assert set(changed.changes) == {field}
    assert [str(v) for v in changed.changes[field]] == [str(old_value), str(new_value)]
    assert deleted.changes[field][1] is None
    assert "id" not in created.changes


def test_bookkeeping_fields_of_a_deal_are_not_recorded(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    Deal.objects.filter(pk=deal.pk).update(version=5, position=3.5)
    deal.refresh_from_db()
    deal.last_activity_at = timezone.now()
    deal.save()
    assert entries_of(deal, action=UPDATE).count() == 0
    assert not {"position", "version", "updated_at", "last_activity_at"} & set(entries_of(deal).get().changes)


def test_reverse_relations_are_not_read_or_recorded(rep, django_assert_num_queries):
    # A lead has a reverse one-to-one (its deal): reading it would cost a query per save.
    ContentType.objects.get_for_model(Lead)  # cached per process, like in production
    # SAVEPOINT, INSERT lead, INSERT entry, RELEASE
    with django_assert_num_queries(4), transaction.atomic():
        lead = Lead.objects.create(last_name="Quiet", owner=rep)
    assert not {"deal", "activities", "status_changes"} & set(last_entry(lead).changes)


# --- sensitive fields ---------------------------------------------------------------------------


def test_passwords_and_users_are_never_recorded(rep, admin, client):
    before = LogEntry.objects.count()
    rep.set_password("a new secret 123")
    rep.save()
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[rep.pk]),
        {"password1": "another secret 456", "password2": "another secret 456"},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("another secret 456")
    assert LogEntry.objects.count() == before
    assert not LogEntry.objects.filter(changes__icontains="pbkdf2").exists()
    assert not LogEntry.objects.filter(changes__icontains="md5$").exists()


# --- paths: web view, service, admin, import, rule, job, command ---------------------------------


def test_web_edit_of_a_deal_records_the_user_and_each_field(client, rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("1000"))
    client.force_login(rep)
    response = client.post(
        reverse("deals:detail", args=[deal.pk]),
        {
            "title": deal.title,
            "organization": deal.organization_id,
            "value": "2500.50",
            "expected_close_date": deal.expected_close_date.isoformat(),
            "probability": "60",
            "version": deal.version,
        },
    )
    assert response.status_code == 302
    entry = last_entry(deal, action=UPDATE)
    assert (entry.actor, entry.source, entry.in_history) == (rep, "web", False)
    assert entry.changes == {"value": ["1000.00", "2500.50"], "probability": [None, 60]}


def test_board_move_service_records_the_stage_change_with_its_actor(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    entry = last_entry(deal, action=UPDATE)
    assert entry.changes == {"stage": [stages[0].pk, stages[1].pk]}
    assert (entry.actor, entry.in_history) == (rep, True)


def test_reordering_within_a_column_records_nothing(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    deal_services.deal_move(deal_id=deal.pk, stage_id=stages[0].pk, version=1, actor=rep, index=0)
    assert not entries_of(deal, action=UPDATE).exists()


def test_win_lose_and_reopen_record_the_status_fields(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[2])
    reason = factories.LostReasonFactory()
    deal_services.deal_lose(deal_id=deal.pk, version=1, actor=rep, reason_id=reason.pk, note="Too pricey")
    deal_services.deal_reopen(deal_id=deal.pk, version=2, actor=rep)
    deal_services.deal_win(deal_id=deal.pk, version=3, actor=rep)
    lost, reopened, won = entries_of(deal, action=UPDATE)
    assert lost.changes["status"] == ["open", "lost"]
    assert lost.changes["lost_reason"] == [None, reason.pk]
    assert lost.changes["lost_note"] == ["", "Too pricey"]
    assert lost.changes["lost_from_stage"] == [None, stages[2].pk]
    assert reopened.changes["status"] == ["lost", "open"]
    assert won.changes["status"] == ["open", "won"]
    assert all(e.in_history and e.actor == rep for e in (lost, reopened, won))


def test_a_reassignment_records_old_and_new_owner(manager, rep, teammate, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    deal_services.deal_update(deal_id=deal.pk, version=1, actor=manager, owner=teammate)
    entry = last_entry(deal, action=UPDATE)
    assert entry.changes == {"owner": [rep.pk, teammate.pk]}
    assert entry.actor == manager


def test_lead_status_change_in_a_request_is_recorded_and_marked_as_history(client, rep):
    lead = factories.LeadFactory(owner=rep)
    client.force_login(rep)
    client.post(reverse("leads:status", args=[lead.pk]), {"to_status": "contacted"})
    entry = last_entry(lead, action=UPDATE)
    assert entry.changes["status"] == ["new", "contacted"]
    assert (entry.actor, entry.source, entry.in_history) == (rep, "web", True)


def test_admin_change_is_recorded_as_admin(client, admin):
    product = factories.ProductFactory(name="Widget", unit_price=Decimal("100"))
    client.force_login(admin)
    response = client.post(
        reverse("admin:deals_product_change", args=[product.pk]),
        {"name": "Widget", "sku": "W-1", "unit_price": "120.00", "vat_rate": "19", "is_active": "on"},
    )
    assert response.status_code == 302
    entry = last_entry(product, action=UPDATE)
    assert (entry.actor, entry.source) == (admin, "admin")
    assert entry.changes == {"sku": ["", "W-1"], "unit_price": ["100.00", "120.00"]}


def test_admin_delete_is_recorded_as_admin(client, admin):
    reason = factories.LostReasonFactory(name="Went dark")
    client.force_login(admin)
    client.post(reverse("admin:deals_lostreason_delete", args=[reason.pk]), {"post": "yes"})
    entry = last_entry(reason, action=DELETE)
    assert (entry.actor, entry.source, entry.changes["name"]) == (admin, "admin", ["Went dark", None])


def test_csv_import_records_every_lead_as_created_by_the_uploader(rep):
    raw = b"first_name,last_name,email,need\nAnn,Able,ann@able.example,high\nBen,Baker,ben@baker.example,low\n"
    lead_import = lead_services.lead_import_create(actor=rep, raw=raw, file_name="two.csv")
    LeadImport.objects.filter(pk=lead_import.pk).update(status="queued")
    lead_services.lead_import_run(import_id=lead_import.pk)
    ann = Lead.objects.get(email="ann@able.example")
    entry = entries_of(ann).get()
    assert (entry.action, entry.actor, entry.source) == (CREATE, rep, "import")
    assert entry.changes["last_name"] == [None, "Able"]
    assert entry.changes["need"] == [None, 3]
    assert LogEntry.objects.filter(source="import").count() == 2


def test_follow_up_rule_records_its_activity_as_the_rules_work(rep):
    rule = factories.FollowUpRuleFactory(name="Thank the customer", trigger=FollowUpRule.Trigger.DEAL_WON)
    deal = factories.DealFactory(owner=rep)
    deal_services.deal_win(deal_id=deal.pk, version=1, actor=rep)
    assert activity_services.rules_apply() >= 1  # with the default post-sale rules
    activity = Activity.objects.get(rule=rule)
    entry = entries_of(activity).get()
    assert (entry.action, entry.actor, entry.source) == (CREATE, None, "rule")
    assert entry.additional_data == {"rule": rule.pk, "rule_name": "Thank the customer"}


@pytest.fixture
def new_weights(db):
    ScoringSettings.objects.filter(pk=1).update(need_weight=40, budget_weight=20, authority_weight=20, timing_weight=20)


def test_background_job_records_the_rescoring(rep, new_weights):
    lead = factories.LeadFactory(owner=rep, need=3)
    old_score = lead.score
    lead_tasks.scoring_rescore_all.apply()
    entry = last_entry(lead, action=UPDATE)
    assert (entry.source, entry.actor) == ("job", None)
    assert entry.changes == {"score": [old_score, 40]}


def test_management_command_records_the_rescoring(rep, new_weights):
    lead = factories.LeadFactory(owner=rep, need=3)
    call_command("rescore_leads", stdout=StringIO())
    assert last_entry(lead, action=UPDATE).source == "command"


# --- the transaction ----------------------------------------------------------------------------


def test_a_rolled_back_move_leaves_no_audit_entry(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    before = LogEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
        raise RuntimeError("the request failed after the move")
    assert LogEntry.objects.count() == before


def test_a_rolled_back_save_leaves_no_audit_entry(rep):
    lead = factories.LeadFactory(owner=rep)
    before = LogEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_services.lead_update(lead_id=lead.pk, actor=rep, last_name="Changed")
        raise RuntimeError
    assert LogEntry.objects.count() == before


def test_an_import_row_skipped_as_a_duplicate_gets_no_audit_entry(rep):
    raw = b"last_name,email\nAble,ann@able.example\nBaker,bob@baker.example\n"
    lead_import = lead_services.lead_import_create(actor=rep, raw=raw, file_name="two.csv")
    factories.LeadFactory(email="ANN@able.example")  # a duplicate since the preview
    before = LogEntry.objects.count()
    LeadImport.objects.filter(pk=lead_import.pk).update(status="queued")
    assert lead_services.lead_import_run(import_id=lead_import.pk) == 1
    entries = LogEntry.objects.order_by("pk")[before:]
    assert [(e.source, e.object_repr) for e in entries] == [
        ("import", str(Lead.objects.get(email_key="bob@baker.example")))
    ]


def test_a_stale_move_writes_no_audit_entry(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    before = LogEntry.objects.count()
    with pytest.raises(deal_services.DealStale):
        deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=7, actor=rep)
    assert LogEntry.objects.count() == before


# --- reading it in admin ------------------------------------------------------------------------


def test_admin_lists_entries_with_source_and_shows_the_changes(client, admin, rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    deal_services.deal_update(deal_id=deal.pk, version=1, actor=rep, title="Acme rollout phase 2")
    client.force_login(admin)
    listing = client.get(reverse("admin:audit_logentry_changelist"), {"source__exact": "system"})
    assert listing.status_code == 200
    assert "Acme rollout phase 2" in listing.content.decode()
    entry = last_entry(deal, action=UPDATE)
    detail = client.get(reverse("admin:audit_logentry_change", args=[entry.pk])).content.decode()
    assert "Acme rollout phase 2" in detail and "Acme rollout" in detail


def test_generated_demo_data_gets_no_audit_entries(db):
    call_command("seed_demo", deals=30, stdout=StringIO())
    assert Deal.objects.count() == 30
    assert not LogEntry.objects.exists()
    call_command("seed_demo", deals=30, reset=True, stdout=StringIO())  # the wipe records nothing either
    assert not LogEntry.objects.exists()

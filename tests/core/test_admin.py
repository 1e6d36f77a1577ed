import pytest
from django.contrib import admin as django_admin
from django.urls import reverse

from deals.models import Deal, Stage
from tests import factories

MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in django_admin.site._registry
    if model._meta.app_label in {"accounts", "audit", "leads", "deals", "activities", "analytics"}
)


@pytest.fixture
def demo_rows(rep):
    deal = factories.DealFactory(owner=rep)
    factories.ActivityFactory(deal=deal)
    factories.LeadFactory(owner=rep)
    factories.NotificationFactory(user=rep)
    return deal


@pytest.mark.parametrize(("app_label", "model_name"), MODELS)
def test_admin_changelist_and_add_pages_load_for_an_admin(client, admin, demo_rows, app_label, model_name):
    client.force_login(admin)
    changelist = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert changelist.status_code == 200
    add = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code in (200, 403)  # history admins refuse adding


def test_admin_search_works_on_deals(client, admin, demo_rows):
    client.force_login(admin)
    response = client.get(reverse("admin:deals_deal_changelist"), {"q": demo_rows.title})
    assert response.status_code == 200
    assert demo_rows.title in response.content.decode()


def test_admin_is_refused_to_a_rep(client, rep):
    client.force_login(rep)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_pipeline_page_lists_stages_inline(client, admin, pipeline):
    client.force_login(admin)
    response = client.get(reverse("admin:deals_pipeline_change", args=[pipeline.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Negotiation &amp; proposal" in html


def test_deleting_a_stage_with_deals_is_refused_with_a_message(client, admin):
    deal = factories.DealFactory()
    client.force_login(admin)
    url = reverse("admin:deals_stage_delete", args=[deal.stage_id])
    page = client.get(url)
    assert "would require deleting the following protected related objects" in page.content.decode()
    client.post(url, {"post": "yes"})
    assert Stage.objects.filter(pk=deal.stage_id).exists()
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_deleting_a_stage_inline_with_deals_is_refused(client, admin, pipeline):
    deal = factories.DealFactory()
    stages = list(pipeline.stages.order_by("order", "id"))
    client.force_login(admin)
    data = {
        "name": pipeline.name,
        "kind": pipeline.kind,
        "is_default": "on",
        "order": pipeline.order,
        "is_active": "on",
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for i, stage in enumerate(stages):
        data |= {
            f"stages-{i}-id": stage.pk,
            f"stages-{i}-pipeline": pipeline.pk,
            f"stages-{i}-order": stage.order,
            f"stages-{i}-name": stage.name,
            f"stages-{i}-probability": stage.probability,
            f"stages-{i}-rotting_days": stage.rotting_days or "",
            f"stages-{i}-expected_days": stage.expected_days or "",
        }
        if stage.pk == deal.stage_id:
            data[f"stages-{i}-DELETE"] = "on"
    response = client.post(reverse("admin:deals_pipeline_change", args=[pipeline.pk]), data)
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Stage.objects.filter(pk=deal.stage_id).exists()


def test_empty_stage_can_be_deleted(client, admin, pipeline):
    stage = Stage.objects.create(pipeline=pipeline, name="Unused", order=99, probability=5)
    client.force_login(admin)
    client.post(reverse("admin:deals_stage_delete", args=[stage.pk]), {"post": "yes"})
    assert not Stage.objects.filter(pk=stage.pk).exists()


def test_deleting_a_pipeline_with_deals_is_refused(client, admin, pipeline):
    factories.DealFactory()
    client.force_login(admin)
    url = reverse("admin:deals_pipeline_delete", args=[pipeline.pk])
    assert "protected related objects" in client.get(url).content.decode()
    client.post(url, {"post": "yes"})
    assert type(pipeline).objects.filter(pk=pipeline.pk).exists()

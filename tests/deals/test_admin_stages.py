"""Stage order numbers in Django admin: a pipeline's stage inline refuses duplicates naming the stages
and the number, yet accepts a reorder that swaps numbers in one save; PostgreSQL holds the same with
a deferred unique constraint. (Dragging the rows: tests/browser/test_admin_stages.py.)"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from deals.models import MAX_STAGES_PER_PIPELINE, Stage
from tests import factories
from tests.adminforms import pipeline_change_form


def save_pipeline(client, pipeline, **changes):
    return client.post(
        reverse("admin:deals_pipeline_change", args=[pipeline.pk]), pipeline_change_form(pipeline, **changes)
    )


def current_orders(pipeline):
    return dict(pipeline.stages.values_list("name", "order"))


def test_a_reorder_that_swaps_two_numbers_in_one_save_is_accepted(client, admin, pipeline, stages):
    client.force_login(admin)
    first, second = stages[1], stages[2]
    response = save_pipeline(client, pipeline, orders={first: second.order, second: first.order})
    assert response.status_code == 302
    orders = current_orders(pipeline)
    assert (orders[first.name], orders[second.name]) == (second.order, first.order)


def test_duplicate_orders_are_refused_naming_the_stages_and_the_number(client, admin, pipeline, stages):
    client.force_login(admin)
    before = current_orders(pipeline)
    response = save_pipeline(client, pipeline, orders={stages[1]: stages[2].order})
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors == [
        f"Order number {stages[2].order} is given to more than one stage: “{stages[1].name}”, “{stages[2].name}”. "
        "Each stage of a pipeline needs its own number."
    ]
    assert "Used by another stage." in response.content.decode()
    assert current_orders(pipeline) == before


def test_every_repeated_number_is_named(client, admin, pipeline, stages):
    client.force_login(admin)
    response = save_pipeline(
        client, pipeline, orders={stages[0]: 7, stages[1]: 7, stages[2]: 7, stages[3]: 40, stages[4]: 40}
    )
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert len(errors) == 2
    assert errors[0].startswith(
        f"Order number 7 is given to more than one stage: “{stages[0].name}”, “{stages[1].name}”"
    )
    assert errors[1].startswith(f"Order number 40 is given to more than one stage: “{stages[3].name}”")


def test_a_deleted_stage_frees_its_number_in_the_same_save(client, admin, pipeline, stages):
    unused = Stage.objects.create(pipeline=pipeline, name="Unused", order=99, probability=5)
    client.force_login(admin)
    response = save_pipeline(client, pipeline, orders={stages[0]: 99}, delete=[unused])
    assert response.status_code == 302
    assert not Stage.objects.filter(pk=unused.pk).exists()
    assert current_orders(pipeline)[stages[0].name] == 99


def test_the_stage_page_refuses_an_order_another_stage_has(client, admin, pipeline, stages):
    client.force_login(admin)
    stage = stages[0]
    response = client.post(
        reverse("admin:deals_stage_change", args=[stage.pk]),
        {"pipeline": pipeline.pk, "name": stage.name, "order": stages[1].order, "probability": stage.probability},
    )
    assert response.status_code == 200
    assert "Another stage of this pipeline already has this order number." in response.content.decode()
    stage.refresh_from_db()
    assert stage.order != stages[1].order


def test_the_same_number_in_two_pipelines_is_fine(client, admin, pipeline, stages):
    other = factories.StageFactory(order=stages[0].order)
    other.full_clean()
    client.force_login(admin)
    assert save_pipeline(client, pipeline).status_code == 302


def test_a_pipeline_holds_at_most_63_stages(db):
    pipeline = factories.PipelineFactory()
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=f"Stage {n}", order=n, probability=10) for n in range(MAX_STAGES_PER_PIPELINE)
    )
    with pytest.raises(ValidationError, match="A pipeline holds at most 63 stages"):
        Stage(pipeline=pipeline, name="One too many", order=100, probability=10).full_clean()
    Stage.objects.filter(pipeline=pipeline, order=0).delete()
    Stage(pipeline=pipeline, name="Replacement", order=100, probability=10).full_clean()


def test_the_pipeline_page_offers_drag_handles_under_the_csp(client, admin, pipeline, stages):
    client.force_login(admin)
    response = client.get(reverse("admin:deals_pipeline_change", args=[pipeline.pk]))
    html = response.content.decode()
    assert html.count('class="stage-drag-handle"') == len(stages) + 1  # and the template row for a new stage
    assert "vendor/sortablejs/Sortable.min.js" in html
    assert "js/admin_stage_order.js" in html
    assert "css/admin_stage_order.css" in html
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert "Each stage of a pipeline has its own number." in html  # the order column's help


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_a_duplicate_order_at_commit(pipeline, stages):
    with pytest.raises(IntegrityError, match="stage_unique_order_per_pipeline"), transaction.atomic():
        Stage.objects.filter(pk=stages[0].pk).update(order=stages[1].order)
    assert Stage.objects.get(pk=stages[0].pk).order == stages[0].order


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_commits_a_swap_made_row_by_row(client, admin, pipeline, stages):
    """The admin saves the inline's rows one UPDATE at a time; the constraint is checked at commit."""
    client.force_login(admin)
    first, last = stages[0], stages[-1]
    response = save_pipeline(client, pipeline, orders={first: last.order, last: first.order})
    assert response.status_code == 302
    orders = current_orders(pipeline)
    assert (orders[first.name], orders[last.name]) == (last.order, first.order)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_clash_committed_meanwhile_is_refused_with_a_message_not_a_500(client, admin, pipeline, stages):
    """Another admin added a stage numbered 99 after this form was loaded; this save gives 99 to
    the first stage. The rows of the form are unique among themselves, so only the database sees
    the clash, at commit."""
    client.force_login(admin)
    form = pipeline_change_form(pipeline, orders={stages[0]: 99})
    Stage.objects.create(pipeline=pipeline, name="Added meanwhile", order=99, probability=5)
    response = client.post(reverse("admin:deals_pipeline_change", args=[pipeline.pk]), form, follow=True)
    assert response.status_code == 200
    assert "someone else changed the stage order of this pipeline at the same time" in response.content.decode()
    assert Stage.objects.get(pk=stages[0].pk).order == stages[0].order

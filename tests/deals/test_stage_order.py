"""The renumbering the migration that made stage order numbers unique ran on existing data."""

from deals.models import Stage
from deals.stage_order import renumber_duplicate_orders
from tests import factories


def orders(pipeline):
    return list(Stage.objects.filter(pipeline=pipeline).order_by("order", "id").values_list("name", "order"))


def stages_with(pipeline, numbers):
    # bulk_create: past validation, as rows written before the constraint existed
    return Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=f"S{i}", order=number, probability=10) for i, number in enumerate(numbers)
    )


def test_duplicates_move_up_behind_their_predecessor_keeping_the_sequence(db):
    pipeline = factories.PipelineFactory()
    stages_with(pipeline, [10, 20, 20, 30, 30, 31])
    before = [name for name, _ in orders(pipeline)]
    changed = renumber_duplicate_orders(Stage)
    assert orders(pipeline) == [("S0", 10), ("S1", 20), ("S2", 21), ("S3", 30), ("S4", 31), ("S5", 32)]
    assert [name for name, _ in orders(pipeline)] == before
    assert [(old, new) for _, old, new in changed] == [(20, 21), (30, 31), (31, 32)]


def test_ties_keep_the_id_order(db):
    pipeline = factories.PipelineFactory()
    stages = stages_with(pipeline, [1, 1, 1])
    renumber_duplicate_orders(Stage)
    assert [Stage.objects.get(pk=s.pk).order for s in stages] == [1, 2, 3]


def test_pipelines_without_duplicates_are_left_alone(db):
    clean, other = factories.PipelineFactory(), factories.PipelineFactory()
    stages_with(clean, [5, 3, 9])
    stages_with(other, [2, 2])
    changed = renumber_duplicate_orders(Stage)
    assert sorted(order for _, order in orders(clean)) == [3, 5, 9]
    assert len(changed) == 1
    assert renumber_duplicate_orders(Stage) == []

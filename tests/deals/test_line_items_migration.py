"""The migrations of line items and the value switch (a column with a default) and of price lists
(backwards: dropping a column) rebuild deals_deal on SQLite: the deal summary's triggers must be
there after them, both ways."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deals import summary
from tests import factories

BEFORE = [("deals", "0011_deal_follow_up_origin")]  # before 0012 (line items) and 0013 (price lists)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_summary_triggers_survive_the_migration_backwards_and_forwards(team_north):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(BEFORE)
    migrate(latest)
    rep = factories.UserFactory(username="alice", team=team_north)
    deal = factories.DealFactory(owner=rep, value=Decimal("250"))
    assert summary.differences() == []
    deal.value = Decimal("300")
    deal.save()
    assert summary.differences() == []

"""Every migration runs backwards and forwards again: the whole project migrated to zero and back
to the latest state, on the database the suite runs on. On SQLite this also guards the table
rebuilds of `deals_deal` and `leads_organization`, which the deal summary's triggers name
(pipeline_crm/sqlite_migrations.py): a migration that rebuilds either without `LEGACY_ON` fails."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Django's own apps stay: the project's migrations are the ones under test.
PROJECT_APPS = ["accounts", "audit", "customers", "leads", "deals", "activities", "analytics"]


@pytest.mark.django_db(transaction=True)
def test_every_project_migration_runs_backwards_to_zero_and_forwards_again():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([(app, None) for app in PROJECT_APPS])
    executor = MigrationExecutor(connection)
    assert not [key for key in executor.loader.applied_migrations if key[0] in PROJECT_APPS]
    executor.migrate(latest)
    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(latest)

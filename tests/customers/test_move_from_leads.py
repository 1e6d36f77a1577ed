"""Organizations and contacts moved from the leads app to the customers app with their tables:
an installation upgraded across the move keeps every row, every link from leads and deals, and the
audit trail's entries about them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("customers", None)]


def migrate(targets):
    """Migrate to `targets`; the models as they are then."""
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets)
    return state.apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_the_organizations_contacts_their_links_and_their_audit_entries():
    old = migrate(BEFORE)
    ContentType = old.get_model("contenttypes", "ContentType")
    organization_type = ContentType.objects.get_or_create(app_label="leads", model="organization")[0]
    organization = old.get_model("leads", "Organization").objects.create(name="Bäckerei Müller GmbH", region="south")
    contact = old.get_model("leads", "Contact").objects.create(last_name="Müller", organization=organization)
    lead = old.get_model("leads", "Lead").objects.create(
        organization=organization, contact=contact, first_name="Anna", last_name="Müller"
    )
    entry = old.get_model("audit", "LogEntry").objects.create(
        content_type=organization_type,
        object_pk=str(organization.pk),
        object_id=organization.pk,
        object_repr=organization.name,
        action=0,
    )

    new = migrate(latest())

    moved_type = new.get_model("contenttypes", "ContentType").objects.get(pk=organization_type.pk)
    assert (moved_type.app_label, moved_type.model) == ("customers", "organization")
    assert not new.get_model("contenttypes", "ContentType").objects.filter(app_label="leads", model="organization")
    Organization = new.get_model("customers", "Organization")
    assert Organization.objects.get(pk=organization.pk).name == "Bäckerei Müller GmbH"
    assert new.get_model("customers", "Contact").objects.get(pk=contact.pk).organization_id == organization.pk
    moved_lead = new.get_model("leads", "Lead").objects.get(pk=lead.pk)
    assert (moved_lead.organization_id, moved_lead.contact_id) == (organization.pk, contact.pk)
    assert new.get_model("audit", "LogEntry").objects.get(pk=entry.pk).content_type_id == moved_type.pk


@pytest.mark.django_db(transaction=True)
def test_the_move_is_reversible():
    migrate(BEFORE)
    new = migrate(latest())
    assert new.get_model("contenttypes", "ContentType").objects.filter(app_label="customers", model="contact")
    old = migrate(BEFORE)
    assert old.get_model("contenttypes", "ContentType").objects.filter(app_label="leads", model="contact")
    migrate(latest())

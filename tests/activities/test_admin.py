import pytest
from django.urls import reverse

from activities.models import FollowUpRule
from tests import factories


@pytest.mark.parametrize(
    "name", ["followuprule", "activity", "notification", "outgoingemail", "digestlog", "rulefiring"]
)
def test_admin_lists_open(client, admin, name):
    factories.NotificationFactory(user=admin)
    client.force_login(admin)

    response = client.get(reverse(f"admin:activities_{name}_changelist"))

    assert response.status_code == 200


def test_admin_refuses_a_stage_rule_without_a_stage(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("admin:activities_followuprule_add"),
        {
            "name": "Broken",
            "is_active": "on",
            "trigger": "stage_entered",
            "action": "create_activity",
            "activity_kind": "follow_up",
            "subject_template": "Follow up",
            "due_in_days": "3",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )

    assert response.status_code == 200
    assert "rule_stage_entered_needs_stage" in response.content.decode()
    assert not FollowUpRule.objects.filter(name="Broken").exists()


def test_admin_retries_a_failed_email_but_not_a_sent_one(client, admin, now):
    from activities.models import OutgoingEmail

    failed = OutgoingEmail.objects.create(
        key="a", user=admin, to="ada@example.com", subject="S", body="B", failed_at=now, attempts=5, last_error="x"
    )
    sent = OutgoingEmail.objects.create(key="b", user=admin, to="ada@example.com", subject="S", body="B", sent_at=now)
    client.force_login(admin)

    client.post(
        reverse("admin:activities_outgoingemail_changelist"),
        {"action": "retry_delivery", "_selected_action": [failed.pk, sent.pk]},
    )

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.failed_at, failed.attempts, failed.last_error) == (None, 0, "")
    assert sent.sent_at == now


def test_admin_offers_the_lead_sources(client, admin):
    client.force_login(admin)

    response = client.get(reverse("admin:activities_followuprule_add"))

    assert '<option value="trade_fair">Trade fair</option>' in response.content.decode()

import pytest

from leads import services
from leads.models import Lead, LeadStatusChange

S = Lead.Status

ALLOWED = [
    (S.NEW, S.CONTACTED),
    (S.NEW, S.DISQUALIFIED),
    (S.CONTACTED, S.NURTURING),
    (S.CONTACTED, S.QUALIFIED),
    (S.CONTACTED, S.DISQUALIFIED),
    (S.NURTURING, S.CONTACTED),
    (S.NURTURING, S.QUALIFIED),
    (S.NURTURING, S.DISQUALIFIED),
    (S.QUALIFIED, S.NURTURING),
    (S.QUALIFIED, S.DISQUALIFIED),
    (S.DISQUALIFIED, S.NURTURING),
]
REFUSED = [
    (a, b) for a in S for b in S if (a, b) not in ALLOWED and a != b and b != S.CONVERTED and a != S.CONVERTED
] + [(S.CONVERTED, b) for b in S if b != S.CONVERTED]


def _lead_in(status, owner):
    extra = {"disqualified_reason": "no budget"} if status == S.DISQUALIFIED else {}
    if status == S.CONVERTED:
        from django.utils import timezone

        extra["converted_at"] = timezone.now()
    lead = services.lead_create(actor=owner, owner=owner, last_name="Lee", email="lee@example.com")
    Lead.objects.filter(pk=lead.pk).update(status=status, **extra)
    return lead


def test_creation_writes_the_initial_history_row(rep):
    lead = services.lead_create(actor=rep, owner=rep, last_name="Lee", email="lee@example.com")
    row = LeadStatusChange.objects.get(lead=lead)
    assert (row.from_status, row.to_status, row.actor) == ("", "new", rep)


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_allowed_transition_changes_status_and_writes_history(rep, from_status, to_status):
    lead = _lead_in(from_status, rep)
    services.lead_change_status(lead_id=lead.pk, actor=rep, to_status=to_status, reason="why not")
    lead.refresh_from_db()
    assert lead.status == to_status
    last = LeadStatusChange.objects.filter(lead=lead).latest("id")
    assert (last.from_status, last.to_status, last.actor_id) == (from_status, to_status, rep.pk)
    assert lead.last_touch_at is not None


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_refused_transition_changes_nothing(rep, from_status, to_status):
    lead = _lead_in(from_status, rep)
    with pytest.raises(services.LeadError, match="cannot go from"):
        services.lead_change_status(lead_id=lead.pk, actor=rep, to_status=to_status, reason="x")
    lead.refresh_from_db()
    assert lead.status == from_status
    assert LeadStatusChange.objects.filter(lead=lead).count() == 1


def test_status_change_to_converted_is_refused_outside_conversion(rep):
    lead = _lead_in(S.QUALIFIED, rep)
    with pytest.raises(services.LeadError, match="Convert to deal"):
        services.lead_change_status(lead_id=lead.pk, actor=rep, to_status=S.CONVERTED)


def test_disqualify_requires_a_reason(rep):
    lead = _lead_in(S.CONTACTED, rep)
    with pytest.raises(services.LeadError, match="reason"):
        services.lead_change_status(lead_id=lead.pk, actor=rep, to_status=S.DISQUALIFIED, reason="  ")
    lead.refresh_from_db()
    assert lead.status == S.CONTACTED


def test_disqualify_stores_the_reason(rep):
    lead = _lead_in(S.CONTACTED, rep)
    services.lead_change_status(lead_id=lead.pk, actor=rep, to_status=S.DISQUALIFIED, reason="No budget")
    lead.refresh_from_db()
    assert lead.disqualified_reason == "No budget"
    assert LeadStatusChange.objects.filter(lead=lead).latest("id").reason == "No budget"


def test_reopening_a_disqualified_lead_clears_the_reason(rep):
    lead = _lead_in(S.DISQUALIFIED, rep)
    services.lead_change_status(lead_id=lead.pk, actor=rep, to_status=S.NURTURING)
    lead.refresh_from_db()
    assert lead.disqualified_reason == ""


def test_teammate_may_not_change_the_status(rep, teammate):
    from django.core.exceptions import PermissionDenied

    lead = _lead_in(S.NEW, rep)
    with pytest.raises(PermissionDenied):
        services.lead_change_status(lead_id=lead.pk, actor=teammate, to_status=S.CONTACTED)


def test_converted_lead_cannot_be_edited(rep):
    lead = _lead_in(S.CONVERTED, rep)
    with pytest.raises(services.LeadError, match="converted"):
        services.lead_update(lead_id=lead.pk, actor=rep, need=3)

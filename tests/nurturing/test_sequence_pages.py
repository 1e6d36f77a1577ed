"""The sequence pages: create and edit (allow_overlap for admins only), the step builder with its
htmx partials and the model's checks, renumbering on move and delete, activate/pause/resume,
the enrolments table, and the contact and lead pages' enrolment frame."""

import pytest
from django.urls import reverse

from nurturing import enrolment
from nurturing.models import Enrolment, Sequence, Step
from tests import factories
from tests.nurturing import pages

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"nurturing:{name}", args=args)


def kinds(sequence):
    return list(sequence.steps.order_by("position").values_list("kind", "position"))


def test_a_manager_creates_a_sequence_but_may_not_allow_overlap(client, manager):
    client.force_login(manager)
    form = client.get(url("sequence_create")).content.decode()
    assert 'name="allow_overlap"' not in form
    response = client.post(url("sequence_create"), {"name": "Welcome", "sender": "record_owner", "allow_overlap": "on"})
    sequence = Sequence.objects.get()
    assert response.status_code == 302 and sequence.owner == manager and not sequence.allow_overlap


def test_an_admin_may_allow_overlap(client, admin):
    client.force_login(admin)
    client.post(url("sequence_create"), {"name": "Welcome", "sender": "record_owner", "allow_overlap": "on"})
    assert Sequence.objects.get().allow_overlap


def test_a_manager_editing_an_admins_overlap_sequence_keeps_it(client, manager, admin):
    sequence = pages.sequence(admin)
    Sequence.objects.filter(pk=sequence.pk).update(allow_overlap=True)
    client.force_login(manager)
    response = client.post(url("sequence_edit", sequence.pk), {"name": "Renamed", "sender": "sequence_owner"})
    sequence.refresh_from_db()
    assert response.status_code == 302 and sequence.name == "Renamed" and sequence.allow_overlap


def test_reps_see_active_sequences_only_and_write_nothing(client, rep, manager):
    draft = pages.sequence(manager, name="Draft one")
    active = pages.sequence(manager, name="Live one", status=Sequence.Status.ACTIVE)
    client.force_login(rep)
    html = client.get(url("sequence_list")).content.decode()
    assert "Live one" in html and "Draft one" not in html
    assert client.get(url("sequence_detail", draft.pk)).status_code == 404
    assert client.get(url("sequence_detail", active.pk)).status_code == 200
    assert client.get(url("sequence_create")).status_code == 403
    assert client.post(url("step_create", active.pk), {"kind": "wait", "wait_days": 2}).status_code == 403


def test_the_step_builder_adds_steps_through_htmx(client, manager):
    template = pages.template()
    sequence = pages.sequence(manager)
    client.force_login(manager)
    form = client.get(url("step_create", sequence.pk), **HTMX).content.decode()
    assert form.lstrip().startswith('<div id="steps"') and "data-step-form" in form and "Welcome (" in form
    client.post(url("step_create", sequence.pk), {"kind": "email", "template": template.pk}, **HTMX)
    client.post(url("step_create", sequence.pk), {"kind": "wait", "wait_days": 3, "template": template.pk}, **HTMX)
    response = client.post(url("step_create", sequence.pk), {"kind": "wait", "wait_weekday": 1, "wait_time": "09:30"})
    assert response.status_code == 302
    assert kinds(sequence) == [("email", 1), ("wait", 2), ("wait", 3)]
    wait = sequence.steps.get(position=2)
    assert wait.wait_days == 3 and wait.template is None  # fields of another kind are dropped


def test_a_step_the_model_refuses_comes_back_with_its_error(client, manager):
    sequence = pages.sequence(manager)
    client.force_login(manager)
    response = client.post(url("step_create", sequence.pk), {"kind": "email"}, **HTMX)
    assert response.status_code == 200 and "Choose the template this step sends." in response.content.decode()
    response = client.post(url("step_create", sequence.pk), {"kind": "wait"})
    assert response.status_code == 400 and not sequence.steps.exists()


def test_a_branch_cannot_go_to_a_step_that_does_not_exist(client, manager):
    sequence = pages.sequence(manager, steps=[{"kind": "wait", "wait_days": 1}])
    client.force_login(manager)
    response = client.post(
        url("step_create", sequence.pk), {"kind": "branch", "condition": "opened", "then_position": 5}, **HTMX
    )
    assert "Select a valid choice" in response.content.decode() and sequence.steps.count() == 1


def test_moving_and_deleting_renumber_branches_and_enrolments(client, manager, rep):
    sequence = pages.sequence(
        manager,
        status=Sequence.Status.ACTIVE,
        steps=[
            {"kind": "wait", "wait_days": 1},
            {"kind": "branch", "condition": "clicked", "then_position": 4, "else_position": None},
            {"kind": "task", "task_subject": "Call"},
            {"kind": "wait", "wait_days": 2},
        ],
    )
    contact = factories.ContactFactory(owner=rep)
    enrolment = Enrolment.objects.create(sequence=sequence, contact=contact, next_position=4)
    client.force_login(manager)
    fourth = sequence.steps.get(position=4)
    client.post(url("step_move", sequence.pk, fourth.pk), {"direction": "up"}, **HTMX)
    enrolment.refresh_from_db()
    assert kinds(sequence) == [("wait", 1), ("branch", 2), ("wait", 3), ("task", 4)]
    assert sequence.steps.get(position=2).then_position == 3 and enrolment.next_position == 3
    first = sequence.steps.get(position=1)
    response = client.post(url("step_delete", sequence.pk, first.pk), **HTMX)
    assert response.status_code == 200
    enrolment.refresh_from_db()
    assert kinds(sequence) == [("branch", 1), ("wait", 2), ("task", 3)]
    assert sequence.steps.get(position=1).then_position == 2 and enrolment.next_position == 2


def test_editing_a_step_changes_it_in_place(client, manager):
    sequence = pages.sequence(manager, steps=[{"kind": "task", "task_subject": "Call"}])
    step = sequence.steps.get()
    client.force_login(manager)
    assert 'value="Call"' in client.get(url("step_edit", sequence.pk, step.pk), **HTMX).content.decode()
    client.post(url("step_edit", sequence.pk, step.pk), {"kind": "task", "task_subject": "Visit", "task_due_days": 2})
    step.refresh_from_db()
    assert (step.task_subject, step.task_due_days, step.position) == ("Visit", 2, 1)


def test_activating_enrols_the_segment_and_the_page_lists_them(
    client, manager, rep, django_capture_on_commit_callbacks
):
    north = factories.OrganizationFactory(region="north", owner=rep)
    factories.ContactFactory(last_name="Northman", organization=north, owner=rep, email_consent="granted")
    segment = pages.segment(manager)
    sequence = pages.sequence(manager, segment=segment, steps=[{"kind": "wait", "wait_days": 1}])
    client.force_login(manager)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(url("sequence_status", sequence.pk), {"action": "activate"})
    sequence.refresh_from_db()
    assert sequence.status == "active"
    assert len(callbacks) == 1  # the segment's enrolment is queued for a worker
    enrolment.enrol_segment(sequence)  # what that worker runs
    html = client.get(url("sequence_detail", sequence.pk)).content.decode()
    assert "Northman" in html and "1 enrolment" in html
    client.post(url("sequence_status", sequence.pk), {"action": "pause"})
    sequence.refresh_from_db()
    assert sequence.status == "paused" and sequence.paused_at is not None
    client.post(url("sequence_status", sequence.pk), {"action": "resume"})
    sequence.refresh_from_db()
    assert sequence.status == "active"


def test_a_sequence_without_steps_is_not_activated(client, manager):
    sequence = pages.sequence(manager)
    client.force_login(manager)
    client.post(url("sequence_status", sequence.pk), {"action": "activate"})
    sequence.refresh_from_db()
    assert sequence.status == "draft"


def test_the_enrolments_table_shows_only_people_the_user_sees(client, manager, rep, outsider):
    sequence = pages.sequence(manager, status=Sequence.Status.ACTIVE, steps=[{"kind": "wait", "wait_days": 1}])
    mine = factories.ContactFactory(last_name="Visible", owner=rep, organization=None)
    far = factories.ContactFactory(last_name="Hidden", owner=outsider, organization=None)
    Enrolment.objects.create(sequence=sequence, contact=mine, next_position=1)
    Enrolment.objects.create(sequence=sequence, contact=far, next_position=1)
    client.force_login(rep)
    html = client.get(url("sequence_detail", sequence.pk)).content.decode()
    assert "Visible" in html and "Hidden" not in html


def test_the_contact_page_enrols_and_says_why_not(client, rep, manager):
    sequence = pages.sequence(manager, status=Sequence.Status.ACTIVE, steps=[{"kind": "wait", "wait_days": 1}])
    contact = factories.ContactFactory(owner=rep, email_consent="granted")
    client.force_login(rep)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert url("record_enrolments", "contact", contact.pk) in page
    frame = client.get(url("record_enrolments", "contact", contact.pk)).content.decode()
    assert "In no sequence." in frame and sequence.name in frame
    response = client.post(url("record_enrolments", "contact", contact.pk), {"sequence": sequence.pk}, **HTMX)
    assert Enrolment.objects.filter(contact=contact, sequence=sequence).exists()
    assert "Not enrolled" not in response.content.decode()
    again = client.post(url("record_enrolments", "contact", contact.pk), {"sequence": sequence.pk}, **HTMX)
    assert "already in this sequence" in again.content.decode()


def test_a_lead_the_user_may_not_change_is_not_enrolled(client, rep, teammate, manager):
    sequence = pages.sequence(manager, status=Sequence.Status.ACTIVE, steps=[{"kind": "wait", "wait_days": 1}])
    lead = factories.LeadFactory(owner=teammate)
    client.force_login(rep)
    assert "enrol-form" not in client.get(url("record_enrolments", "lead", lead.pk)).content.decode()
    assert client.post(url("record_enrolments", "lead", lead.pk), {"sequence": sequence.pk}).status_code == 403
    assert client.get(url("record_enrolments", "deal", lead.pk)).status_code == 404


def test_the_header_links_the_sequences(client, rep):
    client.force_login(rep)
    assert 'data-testid="nav-sequences"' in client.get(url("sequence_list")).content.decode()


@pytest.mark.parametrize("action", ["pause", "resume", "explode"])
def test_a_status_change_that_does_not_fit_is_refused(client, manager, action):
    sequence = pages.sequence(manager)
    client.force_login(manager)
    client.post(url("sequence_status", sequence.pk), {"action": action})
    sequence.refresh_from_db()
    assert sequence.status == "draft"
    assert not Step.objects.exists()

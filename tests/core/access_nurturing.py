"""The access matrix's rows for the segment and sequence pages (docs/nurturing.md): managers
and admins write segments and sequences (reps 403); everyone signed in reads the segments and
the active sequences; the enrolment frame of a lead follows the lead's rules (see and change)."""

from tests.core.access_expectations import ROLES, Expect, _codes, change, everyone, not_allowed, see

AUTHORS = ("manager", "manager_south", "admin")


def authors(code):
    """Managers and admins get `code`; reps 403."""
    return _codes(**{role: (code if role in AUTHORS else 403) for role in ROLES[1:]})


def _segment(cast):
    from nurturing.models import Segment

    segment, _created = Segment.objects.get_or_create(
        name="Matrix segment", defaults={"kind": "leads", "query": "status=open", "owner": cast.manager}
    )
    return segment


def _sequence(cast):
    from nurturing.models import Sequence, Step

    # The cast's active sequence (its numbers page is in the matrix too), with one step.
    sequence, _created = Sequence.objects.get_or_create(
        name="Matrix sequence", defaults={"owner": cast.manager, "status": "active", "segment": _segment(cast)}
    )
    if not sequence.steps.exists():
        Step.objects.create(sequence=sequence, position=1, kind="wait", wait_days=2)
    return sequence


def _sequence_kwargs(cast):
    return {"sequence_id": _sequence(cast).pk}


def _step_kwargs(cast):
    sequence = _sequence(cast)
    return {"sequence_id": sequence.pk, "step_id": sequence.steps.get().pk}


def _segment_kwargs(cast):
    return {"segment_id": _segment(cast).pk}


EXPECTATIONS = {
    "sequences/": Expect(get=everyone(200), post=not_allowed()),
    # An empty form is bad input: the form again with its messages.
    "sequences/new/": Expect(get=authors(200), post=authors(400)),
    "sequences/<int:sequence_id>/": Expect(kwargs=_sequence_kwargs, get=everyone(200), post=not_allowed()),
    "sequences/<int:sequence_id>/edit/": Expect(kwargs=_sequence_kwargs, get=authors(200), post=authors(400)),
    # Without an action: "the sequence is active", back to the page.
    "sequences/<int:sequence_id>/status/": Expect(kwargs=_sequence_kwargs, get=not_allowed(), post=authors(302)),
    # The step builder: htmx gets the steps partial (with the form and its errors: 200).
    "sequences/<int:sequence_id>/steps/new/": Expect(
        kwargs=_sequence_kwargs, get=authors(200), post=authors(400), htmx_post=authors(200)
    ),
    "sequences/<int:sequence_id>/steps/<int:step_id>/edit/": Expect(
        kwargs=_step_kwargs, get=authors(200), post=authors(400), htmx_post=authors(200)
    ),
    "sequences/<int:sequence_id>/steps/<int:step_id>/delete/": Expect(
        kwargs=_step_kwargs, get=not_allowed(), post=authors(302), htmx_post=authors(200)
    ),
    "sequences/<int:sequence_id>/steps/<int:step_id>/move/": Expect(
        kwargs=_step_kwargs,
        get=not_allowed(),
        post=authors(302),
        data=lambda cast: {"direction": "down"},
        htmx_post=authors(200),
    ),
    # The lead page's frame: whoever sees the lead reads it; whoever may change it enrols.
    "sequences/enrolments/<str:kind>/<int:record_id>/": Expect(
        kwargs=lambda cast: {"kind": "lead", "record_id": cast.lead.pk},
        get=see(200),
        post=change(302),
        data=lambda cast: {"sequence": _sequence(cast).pk},
        htmx_post=change(200),
    ),
    "segments/": Expect(get=everyone(200), post=not_allowed()),
    "segments/new/": Expect(get=authors(200), post=authors(400)),
    "segments/<int:segment_id>/": Expect(kwargs=_segment_kwargs, get=everyone(200), post=not_allowed()),
    "segments/<int:segment_id>/edit/": Expect(kwargs=_segment_kwargs, get=authors(200), post=authors(400)),
    "segments/<int:segment_id>/enrol/": Expect(
        kwargs=_segment_kwargs,
        get=not_allowed(),
        post=authors(302),
        data=lambda cast: {"sequence": _sequence(cast).pk},
    ),
}

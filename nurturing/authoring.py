"""Writing segments, sequences and their steps (the pages' services; docs/nurturing.md,
"Segments" and "Sequence pages").

Admins and managers author; `allow_overlap` is the admins' alone. A step's position is its
place in the sequence (1, 2, …): moving or deleting a step renumbers the others and carries
every reference along — a branch's then/else step and an active enrolment's next step — so a
branch keeps pointing at the same step and nobody skips or repeats one.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts import scoping
from nurturing import segments
from nurturing.models import Enrolment, Segment, Sequence, Step

STEP_FIELDS = (
    "kind",
    "template",
    "wait_days",
    "wait_weekday",
    "wait_time",
    "task_subject",
    "task_due_days",
    "condition",
    "then_position",
    "else_position",
)


def can_author(user):
    return scoping.is_admin(user) or getattr(user, "role", "") == "manager"


def _require_author(actor):
    if not can_author(actor):
        raise PermissionDenied(_("Only managers and admins write segments and sequences."))


# --- segments ------------------------------------------------------------------------------------


def _check_segment(segment):
    """The query string must be one the list's filters accept in the owner's scope."""
    bound = segments.filterset(kind=segment.kind, query=segment.query, user=segment.owner)
    if not bound.is_valid():
        raise ValidationError(_("The filters are not valid: %(errors)s") % {"errors": bound.errors.as_text()})
    try:
        segment.full_clean(exclude=["owner"])
    except ValidationError as error:
        raise ValidationError(error.messages) from None


def segment_create(*, actor, name, kind, query="", description=""):
    _require_author(actor)
    segment = Segment(
        name=name.strip(), kind=kind, query=segments.params_of(query).urlencode(), description=description, owner=actor
    )
    _check_segment(segment)
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise ValidationError(_("A segment of that name exists already.")) from None
    return segment


def segment_update(*, actor, segment, name, query="", description=""):
    """Rename or refilter; the kind stays (sequences are built on it)."""
    _require_author(actor)
    segment.name = name.strip()
    segment.query = segments.params_of(query).urlencode()
    segment.description = description
    _check_segment(segment)
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise ValidationError(_("A segment of that name exists already.")) from None
    return segment


# --- sequences -----------------------------------------------------------------------------------


def _check_sequence(actor, sequence):
    if sequence.allow_overlap and not scoping.is_admin(actor):
        raise PermissionDenied(_("Only admins may let a sequence mail alongside others."))
    sequence.full_clean(exclude=["owner"])


def sequence_create(*, actor, name, description="", sender=Sequence.Sender.RECORD_OWNER, segment=None, **options):
    _require_author(actor)
    sequence = Sequence(
        name=name.strip(), description=description, sender=sender, segment=segment, owner=actor, **options
    )
    _check_sequence(actor, sequence)
    sequence.save()
    return sequence


def sequence_update(*, actor, sequence, **fields):
    """Change the settings; `allow_overlap` changes only when an admin changes it."""
    _require_author(actor)
    overlap = fields.pop("allow_overlap", sequence.allow_overlap)
    if overlap != sequence.allow_overlap and not scoping.is_admin(actor):
        raise PermissionDenied(_("Only admins may let a sequence mail alongside others."))
    sequence.allow_overlap = overlap
    for name, value in fields.items():
        setattr(sequence, name, value)
    sequence.full_clean(exclude=["owner"])
    sequence.save()
    return sequence


# --- steps ---------------------------------------------------------------------------------------


def _clear_other_kinds(step):
    """Keep only the fields of the step's kind (a wait turned into an e-mail forgets its days)."""
    kind = step.kind
    if kind != Step.Kind.EMAIL:
        step.template = None
    if kind != Step.Kind.WAIT:
        step.wait_days = step.wait_weekday = step.wait_time = None
    if kind != Step.Kind.TASK:
        step.task_subject, step.task_due_days = "", 0
    if kind != Step.Kind.BRANCH:
        step.condition, step.then_position, step.else_position = "", None, None


def _check_branch_targets(step, count):
    errors = {}
    for name in ("then_position", "else_position"):
        target = getattr(step, name)
        if target is not None and not 1 <= target <= count:
            errors[name] = _("There is no step %(position)s.") % {"position": target}
        elif target is not None and target == step.position:
            errors[name] = _("A branch cannot go to itself.")
    if errors:
        raise ValidationError(errors)


def step_save(*, actor, sequence, step=None, **fields):
    """Add a step at the end, or change `step`. Validated by `Step.clean`."""
    _require_author(actor)
    with transaction.atomic():
        Sequence.objects.select_for_update().filter(pk=sequence.pk).first()
        count = sequence.steps.count()
        if step is None:
            step = Step(sequence=sequence, position=count + 1)
            count += 1
        for name in STEP_FIELDS:
            if name in fields:
                setattr(step, name, fields[name])
        _clear_other_kinds(step)
        step.full_clean(exclude=["sequence", "position"])
        _check_branch_targets(step, count)
        step.save()
    return step


def _renumber(sequence, mapping):
    """Carry positions old → new (None: gone) through branches and active enrolments."""
    for step in sequence.steps.filter(kind=Step.Kind.BRANCH):
        then_position = mapping.get(step.then_position, step.then_position)
        else_position = mapping.get(step.else_position, step.else_position)
        if (then_position, else_position) != (step.then_position, step.else_position):
            Step.objects.filter(pk=step.pk).update(then_position=then_position, else_position=else_position)
    # The rows to move are read first and moved after, so a swap never moves a row twice. An
    # enrolment whose step went away at the end keeps its position: no step there ends it.
    active = Enrolment.objects.filter(sequence=sequence, status=Enrolment.Status.ACTIVE)
    moves = {
        new: list(active.filter(next_position=old).values_list("pk", flat=True))
        for old, new in mapping.items()
        if new is not None and new != old
    }
    for new, ids in moves.items():
        if ids:
            Enrolment.objects.filter(pk__in=ids).update(next_position=new)


def step_move(*, actor, step, direction):
    """Swap the step with its neighbour above (direction -1) or below (+1)."""
    _require_author(actor)
    sequence = step.sequence
    with transaction.atomic():
        Sequence.objects.select_for_update().filter(pk=sequence.pk).first()
        step.refresh_from_db()
        other = sequence.steps.filter(position=step.position + direction).first()
        if other is None:
            return step
        a, b = step.position, other.position
        Step.objects.filter(pk=step.pk).update(position=0)
        Step.objects.filter(pk=other.pk).update(position=a)
        Step.objects.filter(pk=step.pk).update(position=b)
        _renumber(sequence, {a: b, b: a})
    step.position = b
    return step


def step_delete(*, actor, step):
    """Remove the step; the later ones move up. A branch or enrolment at the deleted step
    goes on with the step that takes its place (or ends the sequence, when it was the last)."""
    _require_author(actor)
    sequence = step.sequence
    with transaction.atomic():
        Sequence.objects.select_for_update().filter(pk=sequence.pk).first()
        step.refresh_from_db()
        removed = step.position
        last = sequence.steps.aggregate(last=Max("position"))["last"]
        step.delete()
        mapping = {removed: removed if removed < last else None}
        for later in sequence.steps.filter(position__gt=removed).order_by("position"):
            Step.objects.filter(pk=later.pk).update(position=later.position - 1)
            mapping[later.position] = later.position - 1
        _renumber(sequence, mapping)

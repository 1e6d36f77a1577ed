"""The reads of the segment and sequence pages, scoped to the user (docs/nurturing.md).

Segments: managers and admins see and write every segment; reps read them too, with the
members (and their counts) narrowed to what the rep may see. Sequences: authors see all;
reps the active and paused ones. Enrolments show only people the user sees.
"""

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404

from directory import selectors as directory_selectors
from leads import selectors as lead_selectors
from nurturing import authoring, segments
from nurturing.models import Enrolment, Segment, Sequence

REP_VISIBLE_STATUSES = (Sequence.Status.ACTIVE, Sequence.Status.PAUSED)


def segment_list_for_user(*, user):
    """Every segment with its live count in the user's scope (one count query per segment;
    `count` is None when the segment's filters no longer hold, e.g. a deleted tag)."""
    rows = list(Segment.objects.select_related("owner").order_by("name", "id"))
    for segment in rows:
        try:
            segment.member_count = segments.count(segment, user=user)
        except ValidationError:
            segment.member_count = None
    return rows


def segment_get_for_user(*, user, segment_id):
    try:
        return Segment.objects.select_related("owner").get(pk=segment_id)
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such segment.") from None


def segment_members_for_user(*, user, segment):
    """The members the user may see, sorted by name (raises ValidationError for broken filters)."""
    queryset = segments.members(segment, user=user)
    if segment.kind == Segment.Kind.CONTACTS:
        return queryset.select_related("organization", "owner").order_by("last_name", "first_name", "pk")
    return queryset.select_related("owner").order_by("last_name", "first_name", "pk")


def enrolment_scope_q(user, prefix=""):
    """Enrolments of contacts and leads the user sees."""
    contacts = directory_selectors.contact_list_for_user(user=user).values("pk")
    leads = lead_selectors.lead_list_for_user(user=user).values("pk")
    return Q(**{f"{prefix}contact__in": contacts}) | Q(**{f"{prefix}lead__in": leads})


def sequence_list_for_user(*, user):
    """The sequences the user may see, with the number of active enrolments in their scope."""
    queryset = Sequence.objects.select_related("owner", "segment")
    if not authoring.can_author(user):
        queryset = queryset.filter(status__in=REP_VISIBLE_STATUSES)
    active = Q(enrolments__status=Enrolment.Status.ACTIVE) & enrolment_scope_q(user, "enrolments__")
    return queryset.annotate(active_count=Count("enrolments", filter=active)).order_by("name", "id")


def sequence_get_for_user(*, user, sequence_id):
    queryset = Sequence.objects.select_related("owner", "segment")
    if not authoring.can_author(user):
        queryset = queryset.filter(status__in=REP_VISIBLE_STATUSES)
    try:
        return queryset.get(pk=sequence_id)
    except (Sequence.DoesNotExist, ValueError, TypeError):
        raise Http404("No such sequence.") from None


def sequence_steps(*, sequence):
    return list(sequence.steps.select_related("template").order_by("position"))


def sequence_enrolments_for_user(*, user, sequence):
    """The enrolments of people the user sees, newest first."""
    return (
        Enrolment.objects.filter(enrolment_scope_q(user), sequence=sequence)
        .select_related("contact", "lead")
        .order_by("-enrolled_at", "-id")
    )


def record_enrolments(*, contact=None, lead=None):
    """The person's enrolments (every sequence), newest first."""
    where = {"contact": contact} if contact is not None else {"lead": lead}
    return list(Enrolment.objects.filter(**where).select_related("sequence").order_by("-enrolled_at", "-id")[:20])


def active_sequences():
    return list(Sequence.objects.filter(status=Sequence.Status.ACTIVE).order_by("name", "id"))

"""The nurturing entries of the contact and lead timelines, registered with the timeline app
(timeline.sources) in NurturingConfig.ready(): what happened to the person's enrolments, and
the marketing e-mails sent to them with whether they were opened, clicked and answered."""

from nurturing.models import EnrolmentEvent, Send

ENROLMENT = "enrolment"
MARKETING = "marketing"


def _events(**record):
    return EnrolmentEvent.objects.filter(**record).select_related("enrolment__sequence")


def _sends(**record):
    return Send.objects.filter(**record).select_related("sequence", "template", "sender")


def register():
    from timeline import sources

    sources.register(
        sources.Source(
            kind=ENROLMENT,
            rank=6,
            time_field="at",
            template="nurturing/_timeline_enrolment.html",
            for_lead=lambda *, user, lead: _events(lead=lead),
            for_contact=lambda *, user, contact: _events(contact=contact),
        )
    )
    sources.register(
        sources.Source(
            kind=MARKETING,
            rank=7,
            time_field="created_at",
            template="nurturing/_timeline_send.html",
            for_lead=lambda *, user, lead: _sends(lead=lead),
            for_contact=lambda *, user, contact: _sends(contact=contact),
        )
    )

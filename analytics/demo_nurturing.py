"""The demo's nurturing (docs/nurturing.md): documented consent for part of the contacts, a
segment, an active three-step sequence whose first e-mail went out five days ago — some opened,
some clicked, a few answered — and the costs of the lead sources and campaigns, so that the
sequence page and the dashboard's Nurturing and ROI sections have numbers. The e-mails are
written with the product's own rendering and link tracking and stored as delivered (no mail
leaves the machine); the second e-mail is due two days from now, when the engine sends it."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from customers import services as customer_services
from customers.models import Consent, Contact
from leads.models import Campaign, Lead, SourceCost
from mail.models import EmailMessage, EmailTemplate, Participant
from nurturing import enrolment, sending, tracking, tracking_services
from nurturing.models import Enrolment, EnrolmentEvent, Segment, Send, Sequence, Step

GUIDE = "https://www.pipeline-demo.example/leitfaden-vertriebspipeline.pdf"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
SOURCE_MONTHLY_COST = {
    Lead.Source.TRADE_FAIR: 2500,
    Lead.Source.WEB_FORM: 600,
    Lead.Source.WEBINAR: 400,
    Lead.Source.SOCIAL: 800,
    Lead.Source.COLD_CALL: 300,
}


def _consent(rng, contacts, actor):
    """About 60 % opted in, 15 % existing customers, a few withdrawn; the rest not asked."""
    granted = []
    for contact in contacts:
        roll = rng.random()
        if roll < 0.6:
            status, source, proof = Consent.GRANTED, "Messe-Anmeldung", "Unterschriebenes Formular, Ordner Messe 2026"
        elif roll < 0.75:
            since = (timezone.now() - timedelta(days=rng.randint(200, 900))).date()
            status, source, proof = Consent.EXISTING, "Bestandskunde", f"existing customer since {since:%Y-%m-%d}"
        elif roll < 0.8:
            status, source, proof = Consent.WITHDRAWN, "telefonisch", "Anruf beim Vertrieb"
        else:
            continue
        customer_services.contact_consent_set(actor=actor, contact=contact, status=status, source=source, proof=proof)
        if status != Consent.WITHDRAWN:
            granted.append(contact)
    return granted


def _templates():
    welcome = EmailTemplate.objects.create(
        name=TEMPLATES[0],
        language="de",
        subject="Ihr Leitfaden zur Vertriebspipeline, {{ contact.first_name }}",
        body=(
            "Guten Tag {{ contact.full_name }},\n\nwie gewinnen Teams in der Branche {{ organization.industry }} "
            f"mehr Abschlüsse? Unser Leitfaden zeigt es in zehn Seiten: {GUIDE}\n\n"
            "Viele Grüße\n{{ sender.full_name }}"
        ),
        visibility=EmailTemplate.Visibility.EVERYONE,
    )
    follow_up = EmailTemplate.objects.create(
        name=TEMPLATES[1],
        language="de",
        subject="Ein Praxisbeispiel für {{ organization.name }}",
        body=(
            "Guten Tag {{ contact.full_name }},\n\nein Kunde aus Ihrer Region hat seine Abschlussquote in sechs "
            "Monaten um ein Drittel gesteigert. Sollen wir zeigen, wie? "
            "https://www.pipeline-demo.example/praxisbeispiel\n\nViele Grüße\n{{ sender.full_name }}"
        ),
        visibility=EmailTemplate.Visibility.EVERYONE,
    )
    return welcome, follow_up


def _first_email(rng, enrolled, step, template, sent_at):
    """Step 1 for each enrolment as the engine writes it, stored as delivered five days ago."""
    sends = 0
    for item in enrolled:
        contact = item.contact
        sender = sending.sender_for(sequence=item.sequence, contact=contact)
        subject, text, html = sending.render(template=template, sender=sender, contact=contact, language="de")
        send = Send.objects.create(
            enrolment=item, sequence=item.sequence, step=step, template=template, segment=item.sequence.segment,
            contact=contact, sender=sender, address=contact.email.lower(),
            domain=contact.email.lower().rsplit("@", 1)[-1], status=Send.Status.SENT, created_at=sent_at,
            sent_at=sent_at,
        )  # fmt: skip
        footer_text, footer_html = sending.footer(send=send, language="de")
        html, text = tracking.prepare(send=send, html=html + footer_html, text=text + footer_text)
        message = EmailMessage.objects.create(
            owner=sender, source=EmailMessage.Source.CRM, direction=EmailMessage.Direction.OUTBOUND,
            message_id=f"<demo-nurture-{send.pk}@pipeline-demo.example>", subject=subject,
            from_name=sender.get_full_name(), from_address=sender.email,
            to=[{"name": str(contact), "address": send.address}], sent_at=sent_at, text_body=text, html_body=html,
            snippet=" ".join(text.split())[:300], purpose=EmailMessage.Purpose.MARKETING,
            delivery=EmailMessage.Delivery.SENT,
        )  # fmt: skip
        Participant.objects.create(message=message, role="to", name=str(contact), address=send.address, contact=contact)
        Send.objects.filter(pk=send.pk).update(message=message)
        EnrolmentEvent.objects.create(
            enrolment=item, contact=contact, kind=EnrolmentEvent.Kind.STEP, position=1, detail=subject, at=sent_at
        )
        sends += 1
        # People open and click hours later, with their own browsers (the tracking counts them).
        if rng.random() < 0.45:
            tracking_services.open_record(
                send=send, method="GET", user_agent=DESKTOP, now=sent_at + timedelta(hours=rng.randint(1, 30))
            )
            if rng.random() < 0.45:
                link = send.links.order_by("position").first()
                tracking_services.click_record(
                    link=link, method="GET", user_agent=DESKTOP, now=sent_at + timedelta(hours=rng.randint(2, 40))
                )
        if rng.random() < 0.08:
            Send.objects.filter(pk=send.pk).update(replied_at=sent_at + timedelta(days=1))
            enrolment.exit_enrolment(enrolment=item, reason="replied", detail=contact.email)
    return sends


def _costs(rng):
    """A monthly cost per paid source for the last twelve months, and each campaign's cost."""
    month = timezone.now().date().replace(day=1)
    for _ in range(12):
        for source, cost in SOURCE_MONTHLY_COST.items():
            SourceCost.objects.get_or_create(source=source, month=month, defaults={"cost": Decimal(cost)})
        month = (month - timedelta(days=1)).replace(day=1)
    campaigns = Lead.objects.exclude(campaign="").values("source", "campaign").annotate(n=Count("pk"))
    for row in campaigns:
        Campaign.objects.get_or_create(
            source=row["source"],
            name=row["campaign"],
            defaults={"cost": Decimal(rng.randint(4, 40) * 250), "starts_on": date.today() - timedelta(days=365)},
        )


SEQUENCE = "Leitfaden-Serie"
SEGMENT = "Kontakte mit Einwilligung"
TEMPLATES = ("Nurturing: Leitfaden", "Nurturing: Praxisbeispiel")


def wipe_nurturing():
    """What the demo made (the reset of seed_demo); the installation's own sequences stay."""
    Send.objects.all().delete()
    Enrolment.objects.all().delete()
    Sequence.objects.filter(name=SEQUENCE).delete()
    Segment.objects.filter(name=SEGMENT).delete()
    EmailTemplate.objects.filter(name__in=TEMPLATES, owner__isnull=True).delete()


def seed_nurturing(*, seed=42, people=60, stdout=None):
    """Returns the number of e-mails written."""
    rng = random.Random(seed)
    manager = User.objects.filter(role=User.Role.MANAGER, is_active=True).order_by("pk").first()
    if manager is None:
        return 0
    contacts = list(
        Contact.objects.filter(email__gt="").select_related("owner", "organization").order_by("pk")[:people]
    )
    granted = _consent(rng, contacts, manager)
    welcome, follow_up = _templates()
    segment = Segment.objects.create(
        name=SEGMENT,
        kind=Segment.Kind.CONTACTS,
        query="email_consent=granted",
        owner=manager,
    )
    sequence = Sequence.objects.create(
        name=SEQUENCE, owner=manager, segment=segment, status=Sequence.Status.ACTIVE, track_opens=True
    )
    first = Step.objects.create(sequence=sequence, position=1, kind=Step.Kind.EMAIL, template=welcome)
    Step.objects.create(sequence=sequence, position=2, kind=Step.Kind.WAIT, wait_days=7)
    Step.objects.create(sequence=sequence, position=3, kind=Step.Kind.EMAIL, template=follow_up)
    members = list(Contact.objects.filter(pk__in=[contact.pk for contact in granted], email_consent=Consent.GRANTED))
    enrolment.enrol(sequence=sequence, contacts=members, via=Enrolment.Via.SEGMENT)
    sent_at = timezone.now() - timedelta(days=5)
    enrolled = list(
        Enrolment.objects.filter(sequence=sequence).select_related(
            "contact__owner", "contact__organization", "sequence__owner", "sequence__segment"
        )
    )
    Enrolment.objects.filter(sequence=sequence).update(
        enrolled_at=sent_at, next_position=3, next_run_at=sent_at + timedelta(days=7)
    )
    EnrolmentEvent.objects.filter(enrolment__sequence=sequence).update(at=sent_at)
    sends = _first_email(rng, enrolled, first, welcome, sent_at)
    _costs(rng)
    if stdout is not None:
        clicked = Send.objects.filter(sequence=sequence, clicked_at__isnull=False).count()
        stdout.write(f"  sequence '{sequence.name}': {len(enrolled)} enrolled, {sends} e-mails, {clicked} clicked")
    return sends

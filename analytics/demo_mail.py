"""The demo's e-mail: conversations between the reps and their deals' contacts in German and
English (some with an attachment), one conversation whose contact has several open deals (it
waits for the rep's choice) and one message from an unknown sender. Stored as the sync stores
messages and linked by mail.linking, like real mail (no network)."""

import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from deals.models import Deal
from mail import linking
from mail.models import Attachment, EmailMessage, Participant

DOMAIN = "pipeline-demo.example"

# A conversation: (subject, [(who, text)]); "c" the contact writes, "r" the rep. {first} is the
# contact's first name, {rep} the rep's, {title} the deal's.
CONVERSATIONS = {
    "de": [
        (
            "Anfrage: {title}",
            [
                (
                    "c",
                    "Guten Tag {rep},\n\nwir planen die Einführung im nächsten Quartal. Könnten Sie uns ein "
                    "Angebot für 25 Nutzer schicken?\n\nViele Grüße\n{first}",
                ),
                (
                    "r",
                    "Hallo {first},\n\nvielen Dank für Ihre Anfrage. Anbei finden Sie unsere Produktübersicht; "
                    "das Angebot folgt bis Freitag.\n\nBeste Grüße\n{rep}",
                ),
                ("c", "Danke! Gibt es auch eine Schnittstelle zu unserem ERP-System?\n\n{first}"),
                (
                    "r",
                    "Ja, die REST-Schnittstelle ist im Paket enthalten. Ich schicke Ihnen die Dokumentation "
                    "gern mit dem Angebot.\n\n{rep}",
                ),
            ],
        ),
        (
            "Termin Bedarfsanalyse",
            [
                ("r", "Hallo {first},\n\npasst Ihnen Dienstag um 10 Uhr für die Bedarfsanalyse?\n\n{rep}"),
                ("c", "Dienstag passt gut. Ich bringe unsere Vertriebsleiterin mit.\n\n{first}"),
                ("r", "Prima, die Einladung ist unterwegs.\n\n{rep}"),
            ],
        ),
        (
            "Rückfrage zum Angebot",
            [
                (
                    "c",
                    "Hallo {rep},\n\nwir haben das Angebot intern besprochen. Ist beim Preis noch etwas "
                    "Spielraum, wenn wir für drei Jahre abschließen?\n\n{first}",
                ),
                (
                    "r",
                    "Hallo {first},\n\nbei drei Jahren Laufzeit kann ich Ihnen 5 % Nachlass anbieten. "
                    "Ich passe das Angebot an.\n\n{rep}",
                ),
            ],
        ),
    ],
    "en": [
        (
            "Follow-up: {title}",
            [
                (
                    "r",
                    "Hi {first},\n\nthanks for the call today. As promised, here is the summary of what "
                    "we discussed.\n\nBest regards\n{rep}",
                ),
                ("c", "Thanks {rep}, that matches our notes. Could you also send the security whitepaper?\n\n{first}"),
                ("r", "Sure, it is attached. Let me know if your IT team has questions.\n\n{rep}"),
                ("c", "Got it. We will come back to you next week.\n\n{first}"),
                ("r", "Sounds good, talk soon.\n\n{rep}"),
            ],
        ),
        (
            "Pricing question",
            [
                ("c", "Hello {rep},\n\ndoes the price include onboarding for our team?\n\n{first}"),
                ("r", "Hello {first},\n\nyes, two onboarding sessions are included.\n\n{rep}"),
            ],
        ),
    ],
}
ATTACHMENTS = [
    ("Produktuebersicht.pdf", "application/pdf"),
    ("Security-Whitepaper.pdf", "application/pdf"),
    ("Anforderungen.txt", "text/plain"),
]


def _pdf(title):
    """A small, valid one-page PDF with a title line."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _store(*, owner, sender, recipients, subject, text, sent_at, message_id, replying_to=None, attachment=None):
    """One message as the sync stores it (participants, attachment), then linked."""
    outbound = sender[1] == owner.email
    references = ""
    if replying_to is not None:
        references = " ".join(filter(None, [replying_to.references, replying_to.message_id]))
    message = EmailMessage.objects.create(
        owner=owner,
        source=EmailMessage.Source.SENT if outbound else EmailMessage.Source.INBOX,
        message_id=message_id,
        in_reply_to=replying_to.message_id if replying_to else "",
        references=references,
        direction=EmailMessage.Direction.OUTBOUND if outbound else EmailMessage.Direction.INBOUND,
        subject=subject,
        from_name=sender[0],
        from_address=sender[1],
        to=[{"name": name, "address": address} for name, address in recipients],
        sent_at=sent_at,
        text_body=text,
        snippet=" ".join(text.split())[:300],
        size=len(text.encode()),
        has_attachments=attachment is not None,
        delivery=EmailMessage.Delivery.SENT if outbound else EmailMessage.Delivery.RECEIVED,
    )
    rows = [Participant(message=message, role=Participant.Role.FROM, name=sender[0], address=sender[1].lower())]
    rows += [
        Participant(message=message, role=Participant.Role.TO, name=name, address=address.lower())
        for name, address in recipients
    ]
    Participant.objects.bulk_create(rows)
    if attachment is not None:
        filename, content_type = attachment
        content = _pdf(filename) if content_type == "application/pdf" else b"Anforderungen:\n- 25 Nutzer\n"
        file = Attachment(message=message, filename=filename, content_type=content_type, size=len(content))
        file.file.save(filename, ContentFile(content), save=False)
        file.save()
    return linking.link_message(message)


def _conversation(*, rng, deal, contact, language, script, started, number):
    owner = deal.owner
    rep = (owner.get_full_name() or owner.username, owner.email)
    person = (str(contact), contact.email)
    subject_template, lines = script
    lines = lines[: rng.randint(2, len(lines))]
    names = {"first": contact.first_name or str(contact), "rep": owner.first_name or owner.username}
    subject = subject_template.format(title=deal.title, **names)
    previous, at, made = None, started, 0
    attach_at = rng.randrange(len(lines)) if rng.random() < 0.5 else None
    for index, (who, text) in enumerate(lines):
        sender, recipient = (person, rep) if who == "c" else (rep, person)
        previous = _store(
            owner=owner,
            sender=sender,
            recipients=[recipient],
            subject=subject if previous is None else f"{'AW' if language == 'de' else 'Re'}: {subject}",
            text=text.format(**names),
            sent_at=at,
            message_id=f"<demo-{number}-{index}@{DOMAIN}>",
            replying_to=previous,
            attachment=rng.choice(ATTACHMENTS) if index == attach_at else None,
        )
        made += 1
        at += timedelta(hours=rng.randint(2, 40))
    return made


def seed_mail(*, seed=42, deals=12, stdout=None):
    """Conversations for up to `deals` open deals whose contact has an e-mail address and is
    linked to that one deal alone, one conversation that waits for a deal choice, one unknown
    sender. Returns the number of messages."""
    rng = random.Random(seed)
    now = timezone.now()
    open_deals = (
        Deal.objects.filter(status=Deal.Status.OPEN, contact__email__gt="", owner__isnull=False)
        .select_related("owner", "contact", "organization")
        .order_by("pk")
    )
    made, number, single, several = 0, 0, [], None
    for deal in open_deals[:400]:
        candidates = linking.deal_candidates(
            owner=deal.owner, contact_ids={deal.contact_id}, organization_ids={deal.organization_id}
        )
        if len(candidates) == 1 and len(single) < deals:
            single.append(deal)
        elif len(candidates) > 1 and several is None:
            several = deal
        if len(single) >= deals and several is not None:
            break
    for deal in single:
        language = (deal.contact.language or rng.choice(["de", "de", "en"]))[:2]
        scripts = CONVERSATIONS.get(language, CONVERSATIONS["de"])
        for script in rng.sample(scripts, rng.randint(1, min(3, len(scripts)))):
            number += 1
            started = now - timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 10))
            made += _conversation(
                rng=rng,
                deal=deal,
                contact=deal.contact,
                language=language,
                script=script,
                started=started,
                number=number,
            )
    if several is not None:
        number += 1
        script = CONVERSATIONS["de"][2]
        made += _conversation(
            rng=rng,
            deal=several,
            contact=several.contact,
            language="de",
            script=script,
            started=now - timedelta(days=1),
            number=number,
        )
    if single:
        owner = single[0].owner
        _store(
            owner=owner,
            sender=("Jana Neumann", "jana.neumann@neukunde-beispiel.de"),
            recipients=[(owner.get_full_name(), owner.email)],
            subject="Anfrage über Ihre Website",
            text="Guten Tag,\n\nwir interessieren uns für Ihre Lösung und bitten um einen Rückruf.\n\nJana Neumann",
            sent_at=now - timedelta(hours=5),
            message_id=f"<demo-unknown@{DOMAIN}>",
        )
        made += 1
    if stdout is not None:
        waiting = EmailMessage.objects.filter(thread__needs_deal_choice=True).count()
        stdout.write(f"  {made} e-mails in {number} conversations ({waiting} waiting for a deal choice)")
    return made

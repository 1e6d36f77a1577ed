"""The built-in retargeting rules (docs/nurturing.md, "Rules and retargeting"), created inactive
by the data migration: admins switch them on in the follow-up rules' admin.

- "Offer not accepted": a quote viewed and not answered for N days sends the German template
  "Angebot nachfassen" to the deal's contact, and gives the owner a task.
- "Lost for price, 90 days later": a deal lost for the price reason (when the installation has
  one) is enrolled 90 days later in the two-e-mail "Rückgewinnung" (win back) sequence.

The sequence needs an owner: the first admin. On an installation without users yet (a fresh
database) the migration creates the templates and rules only, and `ensure_retargeting` (the
management command `nurturing_defaults`) adds the sequence later. Nothing edited is touched:
templates, rules and the sequence are looked up by name and only created when missing.
"""

from django.db.models import Q

TEMPLATE_OFFER = "Angebot nachfassen"
TEMPLATE_WIN_BACK_1 = "Rückgewinnung 1"
TEMPLATE_WIN_BACK_2 = "Rückgewinnung 2"
SEQUENCE_WIN_BACK = "Rückgewinnung nach Preis-Absage"
PRICE_REASONS = ("Price too high", "Preis zu hoch", "Price")

TEMPLATES = {
    TEMPLATE_OFFER: (
        "Ihr Angebot zu {{ deal.title }}",
        "Guten Tag {{ contact.full_name }},\n\n"
        "Sie haben sich unser Angebot zu {{ deal.title }} angesehen – vielen Dank! Haben Sie noch Fragen, "
        "oder sollen wir etwas anpassen? Antworten Sie einfach auf diese E-Mail, dann melde ich mich.\n\n"
        "Viele Grüße\n{{ sender.full_name }}",
    ),
    TEMPLATE_WIN_BACK_1: (
        'Was sich bei uns getan hat, {{ contact.first_name|default:"" }}',
        "Guten Tag {{ contact.full_name }},\n\n"
        "vor einigen Monaten haben wir nicht zusammengefunden – der Preis passte damals nicht. Seitdem hat "
        "sich einiges getan: neue Pakete und flexiblere Konditionen. Darf ich Ihnen zeigen, was heute möglich "
        "ist?\n\nViele Grüße\n{{ sender.full_name }}",
    ),
    TEMPLATE_WIN_BACK_2: (
        'Ein neues Angebot für {{ organization.name|default:"Sie" }}',
        "Guten Tag {{ contact.full_name }},\n\n"
        "ich möchte mich noch einmal kurz melden: Gern erstelle ich Ihnen ein unverbindliches neues Angebot, "
        "das zu Ihrem Budget passt. Ein kurzer Anruf genügt – oder antworten Sie auf diese E-Mail.\n\n"
        "Viele Grüße\n{{ sender.full_name }}",
    ),
}

RULE_OFFER_EMAIL = "Retargeting: Angebot angesehen, keine Antwort – E-Mail"
RULE_OFFER_TASK = "Retargeting: Angebot angesehen, keine Antwort – Aufgabe"
RULE_WIN_BACK = "Retargeting: wegen Preis verloren – nach 90 Tagen Rückgewinnung"
OFFER_DAYS = 7
WIN_BACK_DAYS = 90
WIN_BACK_WAIT_DAYS = 14


def _template(EmailTemplate, name):
    subject, body = TEMPLATES[name]
    template, _ = EmailTemplate.objects.get_or_create(
        name=name,
        owner=None,
        defaults={"language": "de", "subject": subject, "body": body, "visibility": "everyone"},
    )
    return template


def _first_admin(User):
    return User.objects.filter(Q(is_superuser=True) | Q(role="admin"), is_active=True).order_by("pk").first()


def ensure_retargeting(*, EmailTemplate, FollowUpRule, RuleAction, Sequence, Step, LostReason, User):
    """Create what is missing of the retargeting set (models given, so the migration can pass
    its historical ones). Returns the win-back sequence, or None without an admin to own it."""
    templates = {name: _template(EmailTemplate, name) for name in TEMPLATES}
    rule_defaults = {"is_active": False, "idle_days": OFFER_DAYS, "due_in_days": 0}
    offer_email, created = FollowUpRule.objects.get_or_create(
        name=RULE_OFFER_EMAIL,
        defaults=rule_defaults
        | {"trigger": "quote_not_answered", "action": "send_email", "subject_template": "Angebot {quote} nachfassen"},
    )
    if created:
        RuleAction.objects.create(rule=offer_email, template=templates[TEMPLATE_OFFER])
    FollowUpRule.objects.get_or_create(
        name=RULE_OFFER_TASK,
        defaults=rule_defaults
        | {
            "trigger": "quote_not_answered",
            "action": "create_activity",
            "activity_kind": "task",
            "subject_template": "Angebot {quote} zu {deal} nachfassen (E-Mail ist raus)",
            "due_in_days": 2,
        },
    )
    price = LostReason.objects.filter(name__in=PRICE_REASONS).order_by("pk").first()
    win_back, _ = FollowUpRule.objects.get_or_create(
        name=RULE_WIN_BACK,
        defaults={
            "is_active": False,
            "trigger": "deal_lost_after",
            "idle_days": WIN_BACK_DAYS,
            "lost_reason": price,
            "action": "enrol",
            "subject_template": "Rückgewinnung: {deal}",
        },
    )
    sequence = Sequence.objects.filter(name=SEQUENCE_WIN_BACK).first()
    if sequence is None:
        owner = _first_admin(User)
        if owner is None:
            return None
        sequence = Sequence.objects.create(
            name=SEQUENCE_WIN_BACK,
            description="Zwei E-Mails an Kontakte, deren Deal wegen des Preises verloren ging.",
            owner=owner,
            status="active",
            sender="record_owner",
        )
        Step.objects.create(sequence=sequence, position=1, kind="email", template=templates[TEMPLATE_WIN_BACK_1])
        Step.objects.create(sequence=sequence, position=2, kind="wait", wait_days=WIN_BACK_WAIT_DAYS)
        Step.objects.create(sequence=sequence, position=3, kind="email", template=templates[TEMPLATE_WIN_BACK_2])
    RuleAction.objects.get_or_create(rule=win_back, defaults={"sequence": sequence})
    return sequence


def ensure_retargeting_now():
    """`ensure_retargeting` with the current models (the management command)."""
    from accounts.models import User
    from activities.models import FollowUpRule
    from deals.models import LostReason
    from mail.models import EmailTemplate
    from nurturing.models import RuleAction, Sequence, Step

    return ensure_retargeting(
        EmailTemplate=EmailTemplate,
        FollowUpRule=FollowUpRule,
        RuleAction=RuleAction,
        Sequence=Sequence,
        Step=Step,
        LostReason=LostReason,
        User=User,
    )


def remove_retargeting(*, EmailTemplate, FollowUpRule, RuleAction, Sequence, Step, **unused):
    """Undo `ensure_retargeting` (the migration's reverse): the rules' settings, the sequence and
    the installation templates, by name. The rules stay, switched off: deleting them would
    cascade across the historical models of two apps, which Django's collector refuses."""
    # Ids, not querysets: in a migration the historical models of two apps do not mix.
    rule_ids = list(
        FollowUpRule.objects.filter(name__in=[RULE_OFFER_EMAIL, RULE_OFFER_TASK, RULE_WIN_BACK]).values_list(
            "pk", flat=True
        )
    )
    RuleAction.objects.filter(rule_id__in=rule_ids).delete()
    FollowUpRule.objects.filter(pk__in=rule_ids).update(is_active=False)
    sequence_ids = list(Sequence.objects.filter(name=SEQUENCE_WIN_BACK).values_list("pk", flat=True))
    Step.objects.filter(sequence_id__in=sequence_ids).delete()
    Sequence.objects.filter(pk__in=sequence_ids).delete()
    # Without the collector (it trips over the historical models, as above); the steps and rule
    # settings that pointed at the templates are gone, sends keep no hold on them.
    templates = EmailTemplate.objects.filter(name__in=list(TEMPLATES), owner__isnull=True)
    templates._raw_delete(templates.db)

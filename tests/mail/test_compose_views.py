"""The compose and reply forms, address completion, the template picker, the outbox and the
templates pages: scoped to what the user sees, bad input re-rendered with what was typed."""

import pytest
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mail import attachments, sending
from mail.models import EmailMessage, EmailTemplate
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def deal(rep):
    contact = factories.ContactFactory(first_name="Katrin", last_name="Brandt", email="k.brandt@brandt.example")
    return factories.DealFactory(owner=rep, title="Rollout Nord", contact=contact, organization=contact.organization)


def test_the_deal_page_offers_write_email(client, rep, deal):
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[deal.pk]))
    assert f"/mail/compose/?deal={deal.pk}".encode() in page.content


def test_the_contact_organization_and_lead_pages_offer_write_email(client, rep, deal):
    lead = factories.LeadFactory(owner=rep, email="lead@neu.example")
    client.force_login(rep)
    pages = {
        f"/mail/compose/?contact={deal.contact_id}": reverse("contacts:detail", args=[deal.contact_id]),
        f"/mail/compose/?organization={deal.organization_id}": reverse(
            "organizations:detail", args=[deal.organization_id]
        ),
        f"/mail/compose/?lead={lead.pk}": reverse("leads:detail", args=[lead.pk]),
    }
    for compose_url, page_url in pages.items():
        page = client.get(page_url)
        assert page.status_code == 200
        assert compose_url.encode() in page.content
        assert client.get(compose_url).status_code == 200


def test_compose_for_a_deal_is_addressed_to_its_contact_with_the_signature(client, rep, deal):
    rep.email_signature = "Alice Adams\nVertrieb Nord"
    rep.save(update_fields=["email_signature"])
    client.force_login(rep)

    response = client.get(reverse("mail:compose"), {"deal": deal.pk}, headers=HTMX)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["to"] == "Katrin Brandt <k.brandt@brandt.example>"
    assert form.initial["body"] == "-- \nAlice Adams\nVertrieb Nord"
    assert b"<html" not in response.content, "the htmx answer is the form alone"


def test_compose_for_a_deal_out_of_scope_is_not_found(client, outsider, deal):
    client.force_login(outsider)
    assert client.get(reverse("mail:compose"), {"deal": deal.pk}).status_code == 404


def test_sending_from_the_form_records_the_message_on_the_deal(client, rep, deal, django_capture_on_commit_callbacks):
    client.force_login(rep)
    upload = SimpleUploadedFile("plan.txt", b"Projektplan", content_type="text/plain")

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"{reverse('mail:compose')}?deal={deal.pk}",
            {
                "to": "Katrin Brandt <k.brandt@brandt.example>",
                "subject": "Plan",
                "body": "Anbei.",
                "attachments": [upload],
            },
            headers=HTMX,
        )

    assert response.status_code == 200
    message = EmailMessage.objects.get()
    assert (message.deal, message.subject, message.delivery) == (deal, "Plan", EmailMessage.Delivery.QUEUED)
    assert message.attachments.get().filename == "plan.txt"
    assert sending.deliver(message.pk) == EmailMessage.Delivery.SENT
    assert django_mail.outbox[0].attachments[0].filename == "plan.txt"


def test_bad_addresses_re_render_the_form_with_everything_typed(client, rep, deal):
    client.force_login(rep)

    response = client.post(
        f"{reverse('mail:compose')}?deal={deal.pk}",
        {"to": "k.brandt@brandt", "cc": "ok@brandt.example", "subject": "Plan", "body": "Mein langer Text"},
        headers=HTMX,
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Not an e-mail address: k.brandt@brandt." in content
    assert 'value="k.brandt@brandt"' in content and 'value="ok@brandt.example"' in content
    assert "Mein langer Text" in content and 'value="Plan"' in content
    assert not EmailMessage.objects.exists()


def test_reply_addresses_the_sender_quotes_the_original_and_keeps_one_re(client, rep, deal):
    original = EmailMessage.objects.create(
        owner=rep,
        source=EmailMessage.Source.INBOX,
        message_id="<q1@brandt.example>",
        direction=EmailMessage.Direction.INBOUND,
        subject="Re: Angebot",
        from_name="Katrin Brandt",
        from_address="k.brandt@brandt.example",
        to=[{"name": "Alice", "address": rep.email}, {"name": "", "address": "einkauf@brandt.example"}],
        sent_at=timezone.now(),
        text_body="Passt so.\nGrüße",
        deal=deal,
    )
    client.force_login(rep)

    form = client.get(reverse("mail:reply", args=[original.pk])).context["form"]
    assert form.initial["to"] == "Katrin Brandt <k.brandt@brandt.example>"
    assert form.initial["subject"] == "Re: Angebot"
    assert "> Passt so.\n> Grüße" in form.initial["body"]
    assert form.initial["cc"] == ""

    reply_all = client.get(reverse("mail:reply", args=[original.pk]), {"all": "1"}).context["form"]
    assert reply_all.initial["cc"] == "einkauf@brandt.example"

    client.post(
        reverse("mail:reply", args=[original.pk]),
        {"to": "k.brandt@brandt.example", "subject": "Re: Angebot", "body": "Danke"},
    )
    sent = EmailMessage.objects.get(source=EmailMessage.Source.CRM)
    assert (sent.in_reply_to, sent.references, sent.deal) == ("<q1@brandt.example>", "<q1@brandt.example>", deal)


def test_a_teammates_unshared_message_cannot_be_answered(client, rep, teammate, deal):
    private = EmailMessage.objects.create(
        owner=teammate,
        source=EmailMessage.Source.INBOX,
        message_id="<p@x>",
        direction=EmailMessage.Direction.INBOUND,
        subject="Privat",
        sent_at=timezone.now(),
    )
    client.force_login(rep)
    assert client.get(reverse("mail:reply", args=[private.pk])).status_code == 404


def test_address_completion_lists_only_visible_contacts(client, rep, outsider, deal):
    hidden = factories.ContactFactory(first_name="Katja", last_name="Geheim", email="k.geheim@x.example")
    hidden.organization.owner = outsider
    hidden.organization.save()
    client.force_login(rep)

    response = client.get(reverse("mail:addresses"), {"to": "someone@x.example, Kat"})

    content = response.content.decode()
    assert 'value="someone@x.example, Katrin Brandt &lt;k.brandt@brandt.example&gt;"' in content
    assert "Geheim" not in content


def test_the_template_picker_fills_subject_and_body_for_the_record(client, rep, deal):
    template = EmailTemplate.objects.create(
        owner=rep,
        name="Nachfassen",
        language="de",
        subject="Zu {{ deal.title }}",
        body="Hallo {{ contact.first_name }}",
    )
    client.force_login(rep)

    response = client.get(reverse("mail:compose_template"), {"deal": deal.pk, "template": template.pk}, headers=HTMX)

    content = response.content.decode()
    assert 'value="Zu Rollout Nord"' in content
    assert "Hallo Katrin" in content


def test_the_picker_prefers_the_contacts_language(client, rep, deal):
    deal.contact.language = "en"
    deal.contact.save()
    client.force_login(rep)

    templates = client.get(reverse("mail:compose"), {"deal": deal.pk}).context["templates"]

    assert templates[0].language == "en" and templates[-1].language == "de"


def test_another_users_personal_template_is_not_offered(client, rep, outsider):
    theirs = EmailTemplate.objects.create(owner=outsider, name="Mine", subject="x", body="y")
    client.force_login(rep)
    assert client.get(reverse("mail:compose_template"), {"template": theirs.pk}).status_code == 404
    assert client.get(reverse("mail:template_preview", args=[theirs.pk])).status_code == 404


def test_a_team_template_is_offered_to_the_team(client, rep, teammate, outsider, team_north):
    shared = EmailTemplate.objects.create(
        owner=rep, name="Team", subject="x", body="y", visibility=EmailTemplate.Visibility.TEAM, team=team_north
    )
    client.force_login(teammate)
    assert client.get(reverse("mail:template_preview", args=[shared.pk])).status_code == 200
    assert client.get(reverse("mail:template_edit", args=[shared.pk])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("mail:template_preview", args=[shared.pk])).status_code == 404


def test_the_templates_page_refuses_an_unknown_placeholder_and_keeps_the_input(client, rep):
    client.force_login(rep)

    response = client.post(
        reverse("mail:templates"),
        {
            "name": "Böse",
            "language": "de",
            "subject": "Hallo",
            "body": "{{ deal.owner.password }}",
            "visibility": "personal",
        },
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Not allowed: {{ deal.owner.password }}" in content
    assert "{{ contact.first_name }}" in content
    assert not EmailTemplate.objects.filter(owner=rep).exists()


def test_the_preview_renders_with_a_visible_record_only(client, rep, outsider, deal):
    template = EmailTemplate.objects.create(
        owner=rep, name="T", subject="{{ deal.title }}", body="Hallo {{ contact.last_name }}"
    )
    client.force_login(rep)
    response = client.get(reverse("mail:template_preview", args=[template.pk]), {"deal": deal.pk})
    assert (response.context["subject"], response.context["body"]) == ("Rollout Nord", "Hallo Brandt")
    template.visibility = EmailTemplate.Visibility.EVERYONE
    template.save()
    client.force_login(outsider)
    assert client.get(reverse("mail:template_preview", args=[template.pk]), {"deal": deal.pk}).status_code == 404


def test_the_outbox_lists_own_messages_and_the_admin_sees_all(client, rep, teammate, admin):
    mine = sending.send_email(sender=rep, to="a@b.example", subject="Meins", text="x")
    theirs = sending.send_email(sender=teammate, to="a@b.example", subject="Seins", text="x")

    client.force_login(rep)
    page = client.get(reverse("mail:outbox"))
    assert list(page.context["messages"]) == [mine]
    assert client.get(reverse("mail:outbox_message", args=[theirs.pk])).status_code == 404
    detail = client.get(reverse("mail:outbox_message", args=[mine.pk])).content.decode()
    assert f"Message-ID: {mine.message_id}".replace("<", "&lt;").replace(">", "&gt;") in detail

    client.force_login(admin)
    assert set(client.get(reverse("mail:outbox")).context["messages"]) == {mine, theirs}


def test_the_embedded_outbox_names_the_folder_the_file_backend_writes_to(client, rep, settings, tmp_path):
    settings.EMBEDDED = True
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    message = sending.send_email(sender=rep, to="a@b.example", subject="Demo", text="Was rausging")
    sending.deliver(message.pk)
    client.force_login(rep)

    detail = client.get(reverse("mail:outbox_message", args=[message.pk])).content.decode()

    assert str(tmp_path) in detail
    [written] = list(tmp_path.iterdir())
    assert "Subject: Demo" in written.read_text()
    assert "Subject: Demo" in detail


class Files:
    key = "test"

    def options(self, *, user, deal):
        return [("1", f"Offer of {deal.title}")]

    def file(self, *, user, deal, id):
        return ("offer.pdf", "application/pdf", b"%PDF-1.7") if id == "1" else None


def test_a_registered_provider_offers_its_files_on_a_deal(client, rep, deal):
    attachments.register(provider := Files())
    try:
        client.force_login(rep)
        form = client.get(reverse("mail:compose"), {"deal": deal.pk}).context["form"]
        assert form.fields["files"].choices == [("test:1", "Offer of Rollout Nord")]
        client.post(
            f"{reverse('mail:compose')}?deal={deal.pk}",
            {"to": "k.brandt@brandt.example", "subject": "Angebot", "body": "x", "files": ["test:1"]},
        )
    finally:
        attachments.unregister(provider.key)
    assert EmailMessage.objects.get().attachments.get().filename == "offer.pdf"

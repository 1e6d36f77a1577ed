"""The message page, its HTML frame and attachments, the deal choice, and a contact or lead made
from an unknown address: each for whoever may read the message, 404 for everyone else."""

import pytest
from django.urls import reverse

from customers.models import Contact
from leads.models import Lead
from mail import linking
from mail.models import EmailMessage, Thread
from tests import factories
from tests.mail.factories import reply_to, stored_message

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def acme():
    return factories.OrganizationFactory(name="Acme GmbH", email_domain="acme.example")


@pytest.fixture
def petra(acme):
    return factories.ContactFactory(
        organization=acme, first_name="Petra", last_name="Kundin", email="petra@acme.example"
    )


@pytest.fixture
def deal(rep, acme, petra):
    return factories.DealFactory(owner=rep, organization=acme, contact=petra, title="Acme rollout")


@pytest.fixture
def linked_message(rep, petra, deal):
    return linking.link_message(
        stored_message(
            owner=rep,
            sender={"name": "Petra Kundin", "address": petra.email},
            to=[rep.email],
            cc=[{"name": "Jonas Neu", "address": "jonas.neu@acme.example"}],
            subject="Frage zum Angebot",
            text="Können wir den Termin verschieben?",
            html="<p>Können wir den <b>Termin</b> verschieben?</p>",
            attachments=[
                ("plan.pdf", "application/pdf", b"%PDF-1.4 plan"),
                ("page.html", "text/html", b"<script>alert(1)</script>"),
            ],
        )
    )


@pytest.fixture
def unlinked_message(rep):
    return linking.link_message(
        stored_message(
            owner=rep,
            sender={"name": "Fremd, Frieda", "address": "frieda@unbekannt.example"},
            to=[rep.email],
            subject="Privat",
            attachments=[("notes.txt", "text/plain", b"private notes")],
        )
    )


def test_the_owner_reads_the_full_message(client, rep, linked_message, petra, deal):
    client.force_login(rep)
    response = client.get(reverse("mail:message", args=[linked_message.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Frage zum Angebot" in html and "Können wir den Termin verschieben?" in html
    assert reverse("contacts:detail", args=[petra.pk]) in html
    assert reverse("deals:detail", args=[deal.pk]) in html
    pdf, page = linked_message.attachments.order_by("pk")
    assert reverse("mail:attachment", args=[pdf.pk]) in html and reverse("mail:attachment", args=[page.pk]) in html
    # The HTML is in a sandboxed frame of its own, never inline in the page.
    assert reverse("mail:message_html", args=[linked_message.pk]) in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    assert "<b>Termin</b>" not in html
    # Answering starts here: the reply form, to the sender or to everyone.
    assert f'href="{reverse("mail:reply", args=[linked_message.pk])}"' in html
    assert f'href="{reverse("mail:reply", args=[linked_message.pk])}?all=1"' in html


def test_htmx_gets_the_message_without_the_page_around_it(client, rep, linked_message):
    client.force_login(rep)
    html = client.get(reverse("mail:message", args=[linked_message.pk]), headers=HTMX).content.decode()
    assert 'id="mail-message"' in html and "<html" not in html


@pytest.mark.parametrize(
    ("role", "linked", "unlinked"),
    [
        ("rep", 200, 200),
        ("teammate", 200, 404),
        ("manager", 200, 404),
        ("admin", 200, 404),
        ("outsider", 404, 404),
        ("manager_south", 404, 404),
    ],
)
def test_who_reads_a_message_page_its_html_and_attachments(
    client, request, linked_message, unlinked_message, role, linked, unlinked
):
    client.force_login(request.getfixturevalue(role))
    for message, expected in ((linked_message, linked), (unlinked_message, unlinked)):
        attachment = message.attachments.order_by("pk").first()
        for url in (
            reverse("mail:message", args=[message.pk]),
            reverse("mail:message_html", args=[message.pk]),
            reverse("mail:attachment", args=[attachment.pk]),
        ):
            response = client.get(url)
            assert response.status_code == expected, url
            if expected == 404:
                assert message.subject not in response.content.decode()


def test_the_html_frame_has_its_own_strict_policy(client, rep, linked_message):
    client.force_login(rep)
    response = client.get(reverse("mail:message_html", args=[linked_message.pk]))
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "<b>Termin</b>" in response.content.decode()


def test_attachments_are_downloads_with_a_safe_content_type(client, rep, linked_message):
    client.force_login(rep)
    pdf, page = linked_message.attachments.order_by("pk")
    response = client.get(reverse("mail:attachment", args=[pdf.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and "plan.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 plan"
    html = client.get(reverse("mail:attachment", args=[page.pk]))
    assert html["Content-Type"] == "application/octet-stream"
    assert html["X-Content-Type-Options"] == "nosniff"
    assert html["Content-Disposition"].startswith("attachment;")


def test_an_attachment_too_large_to_keep_is_named_but_not_served(client, rep, linked_message):
    pdf = linked_message.attachments.order_by("pk").first()
    pdf.omitted = True
    pdf.save(update_fields=["omitted"])
    client.force_login(rep)
    assert client.get(reverse("mail:attachment", args=[pdf.pk])).status_code == 404
    assert "not kept: too large" in client.get(reverse("mail:message", args=[linked_message.pk])).content.decode()


# --- the deal choice -----------------------------------------------------------------------


@pytest.fixture
def waiting(rep, petra, deal):
    other = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra, title="Acme support")
    question = linking.link_message(stored_message(owner=rep, sender=petra.email, to=[rep.email], subject="Welches?"))
    answer = linking.link_message(reply_to(question, sender=rep.email, to=[petra.email]))
    assert question.thread.needs_deal_choice
    return {"question": question, "answer": answer, "other": other}


def test_the_owner_is_asked_which_deal_and_picks_one(client, rep, waiting, deal):
    client.force_login(rep)
    page = client.get(reverse("mail:message", args=[waiting["question"].pk])).content.decode()
    assert 'id="pick-deal"' in page and "Acme rollout" in page and "Acme support" in page
    url = reverse("mail:pick_deal", args=[waiting["question"].thread_id])
    response = client.post(url, {"deal": waiting["other"].pk})
    assert response.status_code == 302
    assert set(EmailMessage.objects.values_list("deal", flat=True)) == {waiting["other"].pk}
    assert not Thread.objects.get().needs_deal_choice


def test_a_pick_by_htmx_answers_with_the_message_again(client, rep, waiting):
    client.force_login(rep)
    url = reverse("mail:pick_deal", args=[waiting["question"].thread_id])
    response = client.post(url, {"deal": waiting["other"].pk}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="mail-message"' in html and 'id="pick-deal"' not in html


@pytest.mark.parametrize("deal_value", ["", "abc", "other-deal"])
def test_a_pick_of_no_offered_deal_answers_400_with_the_choice_again(client, rep, waiting, deal_value):
    stranger = factories.DealFactory(owner=rep)
    client.force_login(rep)
    url = reverse("mail:pick_deal", args=[waiting["question"].thread_id])
    response = client.post(url, {"deal": stranger.pk if deal_value == "other-deal" else deal_value})
    assert response.status_code == 400
    assert 'id="pick-deal"' in response.content.decode()
    assert not EmailMessage.objects.filter(deal__isnull=False).exists()


@pytest.mark.parametrize("role", ["teammate", "manager", "admin", "outsider"])
def test_nobody_but_the_owner_may_pick(client, request, waiting, role, deal):
    client.force_login(request.getfixturevalue(role))
    url = reverse("mail:pick_deal", args=[waiting["question"].thread_id])
    assert client.post(url, {"deal": deal.pk}).status_code == 404
    assert Thread.objects.get().needs_deal_choice


# --- unknown addresses ---------------------------------------------------------------------


def test_an_unknown_sender_becomes_a_contact_in_one_click_and_the_message_links(client, rep, acme, linked_message):
    client.force_login(rep)
    page = client.get(reverse("mail:message", args=[linked_message.pk])).content.decode()
    assert page.count('data-testid="mail-unknown"') == 1  # Jonas; Petra is a contact, Alice a user
    url = reverse("mail:create_contact", args=[linked_message.pk])
    response = client.post(url, {"address": "Jonas.Neu@acme.example"})
    assert response.status_code == 302
    jonas = Contact.objects.get(email="jonas.neu@acme.example")
    assert (jonas.first_name, jonas.last_name, jonas.organization, jonas.owner) == ("Jonas", "Neu", acme, rep)
    assert linked_message.participants.get(role="cc").contact == jonas


def test_an_unknown_sender_becomes_a_lead_and_the_message_links_to_it(client, rep, unlinked_message):
    client.force_login(rep)
    response = client.post(
        reverse("mail:create_lead", args=[unlinked_message.pk]), {"address": "frieda@unbekannt.example"}
    )
    assert response.status_code == 302
    lead = Lead.objects.get(email="frieda@unbekannt.example")
    assert (lead.first_name, lead.last_name, lead.owner, lead.organization) == ("Frieda", "Fremd", rep, None)
    message = EmailMessage.objects.get(pk=unlinked_message.pk)
    assert message.lead == lead and message.shared


@pytest.mark.parametrize("address", ["", "petra@acme.example", "alice@example.com", "nobody@else.example"])
def test_only_an_unknown_address_of_the_message_can_become_a_record(client, rep, linked_message, address):
    client.force_login(rep)
    contacts = Contact.objects.count()
    response = client.post(reverse("mail:create_contact", args=[linked_message.pk]), {"address": address})
    assert response.status_code == 400
    assert Contact.objects.count() == contacts
    assert "not one of the e-mail" in response.content.decode()


def test_nobody_who_may_not_read_the_message_creates_from_it(client, teammate, unlinked_message):
    client.force_login(teammate)
    url = reverse("mail:create_lead", args=[unlinked_message.pk])
    assert client.post(url, {"address": "frieda@unbekannt.example"}).status_code == 404
    assert not Lead.objects.exists()


def test_the_message_page_costs_the_same_queries_for_a_short_and_a_long_conversation(client, rep, petra, deal):
    # Expected: 1 the user, 2 the message (scope as subqueries, its owner, deal, lead, thread),
    # 3 its participants, 4 its attachments, 5 the internal addresses among the unknown ones
    # (users; 6 mailboxes), 7 the rest of the conversation, 8 their participants.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = linking.link_message(stored_message(owner=rep, sender=petra.email, to=[rep.email], cc=["x@new.example"]))
    client.force_login(rep)
    url = reverse("mail:message", args=[first.pk])
    counts = []
    previous = first
    for replies in (2, 20):
        while EmailMessage.objects.count() < replies + 1:
            previous = linking.link_message(reply_to(previous, sender=rep.email, to=[petra.email]))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("<time datetime") == replies + 1
        counts.append(len(queries))
    assert counts == [8, 8]


def test_the_deal_choice_speaks_german(client, rep, waiting):
    client.force_login(rep)
    html = client.get(reverse("mail:message", args=[waiting["question"].pk]), HTTP_ACCEPT_LANGUAGE="de").content
    assert "Um welchen Deal geht es in dieser Unterhaltung?" in html.decode()

"""E-mails on the merged timelines of a deal, a lead, an organization and a contact: subject,
direction, who wrote to whom, the first lines, the attachments, a link to the full message —
and only the e-mails the viewer may read."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mail import linking
from tests import factories
from tests.mail.factories import reply_to, stored_message

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(rep):
    acme = factories.OrganizationFactory(name="Acme GmbH")
    petra = factories.ContactFactory(
        organization=acme, first_name="Petra", last_name="Kundin", email="petra@acme.example"
    )
    deal = factories.DealFactory(owner=rep, organization=acme, contact=petra, title="Acme rollout")
    question = linking.link_message(
        stored_message(
            owner=rep,
            sender={"name": "Petra Kundin", "address": petra.email},
            to=[rep.email],
            subject="Frage zum Angebot",
            text="Guten Tag Frau Adams,\nkönnen wir den Termin verschieben?",
            sent_at=timezone.now() - timedelta(hours=3),
            attachments=[("plan.pdf", "application/pdf", b"%PDF-1.4 plan"), ("b.txt", "text/plain", b"x")],
        )
    )
    answer = linking.link_message(
        reply_to(question, sender=rep.email, to=[{"name": "Petra Kundin", "address": petra.email}], text="Gern.")
    )
    private = linking.link_message(
        stored_message(owner=rep, sender="friend@private.example", to=[rep.email], subject="Privates")
    )
    return {"acme": acme, "petra": petra, "deal": deal, "question": question, "answer": answer, "private": private}


def items(html):
    return re.findall(r'data-kind="(\w+)"', html)


def mail_subjects(html):
    return re.findall(r'data-testid="timeline-mail">([^<]*)<', html)


def get(client, url):
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_deal_timeline_shows_its_emails_with_what_a_reader_needs(client, rep, world):
    client.force_login(rep)
    html = get(client, reverse("timeline:deal", args=[world["deal"].pk]))
    assert mail_subjects(html) == ["Re: Frage zum Angebot", "Frage zum Angebot"]
    assert reverse("mail:message", args=[world["question"].pk]) in html
    assert "2 attachments" in html
    assert "Petra Kundin → alice@example.com" in html
    assert "können wir den Termin verschieben?" in html
    assert "E-mail received" in html and "E-mail sent" in html


def test_the_lead_timeline_shows_its_emails(client, rep):
    lead = factories.LeadFactory(owner=rep, email="neu@prospect.example")
    linking.link_message(stored_message(owner=rep, sender="neu@prospect.example", to=[rep.email], subject="Anfrage"))
    client.force_login(rep)
    assert mail_subjects(get(client, reverse("timeline:lead", args=[lead.pk]))) == ["Anfrage"]


def test_the_contact_timeline_shows_the_contacts_emails_and_the_owners_unlinked_ones(client, rep, world):
    before_deal = stored_message(owner=rep, sender=world["petra"].email, to=[rep.email], subject="Vorab")
    linking.link_message(before_deal)
    before_deal.__class__.objects.filter(pk=before_deal.pk).update(deal=None, shared=False)
    client.force_login(rep)
    html = get(client, reverse("contacts:timeline", args=[world["petra"].pk]))
    assert set(mail_subjects(html)) == {"Re: Frage zum Angebot", "Frage zum Angebot", "Vorab"}
    assert "Privates" not in html


def test_the_organization_timeline_shows_its_peoples_emails_with_their_deal(client, rep, world):
    client.force_login(rep)
    html = get(client, reverse("organizations:timeline", args=[world["acme"].pk]))
    assert set(mail_subjects(html)) == {"Re: Frage zum Angebot", "Frage zum Angebot"}
    assert "Acme rollout" in html  # the record each item belongs to


@pytest.mark.parametrize("viewer", ["teammate", "manager", "admin"])
def test_others_see_linked_emails_on_the_timelines_they_may_open(client, request, world, viewer):
    client.force_login(request.getfixturevalue(viewer))
    deal_html = get(client, reverse("timeline:deal", args=[world["deal"].pk]))
    contact_html = get(client, reverse("contacts:timeline", args=[world["petra"].pk]))
    assert len(mail_subjects(deal_html)) == len(mail_subjects(contact_html)) == 2
    assert "Privates" not in deal_html + contact_html
    assert 'data-testid="timeline-mail-pick"' not in deal_html


def test_an_unlinked_email_is_on_no_one_elses_contact_timeline(client, rep, teammate, manager, admin, world):
    unlinked = stored_message(owner=rep, sender=world["petra"].email, to=[rep.email], subject="Nur für mich")
    linking.link_message(unlinked)
    unlinked.__class__.objects.filter(pk=unlinked.pk).update(deal=None, shared=False)
    for user in (teammate, manager, admin):
        client.force_login(user)
        assert "Nur für mich" not in get(client, reverse("contacts:timeline", args=[world["petra"].pk]))
        assert "Nur für mich" not in get(client, reverse("organizations:timeline", args=[world["acme"].pk]))
    client.force_login(rep)
    assert "Nur für mich" in get(client, reverse("contacts:timeline", args=[world["petra"].pk]))


def test_a_thread_waiting_for_a_deal_choice_asks_its_owner_on_the_contact_timeline(client, rep, teammate, world):
    factories.DealFactory(owner=rep, organization=world["acme"], contact=world["petra"])
    waiting = linking.link_message(
        stored_message(owner=rep, sender=world["petra"].email, to=[rep.email], subject="Welches Projekt?")
    )
    assert waiting.thread.needs_deal_choice
    client.force_login(rep)
    html = get(client, reverse("contacts:timeline", args=[world["petra"].pk]))
    assert 'data-testid="timeline-mail-pick"' in html
    client.force_login(teammate)
    assert "Welches Projekt?" not in get(client, reverse("contacts:timeline", args=[world["petra"].pk]))


def test_the_deal_page_shows_last_contacted_from_the_newest_email(client, rep, teammate, world):
    deal = world["deal"]
    url = reverse("mail:deal_last_contacted", args=[deal.pk])
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert url in page
    html = get(client, url)
    newest = timezone.localtime(world["answer"].sent_at)
    assert newest.strftime("%Y-%m-%dT%H:%M") in html and "(e-mail)" in html
    # A done activity later than the e-mail wins.
    type(deal).objects.filter(pk=deal.pk).update(last_activity_at=world["answer"].sent_at + timedelta(hours=1))
    assert "(e-mail)" not in get(client, url)


def test_the_contact_and_organization_pages_take_the_newer_of_activity_and_email(client, rep, world):
    client.force_login(rep)
    contact_page = client.get(reverse("contacts:detail", args=[world["petra"].pk]))
    assert contact_page.context["figures"]["last_contact"] == world["answer"].sent_at
    org_page = client.get(reverse("organizations:detail", args=[world["acme"].pk]))
    assert org_page.context["figures"]["last_contact"] == world["answer"].sent_at
    assert org_page.context["figures"]["last_contact_by_mail"]

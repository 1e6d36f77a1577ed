"""The customer's answer on /q/<token>/: accept (name and confirmation) or decline (name and
reason) by POST with CSRF, then the confirmation page; refusals for closed quotes and links;
expiry at the end of the valid-until day; what an acceptance does to the deal."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from activities.models import Notification
from deals import services as deal_services
from deals.models import Deal, StageChange
from quotes import public, services
from quotes.models import PipelineQuoteSettings, Quote, QuoteEvent, QuoteResponse
from quotes.services import QuoteConflict, QuoteError
from tests import factories
from tests.quotes.public_cast import (  # noqa: F401 (fixtures)
    PDF,
    TOKEN,
    customer_deal_fixture,
    end_of_day,
    fresh_link_counters,
    media_fixture,
    quote_fixture,
    sent_quote,
)

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"


def url(name, token=TOKEN):
    return reverse(f"quotes:{name}", kwargs={"token": token})


def accept(client, token=TOKEN, name="Klara Kunde", confirm=True):
    data = {"accept-name": name}
    if confirm:
        data["accept-confirm"] = "on"
    return client.post(url("public_accept", token), data, headers={"User-Agent": BROWSER}, REMOTE_ADDR="192.0.2.7")


def decline(client, token=TOKEN, name="Klara Kunde", reason="Zu teuer"):
    return client.post(
        url("public_decline", token), {"decline-name": name, "decline-reason": reason}, headers={"User-Agent": BROWSER}
    )


# --- accepting ----------------------------------------------------------------------------


def test_accept_records_who_when_where_and_what_then_confirms(client, quote, customer_deal):
    response = accept(client, name="  Klara   Kunde ")
    assert response.status_code == 303
    assert response["Location"] == url("public")
    answer = QuoteResponse.objects.get(quote=quote)
    assert answer.kind == QuoteResponse.Kind.ACCEPTED
    assert answer.name == "Klara Kunde"
    assert answer.ip == "192.0.2.7" and answer.user_agent == BROWSER
    assert answer.revision == 1 and answer.pdf_sha256 == hashlib.sha256(PDF).hexdigest()
    assert answer.net_total == Decimal("130.39") and answer.gross_total == Decimal("143.16")
    quote.refresh_from_db()
    assert quote.state == Quote.State.ACCEPTED and quote.answered_at == answer.at
    assert QuoteEvent.objects.filter(quote=quote, kind=QuoteEvent.Kind.ACCEPTED).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Klara Kunde" in page and "accept-form" not in page
    assert answer.pdf_sha256 in page


def test_accept_needs_the_name_and_the_confirmation(client, quote, customer_deal):
    no_confirmation = accept(client, confirm=False)
    assert no_confirmation.status_code == 400
    assert "Bitte bestätigen Sie" in no_confirmation.content.decode()
    no_name = accept(client, name=" ")
    assert no_name.status_code == 400
    assert "Bitte geben Sie Ihren vollständigen Namen ein" in no_name.content.decode()
    assert accept(client, name="K").status_code == 400
    assert not QuoteResponse.objects.exists()
    quote.refresh_from_db()
    assert quote.state == Quote.State.SENT
    assert Deal.objects.get(pk=customer_deal.pk).status == Deal.Status.OPEN


def test_post_without_csrf_token_is_refused(quote):
    client = Client(enforce_csrf_checks=True)
    assert accept(client).status_code == 403
    assert decline(client).status_code == 403
    assert not QuoteResponse.objects.exists()


def test_post_with_the_page_s_csrf_token_is_accepted(quote):
    client = Client(enforce_csrf_checks=True)
    client.get(url("public"), headers={"User-Agent": BROWSER})
    token = client.cookies["csrftoken"].value
    response = client.post(
        url("public_accept"), {"accept-name": "Klara Kunde", "accept-confirm": "on", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 303
    assert QuoteResponse.objects.get().kind == QuoteResponse.Kind.ACCEPTED


def test_double_submit_gives_exactly_one_answer(client, quote):
    assert accept(client).status_code == 303
    second = accept(client, name="Someone Else")
    assert second.status_code == 409
    assert "angenommen" in second.content.decode() and "accept-form" not in second.content.decode()
    assert decline(client).status_code == 409
    assert QuoteResponse.objects.get().name == "Klara Kunde"


def test_decline_records_the_reason_and_notifies_the_owner(client, quote, customer_deal):
    assert decline(client, reason="Zu teuer <b>leider</b>").status_code == 303
    answer = QuoteResponse.objects.get()
    assert answer.kind == QuoteResponse.Kind.DECLINED and answer.reason == "Zu teuer <b>leider</b>"
    quote.refresh_from_db()
    assert quote.state == Quote.State.DECLINED
    deal = Deal.objects.get(pk=customer_deal.pk)
    assert deal.status == Deal.Status.OPEN and deal.value == Decimal("999")
    note = Notification.objects.get(user=customer_deal.owner)
    assert "declined AN-2026-0001" in note.message and "Zu teuer" in note.message
    page = client.get(url("public")).content.decode()
    assert "Klara Kunde" in page and "decline-form" not in page


def test_decline_needs_a_reason(client, quote):
    response = decline(client, reason="   ")
    assert response.status_code == 400
    assert "Bitte nennen Sie uns den Grund" in response.content.decode()
    assert not QuoteResponse.objects.exists()


def test_answer_to_an_unknown_or_revoked_link_answers_404(client, quote, rep):
    assert accept(client, token="x" * 43).status_code == 404
    services.quote_link_revoke(quote_id=quote.pk, actor=rep)
    assert accept(client).status_code == 404
    assert decline(client).status_code == 404
    assert not QuoteResponse.objects.exists()


@pytest.mark.parametrize("state", [Quote.State.EXPIRED, Quote.State.SUPERSEDED, Quote.State.CANCELLED])
def test_closed_quote_cannot_be_answered(client, quote, state):
    Quote.objects.filter(pk=quote.pk).update(state=state, closed_at=timezone.now())
    assert accept(client).status_code == 409
    assert decline(client).status_code == 409
    assert not QuoteResponse.objects.exists()


def test_cancelled_while_the_customer_reads_is_refused(client, quote, rep):
    client.get(url("public"))
    services.quote_cancel(quote_id=quote.pk, actor=rep)
    response = accept(client)
    assert response.status_code == 409
    assert "zurückgezogen" in response.content.decode()


def test_superseded_revision_is_refused_and_the_newer_one_accepted(client, customer_deal, media):
    old = sent_quote(customer_deal)
    Quote.objects.filter(pk=old.pk).update(state=Quote.State.SUPERSEDED, closed_at=timezone.now())
    newer_token = "newer-link-0123456789-0123456789-abcdefghi"
    newer = sent_quote(customer_deal, token=newer_token, revision=2, revises=old)
    assert accept(client).status_code == 409
    assert accept(client, token=newer_token).status_code == 303
    assert QuoteResponse.objects.get().quote == newer
    assert QuoteResponse.objects.get().revision == 2


# --- expiry at the end of the valid-until day (Europe/Berlin) -------------------------------


def test_quote_is_valid_until_the_last_second_of_its_day(customer_deal, media):
    quote = sent_quote(customer_deal, valid_until=timezone.localdate() + timedelta(days=3))
    last_second, midnight = end_of_day(quote.valid_until)
    assert public.quote_for_token(TOKEN, now=last_second).state == Quote.State.SENT
    _quote, answer = public.quote_accept(TOKEN, name="Klara Kunde", confirmed=True, now=last_second)
    assert answer.at == last_second
    assert midnight - last_second == timedelta(seconds=1)


def test_quote_is_refused_from_midnight_after_its_day(customer_deal, media):
    quote = sent_quote(customer_deal, valid_until=timezone.localdate() + timedelta(days=3))
    _last_second, midnight = end_of_day(quote.valid_until)
    with pytest.raises(QuoteConflict) as refused:
        public.quote_accept(TOKEN, name="Klara Kunde", confirmed=True, now=midnight)
    assert refused.value.status == 409
    assert public.quote_for_token(TOKEN, now=midnight).state == Quote.State.EXPIRED
    quote.refresh_from_db()
    assert quote.state == Quote.State.EXPIRED and quote.closed_at == midnight
    assert not QuoteResponse.objects.exists()


def test_midnight_is_berlin_midnight_not_utc(customer_deal, media):
    quote = sent_quote(customer_deal, valid_until=timezone.localdate() + timedelta(days=3))
    _last_second, midnight = end_of_day(quote.valid_until)
    # 23:30 UTC of the valid-until day is already the next day in Berlin.
    assert midnight.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    utc_evening = midnight.astimezone(timezone.UTC) + timedelta(minutes=1)
    assert public.quote_for_token(TOKEN, now=utc_evening).state == Quote.State.EXPIRED


def test_service_refuses_without_confirmation_or_name(quote):
    with pytest.raises(QuoteError):
        public.quote_accept(TOKEN, name="Klara Kunde", confirmed=False)
    with pytest.raises(QuoteError):
        public.quote_accept(TOKEN, name=" ", confirmed=True)
    with pytest.raises(QuoteError):
        public.quote_decline(TOKEN, name="Klara Kunde", reason="")
    assert not QuoteResponse.objects.exists()


# --- what an acceptance does to the deal ----------------------------------------------------


def _configure(pipeline, action, stage=None):
    return PipelineQuoteSettings.objects.update_or_create(
        pipeline=pipeline, defaults={"on_acceptance": action, "stage": stage}
    )[0]


def test_without_settings_acceptance_wins_the_deal_with_the_net_total(client, quote, customer_deal):
    assert not PipelineQuoteSettings.objects.filter(pipeline=customer_deal.pipeline).exists()
    accept(client)
    deal = Deal.objects.get(pk=customer_deal.pk)
    assert deal.status == Deal.Status.WON and deal.value == Decimal("130.39")
    assert not deal.value_follows_line_items
    assert StageChange.objects.filter(deal=deal, kind=StageChange.Kind.WON, actor=deal.owner).exists()
    note = Notification.objects.get(user=deal.owner)
    assert "Klara Kunde accepted AN-2026-0001" in note.message and "130.39" in note.message
    assert "marked won" in note.message


def test_win_setting_wins_the_deal(client, quote, customer_deal):
    _configure(customer_deal.pipeline, PipelineQuoteSettings.OnAcceptance.WIN)
    accept(client)
    deal = Deal.objects.get(pk=customer_deal.pk)
    assert deal.status == Deal.Status.WON and deal.value == Decimal("130.39")


def test_move_setting_moves_the_deal_to_the_configured_stage(client, quote, customer_deal, stages):
    _configure(customer_deal.pipeline, PipelineQuoteSettings.OnAcceptance.MOVE, stage=stages[5])
    accept(client)
    deal = Deal.objects.get(pk=customer_deal.pk)
    assert deal.status == Deal.Status.OPEN and deal.stage == stages[5] and deal.value == Decimal("999")
    assert StageChange.objects.filter(deal=deal, kind=StageChange.Kind.MOVED, to_stage=stages[5]).exists()
    assert stages[5].name in Notification.objects.get(user=deal.owner).message


def test_nothing_setting_only_notifies_the_owner(client, quote, customer_deal):
    _configure(customer_deal.pipeline, PipelineQuoteSettings.OnAcceptance.NOTHING)
    before = Deal.objects.values_list("stage_id", "status", "value", "version").get(pk=customer_deal.pk)
    accept(client)
    assert Deal.objects.values_list("stage_id", "status", "value", "version").get(pk=customer_deal.pk) == before
    assert "accepted AN-2026-0001" in Notification.objects.get(user=customer_deal.owner).message


def test_deal_already_won_stays_as_it_is(client, quote, customer_deal):
    deal_services.deal_win(deal_id=customer_deal.pk, version=customer_deal.version, actor=customer_deal.owner)
    won = Deal.objects.values_list("status", "value", "won_at", "version").get(pk=customer_deal.pk)
    assert accept(client).status_code == 303
    assert Deal.objects.values_list("status", "value", "won_at", "version").get(pk=customer_deal.pk) == won
    assert QuoteResponse.objects.get().kind == QuoteResponse.Kind.ACCEPTED
    assert "already won" in Notification.objects.get(user=customer_deal.owner).message


def test_deal_already_lost_stays_lost_and_the_owner_is_told(client, quote, customer_deal):
    reason = factories.LostReasonFactory()
    deal_services.deal_lose(
        deal_id=customer_deal.pk, version=customer_deal.version, actor=customer_deal.owner, reason_id=reason.pk
    )
    assert accept(client).status_code == 303
    assert Deal.objects.get(pk=customer_deal.pk).status == Deal.Status.LOST
    assert "reopen" in Notification.objects.get(user=customer_deal.owner).message


def test_inactive_owner_s_deal_is_won_and_the_team_s_manager_is_told(client, quote, customer_deal, manager):
    User.objects.filter(pk=customer_deal.owner_id).update(is_active=False)
    accept(client)
    deal = Deal.objects.get(pk=customer_deal.pk)
    assert deal.status == Deal.Status.WON and deal.value == Decimal("130.39")
    assert not Notification.objects.filter(user=customer_deal.owner).exists()
    assert "accepted AN-2026-0001" in Notification.objects.get(user=manager).message


def test_inactive_owner_without_a_manager_tells_the_admins(client, quote, customer_deal, admin):
    User.objects.filter(pk=customer_deal.owner_id).update(is_active=False, team=None)
    decline(client)
    assert "declined AN-2026-0001" in Notification.objects.get(user=admin).message


def test_a_stage_of_another_pipeline_leaves_the_deal_where_it_is(client, quote, customer_deal, stages):
    other = factories.PipelineFactory(name="Other")
    foreign_stage = factories.StageFactory(pipeline=other, name="Elsewhere")
    _configure(customer_deal.pipeline, PipelineQuoteSettings.OnAcceptance.MOVE, stage=foreign_stage)
    assert accept(client).status_code == 303
    assert QuoteResponse.objects.exists()
    assert Deal.objects.get(pk=customer_deal.pk).stage == stages[4]
    assert "not moved" in Notification.objects.get(user=customer_deal.owner).message


def test_owner_notification_is_in_the_installation_language(client, quote, customer_deal, settings):
    settings.LANGUAGE_CODE = "en-gb"
    accept(client)  # the page itself is German (the quote's language)
    assert "accepted" in Notification.objects.get(user=customer_deal.owner).message


def test_the_signer_s_name_reaches_the_owner_escaped(client, quote, customer_deal):
    accept(client, name='<script>alert("x")</script> Kunde')
    client.force_login(customer_deal.owner)
    html = client.get(reverse("activities:notifications")).content.decode()
    assert "&lt;script&gt;alert" in html and '<script>alert("x")' not in html

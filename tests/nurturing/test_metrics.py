"""The numbers per sequence, step, template and segment, with every expected number written."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from deals.models import Deal
from leads.models import Lead
from mail.models import Bounce, EmailMessage
from nurturing import metrics
from nurturing.models import Send
from tests import factories
from tests.nurturing import builders
from tests.nurturing.builders import T0

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def _won(*, owner, at, value, contact=None, lead=None, organization=None):
    return factories.DealFactory(
        owner=owner,
        contact=contact,
        source_lead=lead,
        organization=organization or (contact.organization if contact else factories.OrganizationFactory()),
        status=Deal.Status.WON,
        won_at=at + DAY,
        created_at=at,
        value=Decimal(value),
    )


def _hard_bounce(send_row):
    report = EmailMessage.objects.create(
        owner=send_row.sender,
        source=EmailMessage.Source.INBOX,
        message_id=f"<dsn-{uuid.uuid4().hex}@test>",
        direction=EmailMessage.Direction.INBOUND,
        sent_at=send_row.sent_at + timedelta(minutes=5),
    )
    Bounce.objects.create(address=send_row.address, report=report, original=send_row.message, permanent=True)


@dataclass
class World:
    sequence: object
    step1: object
    step2: object
    template_a: object
    template_b: object
    segment: object
    c1: object
    lead: object


@pytest.fixture
def world(rep, pipeline):
    """Sequence "Welcome": step 1 (template A, segment G) at T0, step 2 (template B) at T0 + 7 days.

    step 1: c1 opened+clicked, c2 clicked+replied, c3 bounced, c4 unsubscribed, lead l1 plain.
    step 2: c1 clicked, c2 withheld (never left), l1 hard-bounced (a permanent Bounce names it).
    Deals: D1 of c1 created T0+10d won 1,000; l1 converted T0+3d into D2 won 500;
    D3 of c2's organization created T0-1d won 9,999 (before any e-mail: neither converted nor credited).
    """
    segment = builders.segment(rep)
    seq = builders.sequence(rep, segment=segment)
    template_a, template_b = builders.template("A"), builders.template("B")
    step1, step2 = builders.email_step(seq, 1, template_a), builders.email_step(seq, 2, template_b)
    c1, c2, c3, c4 = (factories.ContactFactory(owner=rep, email=f"c{i}@customer.example") for i in range(1, 5))
    lead = factories.LeadFactory(owner=rep, email="l1@lead.example")
    s = {}
    for person in (c1, c2, c3, c4, lead):
        kwargs = {"lead": person} if isinstance(person, Lead) else {"contact": person}
        status = Send.Status.BOUNCED if person is c3 else Send.Status.SENT
        s[1, person.email] = builders.send(sequence=seq, step=step1, at=T0, status=status, **kwargs)
    Send.objects.filter(pk=s[1, "c1@customer.example"].pk).update(opened_at=T0 + DAY, clicked_at=T0 + DAY)
    Send.objects.filter(pk=s[1, "c2@customer.example"].pk).update(clicked_at=T0 + DAY, replied_at=T0 + 2 * DAY)
    Send.objects.filter(pk=s[1, "c4@customer.example"].pk).update(unsubscribed_at=T0 + DAY)
    later = T0 + 7 * DAY
    s[2, "c1"] = builders.send(contact=c1, sequence=seq, step=step2, at=later, segment=None, clicked_at=later + DAY)
    builders.send(contact=c2, sequence=seq, step=step2, at=later, segment=None, status=Send.Status.WITHHELD)
    _hard_bounce(builders.send(lead=lead, sequence=seq, step=step2, at=later, segment=None))
    _won(owner=rep, contact=c1, at=T0 + 10 * DAY, value="1000")
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.CONVERTED, converted_at=T0 + 3 * DAY)
    _won(owner=rep, lead=lead, at=T0 + 3 * DAY, value="500")
    _won(owner=rep, organization=c2.organization, at=T0 - DAY, value="9999")
    return World(seq, step1, step2, template_a, template_b, segment, c1, lead)


def _row(n):
    return (
        n.sent, n.delivered, n.bounced, n.opened, n.clicked, n.replied, n.unsubscribed, n.converted,
        n.won_first, n.revenue_first, n.won_last, n.revenue_last,
    )  # fmt: skip


def test_numbers_per_step_and_total_of_a_hand_built_sequence(world, rep):
    report = metrics.step_report(sequence=world.sequence, user=rep)
    #                                    sent del bnc opn clk rep uns conv wonF revF wonL revL
    assert _row(report.get(world.step1.pk)) == (5, 4, 1, 1, 2, 1, 1, 2, 2, Decimal(1500), 1, Decimal(500))
    assert _row(report.get(world.step2.pk)) == (2, 1, 1, 0, 1, 0, 0, 1, 0, Decimal(0), 1, Decimal(1000))
    assert _row(report.total) == (7, 5, 2, 1, 3, 1, 1, 2, 2, Decimal(1500), 2, Decimal(1500))
    assert report.get(world.step1.pk).ctr == 0.5  # 2 clicked ÷ 4 delivered
    assert report.get(world.step2.pk).ctr == 1.0
    assert report.total.ctr == 3 / 5


def test_numbers_per_template_and_segment(world, rep):
    sends = metrics.scoped_sends(user=rep)
    by_template = metrics.report(sends=sends, by="template")
    assert _row(by_template.get(world.template_a.pk))[:5] == (5, 4, 1, 1, 2)
    assert _row(by_template.get(world.template_b.pk))[:5] == (2, 1, 1, 0, 1)
    by_segment = metrics.report(sends=sends, by="segment")
    assert _row(by_segment.get(world.segment.pk)) == _row(
        metrics.step_report(sequence=world.sequence, user=rep).get(world.step1.pk)
    )
    assert _row(by_segment.get(None))[:5] == (2, 1, 1, 0, 1)


def test_sequence_numbers_for_several_sequences(world, rep):
    other = builders.sequence(rep, "Other")
    builders.send(contact=factories.ContactFactory(owner=rep), sequence=other, clicked_at=T0 + DAY)
    numbers = metrics.sequence_numbers(sequences_qs=type(other).objects.all(), user=rep)
    assert (numbers[world.sequence.pk].sent, numbers[world.sequence.pk].clicked) == (7, 3)
    assert (numbers[other.pk].sent, numbers[other.pk].clicked, numbers[other.pk].ctr) == (1, 1, 1.0)


def test_a_deal_first_touched_by_another_sequence_is_that_sequences_first_touch(world, rep):
    earlier = builders.sequence(rep, "Earlier")
    builders.send(contact=world.c1, sequence=earlier, at=T0 - 5 * DAY)
    numbers = metrics.sequence_numbers(sequences_qs=type(earlier).objects.all(), user=rep)
    # D1 (1,000): first touch "Earlier", last touch Welcome step 2. D2 (500): Welcome step 1 both ways.
    assert (numbers[earlier.pk].won_first, numbers[earlier.pk].revenue_first) == (1, Decimal(1000))
    assert (numbers[earlier.pk].won_last, numbers[earlier.pk].revenue_last) == (0, Decimal(0))
    welcome = numbers[world.sequence.pk]
    assert (welcome.won_first, welcome.revenue_first, welcome.won_last, welcome.revenue_last) == (
        1, Decimal(500), 2, Decimal(1500),
    )  # fmt: skip


def test_a_period_counts_the_emails_sent_in_it_and_what_they_led_to(world, rep):
    @dataclass
    class Period:
        start: object
        end: object

    report = metrics.step_report(sequence=world.sequence, user=rep, period=Period(T0 + 6 * DAY, T0 + 8 * DAY))
    assert world.step1.pk not in report.rows
    assert _row(report.total) == (2, 1, 1, 0, 1, 0, 0, 1, 0, Decimal(0), 1, Decimal(1000))


def test_a_rep_sees_their_own_records_numbers_a_manager_their_teams_an_admin_all(
    world, rep, teammate, outsider, manager, admin
):
    for owner in (teammate, outsider):
        contact = factories.ContactFactory(owner=owner)
        builders.send(contact=contact, sequence=world.sequence, step=world.step1, clicked_at=T0 + DAY)
    sent = {user.username: metrics.step_report(sequence=world.sequence, user=user).total.sent for user in
            (rep, teammate, outsider, manager, admin)}  # fmt: skip
    assert sent == {"alice": 7, "bob": 1, "charlie": 1, "maria": 8, "ada": 9}


def test_a_sequence_without_emails_has_zeros_and_no_ctr(rep):
    report = metrics.step_report(sequence=builders.sequence(rep), user=rep)
    assert (report.rows, report.total.sent, report.total.ctr) == ({}, 0, None)


def _bulk(rep, seq, step, n):
    for i in range(n):
        contact = factories.ContactFactory(owner=rep, email=f"bulk{seq.pk}-{i}@x.example")
        builders.send(contact=contact, sequence=seq, step=step, clicked_at=T0 + DAY)
        if i % 2:
            _won(owner=rep, contact=contact, at=T0 + 2 * DAY, value="100")


@pytest.mark.parametrize("size", [3, 30])
def test_the_query_count_does_not_grow_with_the_emails(rep, pipeline, size, django_assert_num_queries):
    seq = builders.sequence(rep)
    step = builders.email_step(seq, 1, builders.template())
    _bulk(rep, seq, step, size)
    with django_assert_num_queries(4):  # per step, total, won deals with touches, the touches' steps
        report = metrics.step_report(sequence=seq, user=rep)
    assert (report.total.sent, report.total.clicked, report.total.won_first) == (size, size, size // 2)


def test_the_numbers_partial_shows_a_row_per_email_step_and_the_total(world, rep, client):
    client.force_login(rep)
    response = client.get(f"/sequences/{world.sequence.pk}/numbers/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [label for label, _values in rows] == ["1. A", "2. B"]
    assert rows[0][1][:6] == ["5", "4", "1", "1", "2", "50.0 %"]
    assert response.context["total"][:6] == ["7", "5", "2", "1", "3", "60.0 %"]
    assert b'data-testid="sequence-numbers-total"' in response.content


def test_a_rep_gets_no_numbers_of_a_draft_sequence_and_a_manager_does(rep, manager, client):
    draft = builders.sequence(manager, status="draft")
    client.force_login(rep)
    assert client.get(f"/sequences/{draft.pk}/numbers/").status_code == 404
    client.force_login(manager)
    assert client.get(f"/sequences/{draft.pk}/numbers/").status_code == 200


def test_the_numbers_need_a_login(world, client):
    response = client.get(f"/sequences/{world.sequence.pk}/numbers/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_the_dashboard_nurturing_section_lists_sequences_in_the_viewers_scope(world, rep, outsider, admin):
    from analytics import nurturing_section
    from analytics.filters import Criteria, Period

    other = builders.sequence(outsider, "Outsiders")
    builders.send(contact=factories.ContactFactory(owner=outsider), sequence=other, clicked_at=T0 + DAY)
    criteria = Criteria(period=Period.last_days(90))
    rows = nurturing_section.nurturing_section(user=rep, criteria=criteria).rows
    # sequence, sent, delivered, clicked, CTR, replied, converted, won (first), revenue first, revenue last
    assert rows == [["Welcome", 7, 5, 3, 0.6, 1, 2, 2, Decimal(1500), Decimal(1500)]]
    rows = nurturing_section.nurturing_section(user=admin, criteria=criteria).rows
    assert [row[0] for row in rows] == ["Outsiders", "Welcome", "All sequences"]
    assert rows[-1][1:4] == [8, 6, 4]
    only_outsider = Criteria(period=Period.last_days(90), owner=outsider)
    assert [row[0] for row in nurturing_section.nurturing_section(user=admin, criteria=only_outsider).rows] == [
        "Outsiders"
    ]

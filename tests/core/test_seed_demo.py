import itertools
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Team, User
from activities.models import Activity
from analytics.demo_objections import SAYINGS
from deals.models import Deal, Objection, Pipeline, Stage, StageChange
from leads.models import Campaign, Lead, LeadStatusChange, SourceCost
from nurturing.models import Enrolment, Send, Sequence, TrackingEvent


@pytest.fixture
def seeded(db):
    call_command("seed_demo", deals=300, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_seed_creates_the_demo_users_and_teams(seeded):
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "manager", "rep1", "rep2"}
    assert Team.objects.count() == 2
    assert User.objects.get(username="admin").is_crm_admin
    manager = User.objects.get(username="manager")
    assert manager.managed_teams.count() == 2
    assert User.objects.get(username="rep1").check_password("demo")


def test_seed_password_option(db):
    call_command("seed_demo", deals=5, password="s3cret-pass", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert User.objects.get(username="rep2").check_password("s3cret-pass")


def test_seed_twice_does_not_duplicate(seeded):
    counts = (User.objects.count(), Team.objects.count(), Pipeline.objects.count(), Stage.objects.count())
    call_command("seed_demo", deals=300, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (User.objects.count(), Team.objects.count(), Pipeline.objects.count(), Stage.objects.count()) == counts
    assert Deal.objects.count() == 300


def test_seed_reset_rebuilds_the_business_data(seeded):
    call_command("seed_demo", deals=40, reset=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Deal.objects.count() == 40
    assert Pipeline.objects.count() == 2


def test_seed_size_follows_the_deals_option(db):
    call_command("seed_demo", deals=123, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Deal.objects.count() == 123
    assert StageChange.objects.filter(kind="created").count() == 123


def test_seed_covers_every_stage_status_and_lead_status(seeded):
    new_business = Pipeline.objects.get(name="New business")
    open_stages = set(Deal.objects.filter(status="open", pipeline=new_business).values_list("stage", flat=True))
    assert open_stages == set(new_business.stages.values_list("pk", flat=True))
    assert set(Deal.objects.values_list("status", flat=True)) == {"open", "won", "lost"}
    assert not Deal.objects.filter(status="lost", lost_reason__isnull=True).exists()
    assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)


def test_seed_history_spans_the_last_year_and_is_consistent(seeded):
    now = timezone.now()
    span = StageChange.objects.aggregate(first=Min("at"), last=Max("at"))
    assert span["first"] < now - timedelta(days=270)
    assert span["last"] <= now
    # every deal's last history row describes its current stage and status
    for deal in Deal.objects.order_by("?")[:50]:
        last = deal.stage_changes.order_by("-at", "-id").first()
        assert (last.to_stage_id, last.to_status) == (deal.stage_id, deal.status)
        assert deal.stage.pipeline_id == deal.pipeline_id
    assert LeadStatusChange.objects.filter(from_status="", to_status="new").count() == Lead.objects.count()


def test_seed_activities_are_due_in_the_past_and_future(seeded):
    now = timezone.now()
    assert Activity.objects.filter(due_at__lt=now, done_at__isnull=True).exists()
    assert Activity.objects.filter(due_at__gt=now).exists()
    assert Activity.objects.filter(done_at__isnull=False).exists()
    # past reminders count as sent, so a fresh demo does not flood the inbox
    assert not Activity.objects.filter(due_at__lt=now, reminder_sent_at__isnull=True).exists()


def test_seed_gives_every_owner_some_unread_reminder_notifications(seeded):
    from activities.models import Notification

    rep1 = User.objects.get(username="rep1")
    assert Notification.objects.filter(user=rep1, read_at__isnull=True, kind="reminder").count() == 2
    assert Notification.objects.filter(user=rep1).count() == 3


def test_seed_scores_leads_with_the_configured_weights(seeded):
    from leads import scoring
    from leads.models import ScoringSettings

    config = ScoringSettings.get_solo()
    for lead in Lead.objects.order_by("?")[:30]:
        expected = scoring.compute(levels={c: getattr(lead, c) for c in scoring.CRITERIA}, config=config)
        assert (lead.score, lead.score_breakdown) == expected


def test_seed_routes_web_form_leads_round_robin_to_a_team(seeded):
    from leads.models import WebFormSettings

    assert WebFormSettings.get_solo().round_robin_team.name == "Team North"


def test_seed_leads_carry_their_duplicate_keys(seeded):
    from leads import contact_keys

    for lead in Lead.objects.order_by("?")[:30]:
        assert lead.email_key == contact_keys.email_key(lead.email) != ""
        assert lead.phone_key == contact_keys.phone_key(lead.phone) != ""


def test_seed_reps_option_spreads_the_reps_over_both_teams(db):
    call_command("seed_demo", deals=30, reps=20, stdout=open("/dev/null", "w"))  # noqa: SIM115
    reps = User.objects.filter(role=User.Role.REP)
    assert set(reps.values_list("username", flat=True)) == {f"rep{n}" for n in range(1, 21)}
    assert {team: reps.filter(team__name=team).count() for team in ("Team North", "Team South")} == {
        "Team North": 10,
        "Team South": 10,
    }
    assert User.objects.get(username="rep17").check_password("demo")
    owners = set(Deal.objects.values_list("owner__username", flat=True))
    assert len(owners) > 10  # the deals are spread over the new reps too


def test_seed_moves_per_deal_gives_a_long_consistent_history(db):
    call_command("seed_demo", deals=400, moves_per_deal=10, stdout=open("/dev/null", "w"))  # noqa: SIM115
    now = timezone.now()
    rows_per_deal = StageChange.objects.count() / Deal.objects.count()
    assert 9 <= rows_per_deal <= 11
    span = StageChange.objects.aggregate(first=Min("at"), last=Max("at"))
    assert span["first"] < now - timedelta(days=365)
    assert span["last"] <= now
    assert StageChange.objects.filter(kind="created").count() == 400
    assert set(Deal.objects.values_list("status", flat=True)) == {"open", "won", "lost"}
    for deal in Deal.objects.order_by("?")[:50]:
        history = list(deal.stage_changes.order_by("at", "id"))
        assert (history[-1].to_stage_id, history[-1].to_status) == (deal.stage_id, deal.status)
        for before, after in itertools.pairwise(history):
            assert (after.from_stage_id, after.from_status) == (before.to_stage_id, before.to_status)


def test_seed_rejects_fewer_than_one_move_per_deal(db):
    with pytest.raises(CommandError):
        call_command("seed_demo", deals=5, moves_per_deal=0.5, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_seed_leaves_the_deal_summary_in_step_with_the_deals(seeded):
    call_command("rebuild_deal_summary", check=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", deals=40, reset=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("rebuild_deal_summary", check=True, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_seed_has_a_running_sequence_with_tracked_e_mails_and_source_costs(seeded):
    sequence = Sequence.objects.get(name="Leitfaden-Serie")
    sends = Send.objects.filter(sequence=sequence)
    assert sequence.status == Sequence.Status.ACTIVE and sends.count() >= 10
    assert sends.filter(message__delivery="sent").count() == sends.count()
    assert TrackingEvent.objects.filter(send__sequence=sequence, counted=True, kind="click").exists()
    # Everyone enrolled has consent; the second e-mail is due later, not at once.
    enrolled = Enrolment.objects.filter(sequence=sequence, status="active")
    assert not enrolled.exclude(contact__email_consent="granted").exists()
    assert not enrolled.filter(next_run_at__lte=timezone.now()).exists()
    assert SourceCost.objects.exists() and Campaign.objects.exists()


def test_seed_names_organizations_like_companies_without_numbers_or_false_duplicates(seeded):
    from customers.keys import name_key
    from customers.models import Organization

    names = list(Organization.objects.values_list("name", "name_key", "email_domain"))
    assert len(names) >= 40
    assert not [name for name, _key, _domain in names if any(c.isdigit() for c in name)]
    assert len({key for _name, key, _domain in names}) == len(names), "no two share the duplicate check's key"
    assert len({domain for _name, _key, domain in names}) == len(names)
    assert all(key == name_key(name) for name, key, _domain in names)
    companies = set(Lead.objects.values_list("company_name", flat=True))
    assert not [name for name in companies if any(c.isdigit() for c in name)]
    assert not companies & {name for name, _key, _domain in names}, "leads come from companies not yet in the CRM"


def test_a_german_installations_demo_writes_deal_titles_job_titles_and_activity_subjects_in_german(db, settings):
    settings.LANGUAGE_CODE = "de"
    call_command("seed_demo", deals=30, stdout=open("/dev/null", "w"))  # noqa: SIM115
    german_topics = {"CRM-Einführung", "Lizenzen für den Vertrieb", "Pilotprojekt", "Wartungsvertrag", "Migration"}
    german_topics |= {"Upgrade", "Ausbau auf neue Niederlassung", "Jährliche Verlängerung", "Einarbeitung"}
    german_topics |= {"Analyse-Erweiterung"}
    topics = {title.split(" — ")[0] for title in Deal.objects.values_list("title", flat=True)}
    assert topics <= german_topics
    assert "Qualifizierungsanruf" in set(Activity.objects.values_list("subject", flat=True))
    notes = set(Objection.objects.values_list("note", flat=True))
    assert notes, "the close stage has objections"
    english = {saying[1] for saying in SAYINGS}
    with translation.override("de"):
        german = {gettext(saying[1]) for saying in SAYINGS}
    assert notes <= german
    assert not notes & english


def test_seed_sets_goals_for_every_rep_and_team_from_the_demo_volume(seeded):
    from analytics.goals import GoalPeriod
    from analytics.models import Goal
    from analytics.selectors import goals as goal_selectors

    month = GoalPeriod.current(Goal.Period.MONTH)
    quarter = GoalPeriod.current(Goal.Period.QUARTER)
    reps = User.objects.filter(role=User.Role.REP)
    for period in (month, quarter):
        in_period = Goal.objects.filter(period=period.period, period_start=period.first_day)
        assert in_period.filter(user__in=reps).count() == reps.count() * len(Goal.Metric.values)
        for team in Team.objects.all():
            team_goal = in_period.get(team=team, metric=Goal.Metric.WON_VALUE)
            members = in_period.filter(user__team=team, metric=Goal.Metric.WON_VALUE)
            assert team_goal.target == sum(goal.target for goal in members)
    # Realistic: a rep's quarter is three months; some goals are reached or on pace, not all.
    rep1 = User.objects.get(username="rep1")
    month_goal = Goal.objects.get(user=rep1, metric=Goal.Metric.WON_DEALS, period=Goal.Period.MONTH)
    quarter_goal = Goal.objects.get(user=rep1, metric=Goal.Metric.WON_DEALS, period=Goal.Period.QUARTER)
    assert quarter_goal.target == 3 * month_goal.target
    progress = goal_selectors.progress(Goal.objects.select_related("user", "team"))
    assert any(row.achieved > 0 for row in progress)
    assert not all(row.share >= 1 for row in progress)


def test_seed_records_objections_in_the_close_stage_of_open_won_and_lost_deals(seeded):
    objections = list(Objection.objects.select_related("deal", "stage"))
    assert objections
    last = dict(Stage.objects.values_list("pipeline_id").annotate(last=Max("order")))
    assert all(o.stage.order == last[o.stage.pipeline_id] for o in objections)
    assert {o.deal.status for o in objections} == {"open", "won", "lost"}
    assert {o.kind for o in objections} == {"price", "product", "timing", "other"}
    assert all(o.response for o in objections if o.handling == "resolved")
    assert all(o.created_at <= (o.deal.won_at or o.deal.lost_at or o.created_at) for o in objections)

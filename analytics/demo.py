"""Realistic demo data for every part of the product, built with bulk inserts.

The users, teams and default pipelines are created idempotently. The business data
(organizations, contacts, leads, deals with a year of stage history, activities) is
created when the database holds no deals yet, or after `reset=True` wiped it.
Everything is drawn from a seeded random generator, so a run is reproducible.
"""

import random
from datetime import timedelta
from decimal import Decimal

from auditlog.context import disable_auditlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Team, User
from activities.models import Activity, Notification
from analytics import demo_names
from analytics.demo_activities import seed_activities
from analytics.demo_goals import seed_goals
from analytics.demo_mail import seed_mail
from analytics.demo_nurturing import seed_nurturing, wipe_nurturing
from analytics.demo_objections import seed_objections
from analytics.demo_quotes import seed_quotes
from analytics.demo_words import CAMPAIGNS, DEAL_TOPICS, FIRST_NAMES, JOB_TITLES, LAST_NAMES, PERSONAS
from customers.models import Contact, DecisionRole, Industry, Organization, Region, SizeBand
from deals.defaults import ensure_defaults
from deals.models import (
    CloseDateChange,
    Deal,
    DealProduct,
    LostReason,
    Objection,
    Pipeline,
    Product,
    Stage,
    StageChange,
)
from leads import scoring
from leads.models import Lead, LeadStatusChange, Persona, ScoringSettings, WebFormSettings
from mail.models import EmailMessage, Thread
from quotes.models import Quote, QuoteNumber

BATCH = 5000

USERS = [
    # username, first, last, role, team
    ("admin", "Ada", "Admin", User.Role.ADMIN, None),
    ("manager", "Maria", "Manager", User.Role.MANAGER, "Team North"),
    ("rep1", "Rene", "Peters", User.Role.REP, "Team North"),
    ("rep2", "Sara", "Klein", User.Role.REP, "Team South"),
    ("rep3", "Tom", "Berger", User.Role.REP, "Team North"),
    ("rep4", "Lea", "Wolf", User.Role.REP, "Team South"),
]

PRODUCTS = [
    ("CRM Cloud — Starter", "CRM-S", Decimal("4800")),
    ("CRM Cloud — Professional", "CRM-P", Decimal("14400")),
    ("CRM Cloud — Enterprise", "CRM-E", Decimal("48000")),
    ("Onboarding package", "SRV-ON", Decimal("6500")),
    ("Data migration", "SRV-DM", Decimal("9500")),
    ("Premium support", "SUP-P", Decimal("7200")),
]

DEFAULT_REPS = sum(1 for user in USERS if user[3] == User.Role.REP)
TEAMS = ("Team North", "Team South")


def demo_users(reps=DEFAULT_REPS):
    """The admin, the manager and `reps` sales reps rep1…repN: the first four as in USERS, further
    ones with generated names, alternating between the two teams."""
    named = [user for user in USERS if user[3] != User.Role.REP]
    known = [user for user in USERS if user[3] == User.Role.REP]
    extra = [
        (
            f"rep{n}",
            FIRST_NAMES[n % len(FIRST_NAMES)],
            LAST_NAMES[n % len(LAST_NAMES)],
            User.Role.REP,
            TEAMS[(n - 1) % len(TEAMS)],
        )
        for n in range(len(known) + 1, reps + 1)
    ]
    return named + known[:reps] + extra


def ensure_users(*, password, reps=DEFAULT_REPS):
    """Create the demo users and their two teams; existing users keep their data but get the password."""
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    users = {}
    for username, first, last, role, team_name in demo_users(reps):
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "role": role,
                "team": teams.get(team_name),
                "is_staff": role == User.Role.ADMIN,
                "is_superuser": role == User.Role.ADMIN,
            },
        )
        users[username] = user
    # One hash for every demo user: hashing is deliberately slow (a second or more for twenty reps).
    template = User(username="template")
    template.set_password(password)
    User.objects.filter(pk__in=[user.pk for user in users.values()]).update(password=template.password)
    for team in teams.values():
        team.managers.add(users["manager"])
    # Web-form leads go round-robin to Team North unless an admin chose otherwise.
    webform = WebFormSettings.get_solo()
    if webform.default_owner_id is None and webform.round_robin_team_id is None:
        webform.round_robin_team = teams["Team North"]
        webform.save(update_fields=["round_robin_team"])
    return users, teams


def _line(*, deal, product):
    """One line item of the product at its catalogue price and VAT (bulk inserts skip save())."""
    line = DealProduct(
        deal=deal,
        product=product,
        quantity=1,
        unit=product.unit,
        unit_price=product.unit_price,
        vat_rate=product.vat_rate,
    )
    line.compute_amounts()
    return line


def _bulk(model, objects):
    if hasattr(model, "set_duplicate_keys"):  # bulk_create skips save(), which keeps the keys
        objects = list(objects)
        for obj in objects:
            obj.set_duplicate_keys()
    return model.objects.bulk_create(objects, batch_size=BATCH)


# With --moves-per-deal the deals are created over the last 13 months (a 12-month backfill has
# a full year of history before it and deals still moving at its end).
LONG_HISTORY_DAYS = 395


_STAGE_CHANGE_COLUMNS = (
    "deal_id",
    "pipeline_id",
    "kind",
    "from_stage_id",
    "to_stage_id",
    "from_status",
    "to_status",
    "actor_id",
    "owner_id",
    "value",
    "at",
)


def _stage_changes_write(rows):
    """Insert StageChange rows given as tuples in _STAGE_CHANGE_COLUMNS order: PostgreSQL's COPY
    (a million rows in well under a minute), elsewhere bulk_create in batches."""
    if connection.vendor == "postgresql":
        columns = ", ".join(_STAGE_CHANGE_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {StageChange._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    batch = []
    for row in rows:
        batch.append(StageChange(**dict(zip(_STAGE_CHANGE_COLUMNS, row, strict=True))))
        if len(batch) >= BATCH * 4:
            _bulk(StageChange, batch)
            batch = []
    _bulk(StageChange, batch)


class DemoBuilder:
    def __init__(self, *, deals, seed, now=None, stdout=None, moves_per_deal=None):
        self.deal_count = deals
        self.moves_per_deal = moves_per_deal
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.stdout = stdout

    def say(self, message):
        if self.stdout is not None:
            self.stdout.write(message)

    def build(self, *, users):
        rng = self.rng
        reps = [u for u in users.values() if u.role in (User.Role.REP, User.Role.MANAGER)]
        products = [
            Product.objects.get_or_create(name=name, defaults={"sku": sku, "unit_price": price})[0]
            for name, sku, price in PRODUCTS
        ]
        for name, description, needs, problems, motives in PERSONAS:
            Persona.objects.get_or_create(
                name=name,
                defaults={"description": description, "needs": needs, "problems": problems, "buying_motives": motives},
            )
        personas = list(Persona.objects.all())
        reasons = list(LostReason.objects.filter(is_active=True))
        pipelines = {p.kind: p for p in Pipeline.objects.filter(is_active=True)}
        stages = {p.pk: list(Stage.objects.filter(pipeline=p).order_by("order")) for p in pipelines.values()}

        org_count = max(40, self.deal_count // 4)
        orgs = _bulk(
            Organization,
            [
                Organization(
                    name=demo_names.company_name(i - 1),
                    industry=rng.choice(Industry.values),
                    size_band=rng.choice(SizeBand.values),
                    region=rng.choice(Region.values),
                    email_domain=demo_names.company_domain(i - 1),
                    website=f"https://www.{demo_names.company_domain(i - 1)}",
                    created_at=self.now - timedelta(days=rng.randint(30, 700)),
                )
                for i in range(1, org_count + 1)
            ],
        )
        contacts = _bulk(
            Contact,
            [
                Contact(
                    organization=org,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    email=f"contact{org.pk}@{org.email_domain}",
                    phone=f"+49 30 {rng.randint(1000000, 9999999)}",
                    job_title=gettext(rng.choice(JOB_TITLES)),
                    decision_role=rng.choice(DecisionRole.values),
                    created_at=org.created_at,
                )
                for org in orgs
            ],
        )
        self.say(f"  {len(orgs)} organizations, {len(contacts)} contacts")
        leads = self._leads(reps=reps, personas=personas, count=max(60, self.deal_count // 2))
        self.say(f"  {len(leads)} leads with status history")
        deals = self._deals(
            reps=reps,
            orgs=orgs,
            contacts=contacts,
            pipelines=pipelines,
            stages=stages,
            reasons=reasons,
            products=products,
            leads=leads,
        )
        self.say(f"  {len(deals)} deals with stage history")
        activities = seed_activities(rng=self.rng, now=self.now, deals=deals, leads=leads)
        self.say(f"  {activities} activities")

    def _leads(self, *, reps, personas, count):
        rng = self.rng
        statuses = [
            ("new", 20),
            ("contacted", 20),
            ("nurturing", 15),
            ("qualified", 15),
            ("disqualified", 10),
            ("converted", 20),
        ]
        paths = {
            "new": ["new"],
            "contacted": ["new", "contacted"],
            "nurturing": ["new", "contacted", "nurturing"],
            "qualified": ["new", "contacted", "qualified"],
            "disqualified": ["new", "contacted", "disqualified"],
            "converted": ["new", "contacted", "qualified", "converted"],
        }
        config = ScoringSettings.get_solo()
        leads, histories = [], []
        for i in range(count):
            status = rng.choices([s for s, _ in statuses], weights=[w for _, w in statuses])[0]
            source = rng.choice(Lead.Source.values)
            created = self.now - timedelta(days=rng.uniform(1, 365))
            criteria = {c: rng.randint(0, 3) for c in scoring.CRITERIA}
            if status in ("qualified", "converted"):
                criteria = {c: max(v, 2) for c, v in criteria.items()}
            score, breakdown = scoring.compute(levels=criteria, config=config)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            path = paths[status]
            times = [created]
            for _ in path[1:]:
                times.append(min(self.now, times[-1] + timedelta(days=rng.uniform(0.5, 12))))
            lead = Lead(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{i}@lead{i}.example",
                phone=f"+49 40 {rng.randint(1000000, 9999999)}",
                job_title=gettext(rng.choice(JOB_TITLES)),
                company_name=demo_names.lead_company_name(i),
                source=source,
                campaign=rng.choice(CAMPAIGNS[source]),
                industry=rng.choice(Industry.values),
                size_band=rng.choice(SizeBand.values),
                region=rng.choice(Region.values),
                decision_role=rng.choice(DecisionRole.values),
                persona=rng.choice([*personas, None]),
                owner=rng.choice(reps),
                status=status,
                disqualified_reason="No budget this year" if status == "disqualified" else "",
                score=score,
                score_breakdown=breakdown,
                consent=source == "web_form",
                consent_at=created if source == "web_form" else None,
                last_touch_at=times[-1],
                status_changed_at=times[-1],
                converted_at=times[-1] if status == "converted" else None,
                created_at=created,
                **criteria,
            )
            lead.set_contact_keys()  # bulk_create skips save(), which keeps them
            leads.append(lead)
            histories.append(list(zip(path, times, strict=True)))
        leads = _bulk(Lead, leads)
        _bulk(
            LeadStatusChange,
            [
                LeadStatusChange(
                    lead=lead,
                    from_status=path[i - 1][0] if i else "",
                    to_status=to_status,
                    actor=lead.owner,
                    reason=lead.disqualified_reason if to_status == "disqualified" else "",
                    at=at,
                )
                for lead, path in zip(leads, histories, strict=True)
                for i, (to_status, at) in enumerate(path)
            ],
        )
        return leads

    def _walk(self, stages, created):
        """Walk the stages: each step either advances, is lost, or stops (still open); now and then
        a deal is sent back a phase. About 4.4 history rows per deal."""
        rng, now = self.rng, self.now
        t = created
        path = [(stages[0], "open", t)]
        status = "open"
        index = 0
        while True:
            stage = stages[index]
            stay = rng.uniform(0.4, 3.0) * (stage.expected_days or 10)
            if t + timedelta(days=stay) > now:
                break  # still in this stage today
            t = t + timedelta(days=stay)
            roll = rng.random()
            if roll < 0.11:
                status = "lost"
                path.append((stage, "lost", t))
                break
            if index == len(stages) - 1:
                if roll < 0.75:
                    status = "won"
                    path.append((stage, "won", t))
                else:
                    status = "lost"
                    path.append((stage, "lost", t))
                break
            if roll > 0.93 and index > 0:
                index -= 1  # sent back a phase: re-entries happen in real pipelines
            else:
                index += 1
            path.append((stages[index], "open", t))
        return path, status

    def _long_walk(self, stages, created):
        """A history of about `moves_per_deal` rows on average (1 to 2F − 1, uniformly): the creation,
        moves forward and now and then back (several on some days), and for about half of the
        deals a final win or loss. The rows fall between the creation and now."""
        rng, now = self.rng, self.now
        rows = 1 + int(rng.random() * max(1.0, 2 * self.moves_per_deal - 1))
        closing = rows >= 2 and rng.random() < 0.55
        end = created + (now - created) * rng.uniform(0.3, 1.0) if closing else now
        times = sorted(created + (end - created) * rng.random() for _ in range(rows - 1))
        path, index, last = [(stages[0], "open", created)], 0, len(stages) - 1
        for t in times[: len(times) - closing]:
            if last and (index == last or (index > 0 and rng.random() < 0.25)):
                index -= 1
            elif last:
                index += 1
            path.append((stages[index], "open", t))
        status = "open"
        if closing:
            won = index == last and rng.random() < 0.75
            status = "won" if won else "lost"
            path.append((stages[index], status, times[-1]))
        return path, status

    def _deals(self, *, reps, orgs, contacts, pipelines, stages, reasons, products, leads):
        rng, now = self.rng, self.now
        converted = [lead for lead in leads if lead.status == "converted"]
        deals, histories, slips = [], [], []
        for i in range(self.deal_count):
            pipeline = (
                pipelines["expansion"] if rng.random() < 0.2 and "expansion" in pipelines else pipelines["new_business"]
            )
            pipeline_stages = stages[pipeline.pk]
            if self.moves_per_deal is None:
                created = now - timedelta(days=365 * rng.random() ** 1.5)
            else:
                created = now - timedelta(days=LONG_HISTORY_DAYS * rng.random())
            owner = rng.choice(reps)
            org_index = rng.randrange(len(orgs))
            if self.moves_per_deal is None:
                path, status = self._walk(pipeline_stages, created)
            else:
                path, status = self._long_walk(pipeline_stages, created)
            current_stage = path[-1][0]
            last_at = path[-1][2]
            base_close = created.date() + timedelta(days=rng.randint(45, 120))
            close_date = last_at.date() if status != "open" else base_close
            value = Decimal(rng.choice([3, 5, 8, 12, 15, 20, 30, 45, 60, 90, 150])) * 1000 + Decimal(
                rng.randrange(0, 1000, 50)
            )
            lead = converted.pop() if converted and rng.random() < 0.5 else None
            deal = Deal(
                title=f"{gettext(rng.choice(DEAL_TOPICS))} — {orgs[org_index].name.split(' ')[0]}",
                pipeline=pipeline,
                stage=current_stage,
                position=float(i),
                owner=owner,
                organization=orgs[org_index],
                contact=contacts[org_index],
                source_lead=lead,
                value=value,
                expected_close_date=close_date,
                probability=rng.choice([None] * 9 + [rng.choice([30, 60, 90])]),
                status=status,
                won_at=last_at if status == "won" else None,
                lost_at=last_at if status == "lost" else None,
                lost_reason=rng.choice(reasons) if status == "lost" else None,
                lost_from_stage=current_stage if status == "lost" else None,
                stage_entered_at=max(at for stage, st, at in path if st == "open"),
                last_activity_at=last_at - timedelta(days=rng.uniform(0, 20)),
                created_at=created,
                updated_by=owner,
            )
            deals.append(deal)
            histories.append(path)
            if rng.random() < 0.3:
                slips.append((i, base_close - timedelta(days=rng.randint(14, 60)), base_close, created))
        deals = _bulk(Deal, deals)

        _stage_changes_write(
            (
                deal.pk,
                deal.pipeline_id,
                "created" if step == 0 else ("moved" if status == "open" else status),
                path[step - 1][0].pk if step else None,
                stage.pk,
                path[step - 1][1] if step else "",
                status,
                deal.owner_id,
                deal.owner_id,
                deal.value,
                at,
            )
            for deal, path in zip(deals, histories, strict=True)
            for step, (stage, status, at) in enumerate(path)
        )
        _bulk(
            CloseDateChange,
            [
                CloseDateChange(
                    deal=deals[i],
                    old_date=old,
                    new_date=new,
                    actor_id=deals[i].owner_id,
                    at=created + timedelta(days=10),
                )
                for i, old, new, created in slips
            ],
        )
        _bulk(
            DealProduct,
            [_line(deal=deal, product=product) for deal in deals for product in [products[deal.pk % len(products)]]],
        )
        return deals


def wipe_business_data():
    """Delete every deal, lead, organization, contact, activity, notification and e-mail (not
    users or configuration)."""
    wipe_nurturing()
    for model in (
        EmailMessage,
        Thread,
        Quote,
        QuoteNumber,
        Notification,
        Activity,
        StageChange,
        CloseDateChange,
        DealProduct,
        Objection,
        Deal,
        LeadStatusChange,
        Lead,
        Contact,
        Organization,
    ):
        model.objects.all().delete()


def seed_demo(
    *,
    password="demo",  # noqa: S107 (demo users only)
    deals=300,
    seed=42,
    reset=False,
    stdout=None,
    moves_per_deal=None,
    reps=DEFAULT_REPS,
):
    """Create the demo installation. Returns True when business data was created.

    `moves_per_deal` (average history rows per deal, spread over 13 months) replaces the default
    walk through the stages (about 4.4 rows per deal over 12 months); `reps` is the number of
    sales reps rep1…repN, spread over the two teams.

    Generated business data gets no audit entries (docs/audit.md): it is written with
    bulk_create, and the reset deletes without one entry per deleted row."""
    with transaction.atomic(), disable_auditlog(), translation.override(settings.LANGUAGE_CODE):
        ensure_defaults(Pipeline, Stage, LostReason)
        users, teams = ensure_users(password=password, reps=reps)
        if reset:
            wipe_business_data()
        if Deal.objects.exists():
            return False
        DemoBuilder(deals=deals, seed=seed, stdout=stdout, moves_per_deal=moves_per_deal).build(users=users)
        seed_objections(seed=seed, stdout=stdout)
        seed_quotes(seed=seed, stdout=stdout)
        seed_mail(seed=seed, stdout=stdout)
        seed_nurturing(seed=seed, stdout=stdout)
        seed_goals(users=users, teams=teams, stdout=stdout)
    _analytics_backfill(stdout=stdout)
    return True


def _analytics_backfill(*, stdout=None, days=90):
    """Snapshots of the last `days` days and fresh bottleneck verdicts, so the dashboard's trend
    and the board's badges show from the first page view (the nightly job keeps them current)."""
    from django.db import connection

    from analytics import services
    from analytics.models import DailySnapshot

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh planner statistics after the bulk inserts: without them PostgreSQL picks
            # nested loops sized for empty tables (seconds instead of milliseconds).
            cursor.execute("ANALYZE")
    today = timezone.localdate()
    DailySnapshot.objects.all().delete()  # snapshots of wiped data would mislead
    rows = services.snapshot_rollup_range(first_day=today - timedelta(days=days), last_day=today)
    flagged = services.stage_health_compute()
    if stdout is not None:
        stdout.write(f"  {rows} snapshot rows for {days + 1} days, {len(flagged)} bottleneck stage(s)")

"""The conversion alert (docs/metrics.md, "Conversion alert"): each night, every stage's conversion
in the last complete week is tested against its pooled trailing eight weeks; a clear drop notifies
the managers and admins once per pipeline, stage and week.

The rule is a one-sided two-proportion z-test with a pooled standard error: it fires when
z ≤ −2.33 (p < 0.01), the drop is at least 10 percentage points and both samples hold at least 20
deals. The counts come from `conversion_trend.conversion_counts` (one grouped query over all stages).
"""

import math
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import Notification
from analytics.selectors import conversion_trend
from deals.models import Stage

GRAIN = "week"
TRAILING_PERIODS = 8
Z_LIMIT = -2.33  # one-sided p < 0.01
MIN_DROP = 0.10  # percentage points, as a fraction
MIN_DEALS = 20  # in the last period and in the trailing periods together


@dataclass
class Verdict:
    stage: object
    period: object
    left: int
    moved_on: int
    trailing_left: int
    trailing_moved_on: int
    z: float | None

    @property
    def rate(self):
        return self.moved_on / self.left if self.left else None

    @property
    def trailing_rate(self):
        return self.trailing_moved_on / self.trailing_left if self.trailing_left else None

    @property
    def fires(self):
        if self.z is None or self.left < MIN_DEALS or self.trailing_left < MIN_DEALS:
            return False
        # A hair of tolerance: 0.6 − 0.5 is 0.0999… in binary floating point.
        return self.z <= Z_LIMIT and self.trailing_rate - self.rate >= MIN_DROP - 1e-9


def z_score(*, moved_on, left, trailing_moved_on, trailing_left):
    """Two-proportion z statistic (last − trailing) with the pooled proportion; None when undefined."""
    if not left or not trailing_left:
        return None
    pooled = (moved_on + trailing_moved_on) / (left + trailing_left)
    error = math.sqrt(pooled * (1 - pooled) * (1 / left + 1 / trailing_left))
    if error == 0:
        return None
    return (moved_on / left - trailing_moved_on / trailing_left) / error


def conversion_verdicts(*, today):
    """One verdict per stage of every active pipeline for the last complete week (one query)."""
    stages = list(
        Stage.objects.filter(pipeline__is_active=True).select_related("pipeline").order_by("pipeline", "order")
    )
    last = conversion_trend.period_of(GRAIN, conversion_trend.period_of(GRAIN, today).first_day - timedelta(days=1))
    periods = conversion_trend.periods_back(GRAIN, last.first_day, TRAILING_PERIODS + 1)
    counts = conversion_trend.conversion_counts(deals=None, stages=stages, periods=periods)
    verdicts = []
    for stage in stages:
        left, moved_on = counts.get((TRAILING_PERIODS, stage.pk), (0, 0))
        trailing = [counts.get((n, stage.pk), (0, 0)) for n in range(TRAILING_PERIODS)]
        trailing_left, trailing_moved_on = sum(t[0] for t in trailing), sum(t[1] for t in trailing)
        z = z_score(moved_on=moved_on, left=left, trailing_moved_on=trailing_moved_on, trailing_left=trailing_left)
        verdicts.append(Verdict(stage, last, left, moved_on, trailing_left, trailing_moved_on, z))
    return verdicts


def alert_recipients():
    """Every active manager and admin: the test runs over the whole installation's deals."""
    return list(
        get_user_model().objects.filter(is_active=True, role__in=[User.Role.MANAGER, User.Role.ADMIN]).order_by("id")
    )


def _message(verdict):
    return _(
        "Conversion of “%(stage)s” (%(pipeline)s) fell to %(rate).0f %% in the week from %(week)s "
        "(%(moved)d of %(left)d deals moved on; the 8 weeks before: %(trailing).0f %%)."
    ) % {
        "stage": verdict.stage.name,
        "pipeline": verdict.stage.pipeline.name,
        "rate": 100 * verdict.rate,
        "week": conversion_trend.period_label(GRAIN, verdict.period),
        "moved": verdict.moved_on,
        "left": verdict.left,
        "trailing": 100 * verdict.trailing_rate,
    }


def conversion_alerts_notify(*, now=None):
    """Test every stage and notify the managers and admins of each clear drop; returns the number
    of notifications written. Safe to run again: the dedupe key (pipeline, stage, week, user) is
    unique, so a rerun the same night or the next day writes nothing."""
    now = now or timezone.now()
    firing = [v for v in conversion_verdicts(today=timezone.localdate(now)) if v.fires]
    if not firing:
        return 0
    recipients = alert_recipients()
    notifications = []
    for verdict in firing:
        stage = verdict.stage
        link = f"{reverse('analytics:dashboard')}?{urlencode({'pipeline': stage.pipeline_id, 'trend': GRAIN})}"
        for user in recipients:
            with translation.override(user.language or settings.LANGUAGE_CODE):
                message = _message(verdict)[:300]
            key = f"conversion-alert:{stage.pipeline_id}:{stage.pk}:{verdict.period.first_day.isoformat()}:{user.pk}"
            notifications.append(
                Notification(
                    user=user,
                    kind=Notification.Kind.ALERT,
                    dedupe_key=key,
                    message=message,
                    link=link + "#section-conversion_trend",
                    created_at=now,
                )
            )
    keys = [n.dedupe_key for n in notifications]
    with transaction.atomic():
        existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        new = [n for n in notifications if n.dedupe_key not in existing]
        # The unique dedupe key is the backstop when two runs overlap.
        Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)

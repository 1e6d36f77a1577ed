"""The board's cards, rendered in Python once per request's worth of constants.

A board holds up to 25 cards per column, and the template partial that drew them cost about
0.5 ms per card: a `{% url %}` (a full `reverse()`) for each of its five links, a catalog
look-up and an escape for each translated string, the template engine's per-node overhead.
`CardRenderer` resolves everything that does not depend on the deal once — the URL patterns
(reversed once with a placeholder id), the translated and escaped strings, the CSRF input,
the number and date formats of the active language — and then builds each card by joining
strings, escaping only what comes from the deal (title, organization, owner).
docs/board.md ("Rendering cost") has the figures and the alternatives measured.

The markup is the one DESIGN §6 and board.js rely on: `li.deal-card[data-deal-id][data-version]`,
`.is-readonly` / `.is-rotting`, the detail link, and for an open deal the viewer may change
"Move to…" / "Lost…" links and the "Won" form, all real links and forms that work without
JavaScript, carrying the board's filters.
"""

import functools
import re
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from accounts import avatar
from deals.models import Deal

# An id no deal has in practice and no other part of a deal URL contains; each pattern is
# reversed once with it and split around it.
PLACEHOLDER = 987654321
ONE = Decimal(1)
# The date format letters of django.utils.dateformat, and the ones drawn here without it.
FORMAT_CHARS = re.compile(r"(?<!\\)([aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ])")
DATE_PARTS = {
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
}
OPEN = Deal.Status.OPEN
# What the csrf context processor gives when no token could be made ({% csrf_token %} draws nothing).
NO_CSRF_TOKEN = "NOTPROVIDED"  # noqa: S105 - a marker, not a secret


@functools.lru_cache(maxsize=4096)
def days_text(language, count):
    """ "3 days", escaped, in `language` (the active one: the argument keys the cache). Kept
    across requests: a large board shows many distinct ages, each a catalog look-up."""
    return escape(ngettext("%(days)s day", "%(days)s days", count) % {"days": formats.localize(count)})


def _url_pattern(name):
    """(prefix, suffix) of the escaped URL of `name` for any deal id."""
    url = escape(reverse(name, args=[PLACEHOLDER]))
    prefix, suffix = url.split(str(PLACEHOLDER))
    return prefix, suffix


def money_formatter():
    """A function drawing an amount as `{{ value|floatformat:"0g" }}` does in the active
    language (rounded half up to whole units, grouped), with the separators read once."""
    grouping = formats.get_format("NUMBER_GROUPING")
    separator = formats.get_format("THOUSAND_SEPARATOR")
    if not isinstance(grouping, int):  # a locale with irregular groups: Django's own code
        return lambda value: formats.number_format(
            Decimal(value).quantize(ONE, ROUND_HALF_UP), 0, use_l10n=True, force_grouping=True
        )

    def money(value):
        if value is None:
            return ""
        number = int(Decimal(value).quantize(ONE, ROUND_HALF_UP))
        digits = str(abs(number))
        if grouping > 0 and len(digits) > grouping:
            head = len(digits) % grouping or grouping
            groups = [digits[:head]] + [digits[i : i + grouping] for i in range(head, len(digits), grouping)]
            digits = separator.join(groups)
        return f"-{digits}" if number < 0 else digits

    return money


def date_formatter(format_name="SHORT_DATE_FORMAT"):
    """A function drawing a date as `{{ value|date:format_name }}` does in the active
    language: the format is split once; the usual day/month/year letters are drawn directly,
    any other format goes through django.utils.dateformat."""
    date_format = formats.get_format(format_name)
    pieces = []
    for index, piece in enumerate(FORMAT_CHARS.split(date_format)):
        if index % 2:
            if piece not in DATE_PARTS:
                return lambda value: dateformat.format(value, date_format)
            pieces.append(DATE_PARTS[piece])
        elif piece:
            pieces.append(piece.replace("\\", ""))

    def draw(value):
        return escape("".join(p if isinstance(p, str) else p(value) for p in pieces))

    return draw


class QuoteSignal:
    """Draws a deal's quote (deals.quote_signal.QuoteBadge): an icon with the state and a tooltip
    naming the number and the validity; the texts are translated once per instance."""

    def __init__(self, date=None):
        self.date = date or date_formatter()
        # Each message is a plain gettext() call of its own (makemessages reads them).
        self.quote_labels = {
            state: escape(text)
            for state, text in (
                ("sent", gettext("Quote sent")),
                ("viewed", gettext("Quote viewed")),
                ("pending_approval", gettext("Quote awaiting approval")),
                ("draft", gettext("Quote draft")),
                ("accepted", gettext("Quote accepted")),
                ("declined", gettext("Quote declined")),
                ("expired", gettext("Quote expired")),
            )
        }
        self.quote_titles = {
            state: escape(text)
            for state, text in (
                ("sent", gettext("Quote %(number)s sent, valid until %(date)s")),
                ("viewed", gettext("Quote %(number)s sent and opened by the customer, valid until %(date)s")),
                ("pending_approval", gettext("Draft quote: its discount awaits a manager’s approval")),
                ("draft", gettext("Draft quote, not sent yet")),
                ("accepted", gettext("Quote %(number)s accepted by the customer")),
                ("declined", gettext("Quote %(number)s declined by the customer")),
                ("expired", gettext("Quote %(number)s expired: it was valid until %(date)s")),
            )
        }

    def __call__(self, badge):
        if badge is None:
            return ""
        state = badge.state
        label = self.quote_labels.get(state)
        if label is None:
            return ""
        valid_until = self.date(badge.valid_until) if badge.valid_until else ""
        title = self.quote_titles[state] % {"number": escape(badge.number), "date": valid_until}
        return (
            f'<span class="quote-signal quote-{state}" data-quote-state="{state}" title="{title}">'
            f'<span class="quote-icon" aria-hidden="true"></span>{label}</span>'
        )


class CardRenderer:
    """Draws cards for one request: build it once (URLs, strings, formats), call it per card."""

    def __init__(self, *, board_query="", csrf_token=None):
        query = escape(board_query)
        self.query = f"?{query}" if query else ""
        self.lost_query = f"?outcome=lost&amp;{query}" if query else "?outcome=lost"
        self.detail_url = _url_pattern("deals:detail")
        self.move_url = _url_pattern("deals:move")
        self.win_url = _url_pattern("deals:win")
        self._csrf_token = csrf_token
        self.currency = escape(settings.CRM_CURRENCY)
        self.money = money_formatter()
        self.date = date_formatter()
        # Each message is a plain gettext() call of its own: makemessages does not read inside f-strings.
        no_organization = escape(gettext("No organization"))
        self.no_organization = f'<span class="muted">{no_organization}</span>'
        self.expected_close = escape(gettext("Expected close"))
        self.overdue = escape(gettext("overdue")) + " "
        self.days_title = escape(gettext("Days in this stage"))
        rotting = escape(gettext("Rotting"))
        self.rotting = f'<span class="badge badge-danger" data-testid="rotting">{rotting}</span>'
        self.signals = {
            signal: f'<span class="activity-signal signal-{signal}" data-signal="{signal}">{escape(text)}</span>'
            for signal, text in (
                ("overdue", gettext("Activity overdue")),
                ("today", gettext("Activity today")),
                ("planned", gettext("Activity planned")),
                ("none", gettext("No activity")),
            )
        }
        self.quote = QuoteSignal(self.date)
        self.statuses = {
            value: f'<span class="badge">{escape(str(label))}</span>' for value, label in Deal.Status.choices
        }
        self.move_to = escape(gettext("Move to…"))
        self.won = escape(gettext("Won"))
        # A win starts the post-sale follow-ups: the card asks first (docs/board.md).
        self.won_confirm = gettext("Mark “%(title)s” as won?")
        self.lost = escape(gettext("Lost…"))
        self.reopen = escape(gettext("Reopen…"))
        self.readonly_title = escape(gettext("%(owner)s’s deal: you can open it but not change it."))
        self.readonly_text = escape(gettext("Read only: %(owner)s’s deal"))
        self._days = {}
        self._owners = {}

    @cached_property
    def csrf_input(self):
        """{% csrf_token %}'s input, made (and the token read) only when a card has a form."""
        token = str(self._csrf_token) if self._csrf_token else ""
        if not token or token == NO_CSRF_TOKEN:
            return ""
        return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'

    def days(self, count):
        """ "3 days" in the active language, once per distinct count."""
        text = self._days.get(count)
        if text is None:
            text = self._days[count] = days_text(get_language(), count)
        return text

    def owner(self, user):
        """(the avatar, the read-only tooltip, the read-only note) of an owner, once per owner."""
        parts = self._owners.get(user.pk)
        if parts is None:
            name = escape(str(user))
            parts = (
                avatar.avatar_html(user),
                self.readonly_title % {"owner": name},
                '<p class="card-readonly small" data-testid="card-readonly"><span class="lock" aria-hidden="true">'
                f"</span>{self.readonly_text % {'owner': name}}</p>",
            )
            self._owners[user.pk] = parts
        return parts

    def card(self, deal):
        """One card: `deal` comes from deals.selectors (owner, organization, can_change and the
        flags of `_decorate` loaded)."""
        pk = deal.pk
        title = escape(deal.title)
        avatar, readonly_title, readonly_text = self.owner(deal.owner)
        classes = "deal-card"
        if deal.is_rotting:
            classes += " is-rotting"
        if deal.can_change:
            tooltip = ""
        else:
            classes += " is-readonly"
            tooltip = f' title="{readonly_title}"'
        # The card is a tab stop; board.js reads these keys (docs/board.md, "Keyboard").
        keys = (
            ' aria-keyshortcuts="Enter M Alt+ArrowLeft Alt+ArrowRight"'
            if deal.can_change and deal.status == OPEN
            else ""
        )
        organization = deal.organization
        out = [
            f'<li class="{classes}" data-deal-id="{pk}" data-version="{deal.version}" tabindex="0"{keys}{tooltip}>',
            f'<a class="deal-title" href="{self.detail_url[0]}{pk}{self.detail_url[1]}" draggable="false">{title}</a>',
            f'<div class="deal-org">{escape(organization.name) if organization else self.no_organization}</div>',
            f'<div class="deal-meta"><span class="deal-value">{self.money(deal.value)} {self.currency}</span>'
            f"{avatar}</div>",
            '<div class="deal-flags">',
        ]
        if deal.expected_close_date:
            if deal.close_overdue:
                out.append(f'<span class="deal-close is-overdue" title="{self.expected_close}">{self.overdue}')
            else:
                out.append(f'<span class="deal-close" title="{self.expected_close}">')
            out.append(f"{self.date(deal.expected_close_date)}</span>")
        out.append(f'<span class="days-in-stage" title="{self.days_title}">{self.days(deal.days_in_stage)}</span>')
        if deal.is_rotting:
            out.append(self.rotting)
        out.append(self.signals[deal.next_activity])
        if deal.quote is not None:
            out.append(self.quote(deal.quote))
        if deal.status != OPEN:
            out.append(self.statuses[deal.status])
        out.append("</div>")
        if not deal.can_change:
            out.append(readonly_text)
        elif deal.status == OPEN:
            move = f"{self.move_url[0]}{pk}{self.move_url[1]}"
            win = f"{self.win_url[0]}{pk}{self.win_url[1]}{self.query}"
            lost = f"{move}{self.lost_query}"
            move += self.query
            hidden = f'<span class="sr-only"> {title}</span>'
            out.append(
                f'<div class="card-actions small">'
                f'<a class="move-link" href="{move}" hx-get="{move}" hx-target="#board-dialog-body">'
                f"{self.move_to}{hidden}</a>"
                f'<form method="post" action="{win}" hx-post="{win}" hx-swap="none"'
                f' hx-confirm="{escape(self.won_confirm % {"title": deal.title})}">{self.csrf_input}'
                f'<input type="hidden" name="version" value="{deal.version}">'
                f'<input type="hidden" name="from" value="board">'
                f'<button type="submit" class="linklike">{self.won}{hidden}</button></form>'
                f'<a class="lost-link" href="{lost}" hx-get="{lost}" hx-target="#board-dialog-body">'
                f"{self.lost}{hidden}</a></div>"
            )
        else:
            out.append(
                f'<a class="move-link small" href="{self.detail_url[0]}{pk}{self.detail_url[1]}">{self.reopen}</a>'
            )
        out.append("</li>")
        return "".join(out)

    def cards(self, deals):
        return SafeString("\n".join(self.card(deal) for deal in deals))

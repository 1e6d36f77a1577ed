"""Which tracking requests are people (docs/nurturing.md, "Bots and scanners").

Mail security gateways, webmail previews and chat unfurlers fetch the links of an e-mail before
(or instead of) the recipient. Every request is kept as a TrackingEvent; one the filter recognises
is stored with `counted=False` and the reason in `filtered`:

- "head": a HEAD request (link checkers ask whether a link works without following it);
- "no_user_agent": no User-Agent header (browsers always send one);
- "bot_user_agent": a user agent of the list below;
- "too_soon": a click within CRM_TRACKING_MIN_SECONDS (default 10) of the e-mail leaving;
- "burst": every link of an e-mail with two or more links clicked within BURST_SECONDS (2) — the
  scanner's pattern; the clicks of the burst made before it was recognised are re-marked.
"""

import re
from datetime import timedelta

from django.conf import settings

HEAD = "head"
NO_USER_AGENT = "no_user_agent"
BOT_USER_AGENT = "bot_user_agent"
TOO_SOON = "too_soon"
BURST = "burst"
BURST_SECONDS = 2

# (what it is, the pattern in its User-Agent), matched case-insensitively anywhere in the header.
KNOWN_AGENTS = (
    ("crawlers and bots of every kind", r"bot\b|bot/|crawl|spider|slurp"),
    ("link previewers", r"preview|unfurl|embedly|facebookexternalhit|skypeuripreview|whatsapp|telegram|discord"),
    ("Barracuda", r"barracuda"),
    ("Mimecast", r"mimecast"),
    ("Proofpoint", r"proofpoint"),
    ("Symantec / Broadcom", r"symantec|messagelabs"),
    ("Trend Micro", r"trend ?micro"),
    ("Microsoft Safe Links / Defender", r"safelinks|bingpreview|ms-office-linkscanner"),
    ("Cisco, FireEye, Forcepoint, Sophos, Fortinet", r"ironport|fireeye|forcepoint|sophos|fortiguard|fortinet"),
    ("other link scanners", r"scanner|linkcheck|validator|urlscan|virustotal"),
    ("HTTP libraries", r"python-requests|python-urllib|aiohttp|httpx|curl/|wget/|go-http-client|java/|okhttp"),
    ("HTTP libraries", r"libwww-perl|apache-httpclient|node-fetch|axios/|ruby|guzzle"),
    ("headless browsers", r"headlesschrome|phantomjs|puppeteer|playwright|selenium"),
)
_AGENTS = re.compile("|".join(f"(?:{pattern})" for _label, pattern in KNOWN_AGENTS), re.IGNORECASE)


def min_seconds():
    return getattr(settings, "CRM_TRACKING_MIN_SECONDS", 10)


def is_known_agent(user_agent):
    return bool(_AGENTS.search(user_agent or ""))


def request_verdict(*, kind, method, user_agent, at, sent_at):
    """The reason a single request is not counted, or "" when it counts. The burst rule needs the
    other clicks of the e-mail and is applied when the click is recorded (tracking_services)."""
    if method.upper() == "HEAD":
        return HEAD
    if not (user_agent or "").strip():
        return NO_USER_AGENT
    if is_known_agent(user_agent):
        return BOT_USER_AGENT
    if kind == "click" and sent_at is not None and at - sent_at < timedelta(seconds=min_seconds()):
        return TOO_SOON
    return ""

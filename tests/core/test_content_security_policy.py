"""The Content Security Policy and the htmx configuration that keeps pages within it (the
browser run in tests/browser/test_csp.py proves the result in Chromium)."""

import json
import re

import pytest


def _htmx_config(html):
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match, "base.html lost its htmx-config meta"
    return json.loads(match.group(1))


@pytest.mark.parametrize("debug", [False, True])
def test_pages_never_load_the_htmx_debug_script(client, rep, settings, debug):
    # With DEBUG on, django-htmx's debug script would replace the page with Django's error
    # page on any 4xx/5xx htmx answer, through inline styles and eval that the policy refuses.
    settings.DEBUG = debug
    client.force_login(rep)
    html = client.get("/leads/").content.decode()
    assert "django_htmx/htmx-2.min.js" in html
    assert "django-htmx.js" not in html


def test_htmx_inserts_no_inline_styles_and_keeps_no_page_copies(client):
    config = _htmx_config(client.get("/accounts/login/").content.decode())
    assert config["includeIndicatorStyles"] is False  # our own indicator CSS is in app.css
    assert config["allowEval"] is False
    # No history cache: a restored copy of a page would carry the style attributes that
    # Chart.js and SortableJS set (refused by the policy), and CRM data in sessionStorage.
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True


def test_the_policy_allows_no_inline_style_and_no_eval(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["style-src"] == "'self'"
    assert directives["script-src"].startswith("'self' 'nonce-")
    assert "unsafe" not in policy

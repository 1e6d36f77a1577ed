"""Rerunnable screenshots of the demo for docs/ and the README.

Builds a throwaway SQLite database with `seed_demo`, starts the app on a free local
port, logs in through the login form with Debian's Chromium and saves PNGs to
docs/screenshots/. Usage: `make screenshots` (or .venv/bin/python scripts/screenshots.py).
The German phone board: `scripts/screenshots.py --only board.png --locale de-DE --viewport 390x844
--suffix=-de-phone` writes docs/screenshots/board-de-phone.png.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    # (file name, user, path, what to wait for[, a link to follow first])
    ("board.png", "rep1", "/board/", "[data-stage-id]"),
    ("board-manager.png", "manager", "/board/", "[data-stage-id]"),
    ("dashboard.png", "manager", "/dashboard/", "canvas"),
    ("leads.png", "manager", "/leads/", "table"),
    ("activities.png", "rep1", "/activities/", "main"),
    ("organizations.png", "manager", "/organizations/?o=-open_value", "[data-testid=organization-table]"),
    (
        "organization.png",
        "rep1",
        "/organizations/?o=-open_value",
        "[data-testid=organization-figures]",
        "[data-testid=organization-table] tbody a",
    ),
    ("contacts.png", "manager", "/contacts/?open_deals=yes", "table"),
    ("contact.png", "rep1", "/contacts/?open_deals=yes", "[data-testid=contact-figures]", "table tbody td a"),
    ("deal.png", "rep1", "/board/", "[data-testid=line-items]", "li.deal-card:not(.is-readonly) a.deal-title"),
    # The demo's quote waiting for approval, as the admin who decides on it.
    ("quote.png", "admin", "/quotes/approvals/", "[data-testid=quote-number]", "main table tbody a.button"),
    # Connecting a mailbox: presets, the servers, the write-only password, the BCC address.
    ("mailbox.png", "rep1", "/accounts/mailbox/", "[data-testid=mailbox-bcc-address]"),
]
# Taken as the whole page (the line items are below the form).
FULL_PAGE = {"deal.png", "quote.png", "mailbox.png"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local server)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The app did not answer at {url} within {timeout} s.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=400, help="demo deals to seed (default 400)")
    parser.add_argument("--only", nargs="*", default=None, help="file names to take (default: all)")
    parser.add_argument("--locale", default="en-GB", help="the browser's language, e.g. de-DE (pages follow it)")
    parser.add_argument("--viewport", default="1440x900", help="WIDTHxHEIGHT, e.g. 390x844 for a phone")
    parser.add_argument("--suffix", default="", help="added to each file name: -de-phone → board-de-phone.png")
    args = parser.parse_args()
    width, height = (int(n) for n in args.viewport.lower().split("x"))
    phone = width < 700
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CRM_MODE": "embedded",
            "DEBUG": "false",
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
            "CRM_VAR_DIR": tmp,
            "CELERY_BROKER_URL": "memory://",
            "CACHE_URL": "locmem://",
        }
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "seed_demo", "--deals", str(args.deals)], cwd=ROOT, env=env, check=True)
        port = free_port()
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "pipeline_crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{base}/healthz")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                for filename, username, path, ready, *follow in PAGES:
                    if args.only and filename not in args.only:
                        continue
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        locale=args.locale,
                        is_mobile=phone,
                        has_touch=phone,
                    )
                    page = context.new_page()
                    page.goto(f"{base}/accounts/login/?next={path}")
                    # By field and button, not by label: the login page speaks the browser's language.
                    page.locator("#id_username").fill(username)
                    page.locator("#id_password").fill("demo")
                    page.locator("main button[type=submit]").click()
                    if follow:
                        page.locator(follow[0]).first.click()
                    page.wait_for_selector(ready, timeout=15000)
                    page.wait_for_timeout(800)  # let charts finish their animation
                    target = OUT / (Path(filename).stem + args.suffix + Path(filename).suffix)
                    page.screenshot(path=target, full_page=filename in FULL_PAGE)
                    print(f"wrote {target}")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

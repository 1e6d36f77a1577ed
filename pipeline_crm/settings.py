"""Pipeline CRM settings: one module, every value from the environment.

CRM_MODE selects the defaults. "embedded" (set by `make run` / `make test`) runs on a
SQLite file, Celery's filesystem broker and a file cache with a development secret.
Anything else is production and fails closed: no default SECRET_KEY, database,
broker or cache, and DEBUG off unless asked for.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from pipeline_crm import env
from pipeline_crm.beat import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("CRM_VAR_DIR", str(BASE_DIR / "var")))

CRM_MODE = env.string("CRM_MODE", "production")
if CRM_MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"CRM_MODE={CRM_MODE!r}: use 'embedded' or 'production'.")
EMBEDDED = CRM_MODE == "embedded"


def _default(embedded_value):
    """A default that only the embedded mode has; production must set the variable."""
    return embedded_value if EMBEDDED else env._MISSING


SECRET_KEY = env.string("SECRET_KEY", _default("embedded-development-key-not-for-production-use-0123456789"))
DEBUG = env.boolean("DEBUG", EMBEDDED)
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if EMBEDDED else [])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "ninja",
    "axes",
    "auditlog",
    "accounts",
    "audit",
    "events",
    "customers",
    "leads",
    "deals",
    "activities",
    "mail",
    "quotes",
    "timeline",
    "directory",
    "search",
    "lists",
    "transfer",
    "nurturing",
    "analytics",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    # After the login check: the signed-in user's language and time zone (accounts/localization.py).
    "accounts.middleware.UserLocaleMiddleware",
    "audit.middleware.AuditContextMiddleware",
    # After the audit context: the API's idempotency keys and ?fields= (api/middleware.py).
    "api.middleware.ApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pipeline_crm.urls"
WSGI_APPLICATION = "pipeline_crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "pipeline_crm.context_processors.crm",
            ],
        },
    },
]

# Database -------------------------------------------------------------------------------
DATABASE_URL = env.string("DATABASE_URL", _default(f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
# DB_CONN_MAX_AGE: seconds a request's connection is kept for the next request of the same
# worker thread (0 = a new connection per request). Production keeps them (docs/operations.md:
# measured under the 20-rep load); health checks replace a connection the server has closed.
_conn_max_age = env.integer("DB_CONN_MAX_AGE", 0 if EMBEDDED else 600)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=_conn_max_age, conn_health_checks=env.boolean("DB_CONN_HEALTH_CHECKS", True)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a Celery worker writes; IMMEDIATE avoids
    # "database is locked" on lock upgrades inside transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env.string("SQLITE_TEST_NAME", "") or None}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler: the pages' queries with EXISTS subqueries per row are
    # estimated expensive enough to be compiled, and compiling took 4.3 s for a query that ran
    # in 0.2 s (the organization list at 100,000 deals). Off for every connection; DB_PG_OPTIONS
    # replaces the startup options (docs/operations.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = env.string("DB_PG_OPTIONS", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared by every process (rate limits and locks live here) -------------------------
CACHE_URL = env.string("CACHE_URL", _default(f"file://{VAR_DIR / 'cache'}"))
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL.startswith("file://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_URL.removeprefix("file://"),
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: use redis://…, file:///path or locmem://.")

# Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The throttle first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginThrottleBackend", "accounts.backends.UserWithTeamBackend"]
# Sessions are read from the shared cache and written through to the database: one query
# less on every request (the board's 304 poll needs no query of its own but the ETag's).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "deals:board"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A password-reset link is valid for this many seconds (and only until it has been used).
PASSWORD_RESET_TIMEOUT = env.integer("PASSWORD_RESET_TIMEOUT", 3600)
# Reset requests per submitted address and per client IP within the window (shared cache).
CRM_PASSWORD_RESET_MAX_PER_ADDRESS = env.integer("CRM_PASSWORD_RESET_MAX_PER_ADDRESS", 3)
CRM_PASSWORD_RESET_MAX_PER_IP = env.integer("CRM_PASSWORD_RESET_MAX_PER_IP", 10)
CRM_PASSWORD_RESET_WINDOW = env.integer("CRM_PASSWORD_RESET_WINDOW", 3600)

# The client IP, one rule for the whole product (login throttling, web-form rate limit,
# password-reset limit): REMOTE_ADDR unless CRM_TRUSTED_PROXY_HOPS proxies of our own stand
# in front of the app and each appends the address it received from to CRM_CLIENT_IP_HEADER.
# The client is then the header's N-th entry from the right (docs/accounts.md).
CRM_TRUSTED_PROXY_HOPS = env.integer("CRM_TRUSTED_PROXY_HOPS", 0)
CRM_CLIENT_IP_HEADER = env.string("CRM_CLIENT_IP_HEADER", "X-Forwarded-For")
if CRM_TRUSTED_PROXY_HOPS < 0:
    raise ImproperlyConfigured("CRM_TRUSTED_PROXY_HOPS must be 0 (no proxy) or the number of proxies you run.")
if CRM_TRUSTED_PROXY_HOPS and not CRM_CLIENT_IP_HEADER.strip():
    raise ImproperlyConfigured("CRM_TRUSTED_PROXY_HOPS is set: CRM_CLIENT_IP_HEADER must name the proxies' header.")
if env.string("LEADS_CLIENT_IP_HEADER", ""):
    # Removed, not aliased: the old example configuration trusted X-Forwarded-For on a
    # directly published container, which let anyone choose their IP. Decide anew.
    raise ImproperlyConfigured(
        "LEADS_CLIENT_IP_HEADER is no longer read. Remove it; behind proxies of your own set "
        "CRM_TRUSTED_PROXY_HOPS (and CRM_CLIENT_IP_HEADER if not X-Forwarded-For); see docs/accounts.md."
    )

# Login throttling (django-axes): CRM_LOGIN_FAILURE_LIMIT failed logins for one user name,
# or from one client IP, lock further logins for it until CRM_LOGIN_COOLOFF_MINUTES have
# passed since the last counted failure (failures older than that are forgotten).
AXES_FAILURE_LIMIT = env.integer("CRM_LOGIN_FAILURE_LIMIT", 5)
_cooloff_minutes = env.integer("CRM_LOGIN_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or _cooloff_minutes < 1:
    raise ImproperlyConfigured("CRM_LOGIN_FAILURE_LIMIT and CRM_LOGIN_COOLOFF_MINUTES must be at least 1.")
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts made while locked out do not extend the lockout: it ends on time by itself.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful login does not clear the counters: it would let one valid account reset the
# counter of the IP it guesses other accounts' passwords from.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
# Every failed login is kept in admin (Access failures), not only the live counters.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Internationalisation ---------------------------------------------------------------------
# British English by default: day-first dates and 24-hour times, as the teams we build for expect.
LANGUAGE_CODE = env.string("LANGUAGE_CODE", "en-gb")
LANGUAGES = [("en-gb", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and time format per language, 24-hour clock in English too (docs/translations.md).
FORMAT_MODULE_PATH = ["pipeline_crm.formats"]
TIME_ZONE = env.string("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
CRM_CURRENCY = env.string("CRM_CURRENCY", "EUR")
# CSV exports (docs/csv.md): "auto" writes semicolon + decimal comma for German users and
# comma + decimal point otherwise; "comma" or "semicolon" fixes one for everybody.
CRM_CSV_DIALECT = env.string("CRM_CSV_DIALECT", "auto")
if CRM_CSV_DIALECT not in {"auto", "comma", "semicolon"}:
    raise ImproperlyConfigured(f"CRM_CSV_DIALECT={CRM_CSV_DIALECT!r}: use 'auto', 'comma' or 'semicolon'.")
# Quotes (docs/quotes.md): numbers are <prefix>-<year>-<seq>; a link opened within this many
# seconds of sending is taken for a mail scanner's prefetch, not the customer.
CRM_QUOTE_NUMBER_PREFIX = env.string("CRM_QUOTE_NUMBER_PREFIX", "AN")
CRM_QUOTE_SCANNER_SECONDS = env.integer("CRM_QUOTE_SCANNER_SECONDS", 30)
# Nurturing (docs/nurturing.md, "Bots and scanners"): a click on a tracked link within this many
# seconds of the e-mail leaving is taken for a mail scanner and not counted.
CRM_TRACKING_MIN_SECONDS = env.integer("CRM_TRACKING_MIN_SECONDS", 10)
# The customer's link /q/<token>/: a client IP that opens more than this many unknown links
# per window (seconds) is refused every link until the window ends (counted in the shared cache).
CRM_QUOTE_LINK_MAX_MISSES = env.integer("CRM_QUOTE_LINK_MAX_MISSES", 20)
CRM_QUOTE_LINK_MISS_WINDOW = env.integer("CRM_QUOTE_LINK_MISS_WINDOW", 600)

# Static files: our own code in static/, libraries served straight from node_modules ------
STATIC_URL = "static/"
# The embedded mode serves files straight from the finders (static/ and node_modules);
# production serves what collectstatic wrote to STATIC_ROOT.
STATIC_ROOT = Path(env.string("STATIC_ROOT", str(BASE_DIR / "staticfiles"))) if not EMBEDDED else None
WHITENOISE_USE_FINDERS = EMBEDDED
WHITENOISE_AUTOREFRESH = EMBEDDED and DEBUG
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/sortablejs", BASE_DIR / "node_modules" / "sortablejs"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    # The calendar page loads the browser bundles (index.global.min.js) of core and its plugins.
    ("vendor/fullcalendar", BASE_DIR / "node_modules" / "@fullcalendar"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.boolean("STATIC_MANIFEST", not EMBEDDED)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Security -------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", not EMBEDDED)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", not EMBEDDED)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0 if EMBEDDED else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
# Preloading HSTS cannot be undone quickly, so it is an operator's explicit choice, not a default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite cannot defer a unique constraint, so Django leaves out the one on stage order; the
    # admin's validation refuses duplicates there (docs/architecture.md).
    SILENCED_SYSTEM_CHECKS.append("models.W038")
    # SQLite has no covering indexes: the board's old-deal count index keeps its key columns there
    # and only PostgreSQL adds the owner for an index-only count (docs/board.md).
    SILENCED_SYSTEM_CHECKS.append("models.W040")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.boolean("BEHIND_TLS_PROXY", False) else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/live$"]
X_FRAME_OPTIONS = "DENY"
# A stale form gets a page in the product's look that says to reload (templates/403_csrf.html).
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"

# E-mail (Django 6.1 mailers) ---------------------------------------------------------------
EMAIL_BACKEND_PATH = env.string(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if EMBEDDED else "django.core.mail.backends.smtp.EmailBackend",
)
# The SMTP socket timeout (seconds, per command); one message takes about four commands, so the
# outbox's claim lease (CRM_EMAIL_CLAIM_LEASE_SECONDS, below) must be longer than 4 × this.
_EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 20)
if EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    # EMAIL_FILE_PATH: the folder that receives one file per sent message.
    _mail_options = {"file_path": env.string("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
elif EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": env.string("EMAIL_HOST", "localhost"),
        "port": env.integer("EMAIL_PORT", 25),
        "username": env.string("EMAIL_HOST_USER", ""),
        "password": env.string("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env.boolean("EMAIL_USE_TLS", False),
        "timeout": _EMAIL_TIMEOUT,
    }
else:
    _mail_options = {}
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Pipeline CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", _default("filesystem://"))
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder for in and out: producer and consumer are separate processes.
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # The exchange tables (kombu's default is ./control, relative to the working directory).
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
else:
    # Every countdown/ETA must stay below this, or Redis redelivers the task early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.integer("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule lives in code (pipeline_crm/beat.py); each entry names the service it runs.
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every rendering step at INFO; its warnings (a refused URL) stay.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# App settings -------------------------------------------------------------------------------
# --- deals / board ---

# --- audit trail (docs/audit.md) ---
# django-auditlog with our own entry model (it adds the source of a change).
AUDITLOG_LOGENTRY_MODEL = "audit.LogEntry"
# django-auditlog's migrations create its own log table even when the entry model is swapped
# (they do not declare it swappable); an unused table that references the content types would
# also stop the test runner's TRUNCATE on PostgreSQL. Its models need no migrations here.
MIGRATION_MODULES = {"auditlog": None}
# Typed values in `changes` (numbers stay numbers, booleans booleans, None is null).
AUDITLOG_STORE_JSON_CHANGES = True
# We record no IP addresses (the source and the user say where a change came from).
AUDITLOG_DISABLE_REMOTE_ADDR = True
# Timeline pages: entries per page.
TIMELINE_PAGE_SIZE = env.integer("TIMELINE_PAGE_SIZE", 25)

# --- leads ---
# The public web form: at most LEADS_WEBFORM_RATE_LIMIT submissions per client IP per
# LEADS_WEBFORM_RATE_WINDOW seconds (counted in the shared cache). The client IP follows
# CRM_TRUSTED_PROXY_HOPS / CRM_CLIENT_IP_HEADER (Auth section).
LEADS_WEBFORM_RATE_LIMIT = env.integer("LEADS_WEBFORM_RATE_LIMIT", 5)
LEADS_WEBFORM_RATE_WINDOW = env.integer("LEADS_WEBFORM_RATE_WINDOW", 600)
# CSV imports with more valid rows than this run as a Celery task with a progress bar.
LEADS_IMPORT_SYNC_MAX_ROWS = env.integer("LEADS_IMPORT_SYNC_MAX_ROWS", 500)
LEADS_IMPORT_MAX_BYTES = env.integer("LEADS_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# The country whose national phone numbers ("030 1234567") leads are written in: duplicate
# leads are matched on the number in international form (leads.contact_keys).
LEADS_PHONE_REGION = env.string("LEADS_PHONE_REGION", "DE").upper()
if LEADS_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"LEADS_PHONE_REGION={LEADS_PHONE_REGION!r} is not a two-letter region code such as DE, AT or CH."
    )
# Rows per committed batch: the unit of progress (and of the heartbeat) of a running import.
LEADS_IMPORT_BATCH_SIZE = env.integer("LEADS_IMPORT_BATCH_SIZE", 1000)
# A queued or running import without progress for this many minutes is marked failed (its
# worker died or never picked it up); the user can retry it, done rows are skipped.
LEADS_IMPORT_STALE_MINUTES = env.integer("LEADS_IMPORT_STALE_MINUTES", 10)
# Runs of one import (a redelivered task starts another) before it is given up as failed.
LEADS_IMPORT_MAX_ATTEMPTS = env.integer("LEADS_IMPORT_MAX_ATTEMPTS", 3)
if LEADS_IMPORT_BATCH_SIZE < 1 or LEADS_IMPORT_STALE_MINUTES < 1 or LEADS_IMPORT_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("LEADS_IMPORT_BATCH_SIZE, LEADS_IMPORT_STALE_MINUTES and LEADS_IMPORT_MAX_ATTEMPTS ≥ 1.")

# --- transfer: imports and exports of organizations, contacts, deals, activities ---
# Files with more rows than this are checked and imported by a Celery task with a progress bar.
TRANSFER_IMPORT_SYNC_MAX_ROWS = env.integer("TRANSFER_IMPORT_SYNC_MAX_ROWS", 200)
TRANSFER_IMPORT_MAX_BYTES = env.integer("TRANSFER_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
TRANSFER_IMPORT_MAX_ROWS = env.integer("TRANSFER_IMPORT_MAX_ROWS", 50000)
# Rows between two progress reports (and heartbeats) of a running dry run or import.
TRANSFER_IMPORT_BATCH_SIZE = env.integer("TRANSFER_IMPORT_BATCH_SIZE", 500)
# A dry run or import without progress for this many minutes (and whose worker holds no lock
# on it) is marked failed; the user runs the dry run again.
TRANSFER_IMPORT_STALE_MINUTES = env.integer("TRANSFER_IMPORT_STALE_MINUTES", 10)
TRANSFER_IMPORT_MAX_ATTEMPTS = env.integer("TRANSFER_IMPORT_MAX_ATTEMPTS", 3)
if min(TRANSFER_IMPORT_BATCH_SIZE, TRANSFER_IMPORT_STALE_MINUTES, TRANSFER_IMPORT_MAX_ATTEMPTS) < 1:
    raise ImproperlyConfigured(
        "TRANSFER_IMPORT_BATCH_SIZE, TRANSFER_IMPORT_STALE_MINUTES and TRANSFER_IMPORT_MAX_ATTEMPTS ≥ 1."
    )

# --- activities ---
# Absolute links in e-mails (reminders, digests).
CRM_BASE_URL = env.string("CRM_BASE_URL", "http://localhost:8000")
# EMAIL_FILE_PATH (where the file-based backend writes) is read into MAILERS above.
# A claimed e-mail whose sender did not send it within this many seconds is retried. The
# sender renews the lease right before each message, so the lease must only outlive one
# message (4 SMTP commands of at most EMAIL_TIMEOUT each), not a whole batch or task.
CRM_EMAIL_CLAIM_LEASE_SECONDS = env.integer("CRM_EMAIL_CLAIM_LEASE_SECONDS", 120)
CRM_EMAIL_MAX_ATTEMPTS = env.integer("CRM_EMAIL_MAX_ATTEMPTS", 5)
# How often beat runs the reminder service (seconds; below the visibility timeout).
CELERY_BEAT_SCHEDULE["activities-send-due-reminders"]["schedule"] = env.integer("CRM_REMINDER_INTERVAL_SECONDS", 60)
if CRM_EMAIL_CLAIM_LEASE_SECONDS <= 4 * _EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"CRM_EMAIL_CLAIM_LEASE_SECONDS={CRM_EMAIL_CLAIM_LEASE_SECONDS} must exceed 4 × EMAIL_TIMEOUT "
        f"({4 * _EMAIL_TIMEOUT} s): a message still being sent must not be taken over."
    )


# --- mail (docs/email.md) ---
# Fernet keys for mailbox secrets, comma-separated: the first encrypts, all decrypt (rotation:
# put a new key first, run `manage.py rotate_mail_secrets`, then drop the old one). The embedded
# mode derives one from SECRET_KEY; in production, without it, mailboxes cannot be connected
# (the mailbox page says so) and the rest of the app runs.
def _derived_mail_key(secret_key):
    digest = hashlib.sha256(b"pipeline-crm mail secrets\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


CRM_MAIL_KEYS = env.string_list("CRM_MAIL_KEYS", [_derived_mail_key(SECRET_KEY)] if EMBEDDED else [])
# An extra CA bundle trusted for IMAP and SMTP (a company CA; the development server's certificate).
CRM_MAIL_CA_FILE = env.string("CRM_MAIL_CA_FILE", "")
# Seconds for each network operation with a mail server.
CRM_MAIL_TIMEOUT = env.integer("CRM_MAIL_TIMEOUT", 20)
# Attachments larger than this are listed with name and size but not kept; messages larger
# than CRM_MAIL_MAX_MESSAGE_BYTES keep their headers and first text only.
CRM_MAIL_MAX_ATTACHMENT_BYTES = env.integer("CRM_MAIL_MAX_ATTACHMENT_BYTES", 15 * 1024 * 1024)
CRM_MAIL_MAX_MESSAGE_BYTES = env.integer("CRM_MAIL_MAX_MESSAGE_BYTES", 40 * 1024 * 1024)
# How often beat syncs every connected mailbox (seconds).
CRM_MAIL_SYNC_INTERVAL_SECONDS = env.integer("CRM_MAIL_SYNC_INTERVAL_SECONDS", 120)
CELERY_BEAT_SCHEDULE["mail-sync-all-mailboxes"]["schedule"] = float(CRM_MAIL_SYNC_INTERVAL_SECONDS)
CELERY_BEAT_SCHEDULE["mail-sync-all-mailboxes"]["options"]["expires"] = max(5, CRM_MAIL_SYNC_INTERVAL_SECONDS - 10)
# Messages fetched per IMAP command; the folder's position is committed after each batch.
CRM_MAIL_SYNC_BATCH_SIZE = env.integer("CRM_MAIL_SYNC_BATCH_SIZE", 50)
# The first sync of a folder (and the one after a UIDVALIDITY change) takes the last N days.
CRM_MAIL_FIRST_SYNC_DAYS = env.integer("CRM_MAIL_FIRST_SYNC_DAYS", 30)
if CRM_MAIL_SYNC_INTERVAL_SECONDS < 10 or CRM_MAIL_SYNC_BATCH_SIZE < 1 or CRM_MAIL_FIRST_SYNC_DAYS < 1:
    raise ImproperlyConfigured(
        "CRM_MAIL_SYNC_INTERVAL_SECONDS ≥ 10, CRM_MAIL_SYNC_BATCH_SIZE ≥ 1, CRM_MAIL_FIRST_SYNC_DAYS ≥ 1."
    )
# The shared BCC / forwarding address: mail to <local>+<token>@<domain> is linked for the user
# whose dropbox token it carries (the dropbox mailbox itself is configured in admin).
CRM_MAIL_DROPBOX_ADDRESS = env.string("CRM_MAIL_DROPBOX_ADDRESS", "crm@localhost" if EMBEDDED else "")
# A message written in the CRM that a worker claimed but did not send within this many seconds
# is sent again (mail/sending.py): longer than one SMTP delivery and one IMAP APPEND may take.
CRM_MAIL_SEND_LEASE_SECONDS = env.integer("CRM_MAIL_SEND_LEASE_SECONDS", 300)
if CRM_MAIL_SEND_LEASE_SECONDS <= 4 * CRM_MAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"CRM_MAIL_SEND_LEASE_SECONDS={CRM_MAIL_SEND_LEASE_SECONDS} must exceed 4 × CRM_MAIL_TIMEOUT "
        f"({4 * CRM_MAIL_TIMEOUT} s): a message still being sent must not be taken over."
    )

# --- nurturing (docs/nurturing.md) ---
# No marketing e-mail between these hours in the person's time zone ("20-8"; empty: none).
CRM_NURTURE_QUIET_HOURS = env.string("CRM_NURTURE_QUIET_HOURS", "20-8")
# At most this many marketing e-mails to one receiving domain per minute.
CRM_NURTURE_DOMAIN_RATE_PER_MINUTE = env.integer("CRM_NURTURE_DOMAIN_RATE_PER_MINUTE", 20)
# At most this many marketing e-mails per sender and day (the sender's day, in their time zone).
CRM_NURTURE_DAILY_CAP_PER_USER = env.integer("CRM_NURTURE_DAILY_CAP_PER_USER", 300)
# A claimed enrolment whose run did not finish within this many seconds is run again.
CRM_NURTURE_LEASE_SECONDS = env.integer("CRM_NURTURE_LEASE_SECONDS", 300)
# Enrolments one run takes at most, and how often beat starts a run (seconds).
CRM_NURTURE_RUN_LIMIT = env.integer("CRM_NURTURE_RUN_LIMIT", 2000)
CRM_NURTURE_RUN_INTERVAL_SECONDS = env.integer("CRM_NURTURE_RUN_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE["nurturing-run-due"]["schedule"] = float(CRM_NURTURE_RUN_INTERVAL_SECONDS)
CELERY_BEAT_SCHEDULE["nurturing-run-due"]["options"]["expires"] = max(5, CRM_NURTURE_RUN_INTERVAL_SECONDS - 5)
if min(CRM_NURTURE_DOMAIN_RATE_PER_MINUTE, CRM_NURTURE_DAILY_CAP_PER_USER, CRM_NURTURE_RUN_LIMIT) < 1:
    raise ImproperlyConfigured(
        "CRM_NURTURE_DOMAIN_RATE_PER_MINUTE, CRM_NURTURE_DAILY_CAP_PER_USER and CRM_NURTURE_RUN_LIMIT ≥ 1."
    )
if CRM_NURTURE_LEASE_SECONDS < 10 or CRM_NURTURE_RUN_INTERVAL_SECONDS < 1:
    raise ImproperlyConfigured("CRM_NURTURE_LEASE_SECONDS ≥ 10 and CRM_NURTURE_RUN_INTERVAL_SECONDS ≥ 1.")

# --- analytics ---
# The nightly rollup's local time (installation time zone) and the bottleneck job's interval.
from celery.schedules import crontab as _crontab  # noqa: E402 (used by this section only)

ANALYTICS_ROLLUP_HOUR = env.integer("ANALYTICS_ROLLUP_HOUR", 2)
ANALYTICS_ROLLUP_MINUTE = env.integer("ANALYTICS_ROLLUP_MINUTE", 0)
ANALYTICS_BOTTLENECK_MINUTES = env.integer("ANALYTICS_BOTTLENECK_MINUTES", 15)
if not (0 <= ANALYTICS_ROLLUP_HOUR <= 23 and 0 <= ANALYTICS_ROLLUP_MINUTE <= 59 and ANALYTICS_BOTTLENECK_MINUTES >= 1):
    raise ImproperlyConfigured(
        "ANALYTICS_ROLLUP_HOUR 0–23, ANALYTICS_ROLLUP_MINUTE 0–59, ANALYTICS_BOTTLENECK_MINUTES ≥ 1."
    )
CELERY_BEAT_SCHEDULE["analytics-rollup-nightly"]["schedule"] = _crontab(
    hour=ANALYTICS_ROLLUP_HOUR, minute=ANALYTICS_ROLLUP_MINUTE
)
CELERY_BEAT_SCHEDULE["analytics-stage-health"]["schedule"] = ANALYTICS_BOTTLENECK_MINUTES * 60.0
CELERY_BEAT_SCHEDULE["analytics-stage-health"]["options"]["expires"] = max(30, ANALYTICS_BOTTLENECK_MINUTES * 60 - 60)

# --- API and webhooks (docs/api.md) ---
# Requests per token (per user for the signed-in session): "<n>/<s|min|hour|day>".
API_RATE_LIMIT = env.string("API_RATE_LIMIT", "600/min")
# How long the answer to a POST with an Idempotency-Key is kept and replayed.
API_IDEMPOTENCY_HOURS = env.integer("API_IDEMPOTENCY_HOURS", 24)
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200
# Webhook requests: seconds before a receiver's answer times out, and how long a worker holds
# a delivery it is sending (a killed worker's delivery is retried once this runs out).
WEBHOOK_TIMEOUT_SECONDS = env.integer("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_LEASE_SECONDS = env.integer("WEBHOOK_LEASE_SECONDS", 60)
# How long dispatched events, their deliveries and the delivery log are kept.
WEBHOOK_RETENTION_DAYS = env.integer("WEBHOOK_RETENTION_DAYS", 30)

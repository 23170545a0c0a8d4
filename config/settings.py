"""The one settings module, driven by environment variables.

Defaults give the embedded stack that `make run` needs (SQLite and a Celery broker on the local
file system); `DATABASE_URL` switches to PostgreSQL and `CELERY_BROKER_URL` to Redis. The typed
helpers reject bad values at start-up rather than misbehaving later.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files of the embedded stack (SQLite database, file-system broker); never committed.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envtimezone(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone name such as Europe/Berlin, got {value!r}"
        ) from exc
    return value


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: str, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def envfloat(name: str, default: str, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


DEBUG = envbool("DEBUG", "false")
# The demo stack (`make run`, `DEMO=1 docker compose up`): demo users with a known password, and
# the development key below when SECRET_KEY is not set. Never set it in production.
DEMO = envbool("DEMO", "false")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Give it a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'; only a local "
            "development or demo run (DEBUG=true or DEMO=1) may go without one."
        )
    # Known to everyone, hence only for DEBUG or DEMO; the prefix makes `check --deploy` flag it.
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = [
    h for h in envstr("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# --- HTTPS ------------------------------------------------------------------------------------
# HTTPS=true (the site is served over TLS) turns on the redirect, secure cookies and a year of
# HSTS; each can be set on its own. With these set `manage.py check --deploy` is clean.
HTTPS = envbool("HTTPS", "false")
_https_default = "true" if HTTPS else "false"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", _https_default)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", _https_default)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", _https_default)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0", minimum=0)
# Both are promises about every subdomain (and, for preload, hard to take back): opt in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips it from clients).
if envbool("SECURE_PROXY_SSL_HEADER", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts and styles only from this site; the templates
# have no inline script. Inline style *attributes* stay allowed: the job board's Gantt bars and
# the progress bar are positioned with them (style-src-attr, not inline <style> or <script>).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "csp",
    "drf_spectacular_sidecar",
    "scheduling",
    "orders",
    "quoting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "orders.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so it sees a view's exception first: a lost database connection answers 503.
    "orders.outage.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# Connections are kept for a minute (checked before reuse) rather than opened per request: on
# PostgreSQL each new connection forks a server process, and a rep's page polls its quote a few
# times a second. With 8 reps quoting at once on 2 cores that fork cost a third of the CPU
# (`bench/quote_e2e.py`, docs/benchmarks-e2e.md). 0 restores one connection per request.
# The embedded SQLite database (`make run`): wait up to 20 s for another writer's lock. A
# transaction that reads and then writes must take the write lock when it begins: a deferred
# one that finds another writer when it upgrades fails at once with "database is locked"
# instead of waiting (a rep's accept while the worker stores an improvement). WAL lets the
# pages read while the worker writes.
SQLITE_OPTIONS: dict[str, object] = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;",
}
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "60", minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server and worker share the file: wait for the writer's lock instead of failing
    # (SQLITE_OPTIONS says why each option is there).
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    # Tests too use a file, not Django's default shared-cache in-memory database: there a
    # second connection (a solve running in a thread while the test polls) fails at once with
    # "database table is locked" instead of waiting for the lock like on a file.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", str(VAR_DIR / "test.sqlite3"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Sign-in failure counts and the token route's throttle live here: with several web processes
# they must be shared (CACHE_URL=redis://...; a database of its own, never the broker's).
CACHE_URL = envstr("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, got {CACHE_URL!r}")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Django's validators, for every password a person sets (createsuperuser, changepassword, the
# admin). seed_demo stores its demo password's hash directly: it is for demos only.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute-force protection (orders/sign_in.py): a username failing SIGN_IN_MAX_FAILURES times is
# locked out for SIGN_IN_LOCKOUT_MINUTES; the token route also takes at most SIGN_IN_RATE
# requests per client address.
AUTHENTICATION_BACKENDS = ["orders.sign_in.LockoutModelBackend"]
SIGN_IN_MAX_FAILURES = envint("SIGN_IN_MAX_FAILURES", "5", minimum=1)
SIGN_IN_LOCKOUT_MINUTES = envint("SIGN_IN_LOCKOUT_MINUTES", "15", minimum=1)
SIGN_IN_RATE = envstr("SIGN_IN_RATE", "10/minute")
if not re.fullmatch(r"\d+/(second|minute|hour|day)", SIGN_IN_RATE):
    raise ImproperlyConfigured(f"SIGN_IN_RATE must look like 10/minute, got {SIGN_IN_RATE!r}")
# API tokens expire this long after they are issued (a new one is issued on the next request).
API_TOKEN_TTL_HOURS = envint("API_TOKEN_TTL_HOURS", "24", minimum=1)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
# The shop's time zone (IANA name): how pages show times to a user who has not chosen one,
# and which day a delivery counts on. Stored times stay UTC.
TIME_ZONE = envtimezone("SHOP_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    # Token first: DRF answers an unauthenticated request with the first class's
    # WWW-Authenticate header, so a missing or bad token is a 401 (Session has none: 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orders.sign_in.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Only the token route is throttled (orders.api.TokenObtainView), per client address.
    "DEFAULT_THROTTLE_RATES": {"sign-in": SIGN_IN_RATE},
    # Proxies in front whose X-Forwarded-For is trusted for that address; 0: the peer address
    # (the header is the client's to forge).
    "NUM_PROXIES": envint("NUM_PROXIES", "0", minimum=0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "orders.openapi.ApiSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Schedule-aware order quoting API",
    "DESCRIPTION": "Quotes, promises and the job board. Promises are only made against a "
    "verified replanned schedule.",
    "VERSION": "1.0.0",
    # Swagger UI from the project's static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" or "status"; name each choice set after what it describes.
    "ENUM_NAME_OVERRIDES": {
        "PromiseKindEnum": "orders.models.Promise.Kind",
        "OrderStatusEnum": "orders.models.Order.Status",
        "OperationStateEnum": "orders.models.Operation.State",
        "CalendarExceptionKindEnum": "scheduling.models.CalendarException.Kind",
        "CapacityOptionKindEnum": "scheduling.models.CapacityOption.Kind",
        "CapacityOptionStatusEnum": "scheduling.models.CapacityOption.Status",
        "ScheduleVersionKindEnum": "scheduling.models.ScheduleVersion.Kind",
        "SolveStatusEnum": "quoting.models.SolveStatus",
        "ProposalStatusEnum": "quoting.models.ReplanProposal.Status",
        "AuditEventKindEnum": "quoting.models.AuditEvent.Kind",
        "DateChangeRequestStatusEnum": "quoting.models.DateChangeRequest.Status",
    },
}

# --- Celery -----------------------------------------------------------------------------------
# The embedded default is kombu's file-system transport: a real broker protocol with no server,
# so `make run` exercises the same asynchronous path as Redis does in production.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis re-delivers an unacknowledged task after the visibility timeout; it must exceed
    # the hard time limit, or a long solve would be handed to a second worker while running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", "3600", minimum=60)
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # the UI reads solve rows in the database, not results
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a solve is long; don't let one worker hoard the queue
CELERY_TASK_DEFAULT_QUEUE = "default"
# Solves go to the solver queue; the sweeper must not wait behind a long solve to find it dead.
# (Exact names are matched before the glob.)
CELERY_TASK_ROUTES = {
    "quoting.sweep_stale_solves": {"queue": "default"},
    "quoting.*": {"queue": "solver"},
}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")

# --- Engine -----------------------------------------------------------------------------------
# Seconds per CP-SAT solve: a sales rep waits for the answer ("within about a second").
ENGINE_TIME_LIMIT = envfloat("ENGINE_TIME_LIMIT", "1", minimum=0.1)
ENGINE_WORKERS = envint("ENGINE_WORKERS", "2", minimum=1)
# Portfolio: each quote is solved by this many tasks at once on the solver queue (a Celery
# group), each with its own CP-SAT seed; the best verified answer is kept and the other tasks
# are revoked (quoting/services/portfolio.py). 1 (one task, seed 0) is the plain solve. More
# than the solver processes available only queues members that are revoked before they run.
ENGINE_PORTFOLIO = envint("ENGINE_PORTFOLIO", "1", minimum=1)
# Anytime quotes: after the first answer the solve goes on improving it (twice the time each
# round, from the best schedule so far) until proof, a round that finds nothing better, or
# this many seconds; the rep may accept the best so far at any moment.
QUOTE_MAX_SECONDS = envfloat("QUOTE_MAX_SECONDS", "20", minimum=0)
# Seconds per replan-proposal solve: before a scheduler reviews a proposal it is polished (the
# quoted promise kept, as few planned operations moved as this allows), or solved with its
# capacity option. Nobody waits on it the way a rep waits on a quote.
ENGINE_PROPOSAL_TIME_LIMIT = envfloat("ENGINE_PROPOSAL_TIME_LIMIT", "5", minimum=0.1)
# Seconds for a repair of a board a breakdown broke: it runs in the background (a scheduler asked
# for it and approves what it finds), so it may search far longer than a shop-floor report.
ENGINE_REPAIR_TIME_LIMIT = envfloat("ENGINE_REPAIR_TIME_LIMIT", "30", minimum=0.1)
# When more quotes wait than the workers are solving, each solve gets its fair share of the
# time limit (limit x solving / (solving + queued)), never less than this: a rep then waits
# for the queue less, and the answer is still a verified schedule (proven_optimal says if
# the shorter search proved it). Set it equal to ENGINE_TIME_LIMIT to disable.
ENGINE_MIN_TIME_LIMIT = min(
    ENGINE_TIME_LIMIT, envfloat("ENGINE_MIN_TIME_LIMIT", "0.2", minimum=0.05)
)
# The soft limit lets the task record a failure; both stay well under the visibility timeout.
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", "120", minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", "180", minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT <= max(
    ENGINE_TIME_LIMIT * 3 + QUOTE_MAX_SECONDS * 2,
    ENGINE_PROPOSAL_TIME_LIMIT * 3,
    ENGINE_REPAIR_TIME_LIMIT * 2,
):
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT must exceed three engine time limits plus twice "
        "QUOTE_MAX_SECONDS (a quote, its options and its improvement), three proposal time "
        "limits and two repair time limits (ENGINE_REPAIR_TIME_LIMIT)"
    )
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must exceed CELERY_TASK_SOFT_TIME_LIMIT")
# A solve row still "solving" this long after its last heartbeat belongs to a dead worker.
# Heartbeats come every second from a thread of their own (the search does not hold them up),
# so 20 s is 20 missed beats; with the sweep every 10 s a quote whose worker was killed is
# back on the queue within 30 s (it was 300 s: five minutes of a rep looking at "Solving").
SOLVE_STALE_SECONDS = envint("SOLVE_STALE_SECONDS", "20", minimum=10)
SWEEP_SECONDS = envfloat("SWEEP_SECONDS", "10", minimum=1)
# Beat keeps its last-run times beside the other runtime files, not in the working directory.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# VAR_DIR and the broker folders are created when the apps load (config/runtime.py), not here:
# importing the settings writes nothing.
# Rolling forward: planned starts that passed more than PLAN_START_GRACE (15 min) ago without a
# report are moved to now. Well under the grace, so an unreported start is rolled within about
# twenty minutes; a run that finds nothing overdue is one query.
ROLL_FORWARD_SECONDS = envfloat("ROLL_FORWARD_SECONDS", "300", minimum=10)
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-solves": {"task": "quoting.sweep_stale_solves", "schedule": SWEEP_SECONDS},
    "roll-forward": {"task": "quoting.roll_forward", "schedule": ROLL_FORWARD_SECONDS},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
# Default safety buffer between a quote's planned completion and the date promised (minutes).
QUOTE_BUFFER_MINUTES = envint("QUOTE_BUFFER_MINUTES", "1440", minimum=0)
# How far ahead a requested or re-promised date may lie (days). A date years out is a typo, and
# instants near year 9999 overflow the solver's arithmetic.
PROMISE_HORIZON_DAYS = envint("PROMISE_HORIZON_DAYS", "1096", minimum=1)
# The currency capacity option costs are in (shown beside every cost; ISO 4217 code).
SHOP_CURRENCY = envstr("SHOP_CURRENCY", "EUR")

"""One settings module for every environment, configured from the environment (django-environ).

Defaults are the embedded setup of ``make run``: a SQLite file and Kombu's filesystem broker under
``var/``, so nothing needs a server. Production and CI set ``DATABASE_URL`` and ``CELERY_BROKER_URL``
to PostgreSQL and Redis. Times are stored in UTC; ``TIME_ZONE`` only chooses how they are shown.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("ACTIVESUPPORT_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
    TIME_ZONE=(str, "Europe/Brussels"),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
# Production turns on HTTPS-only behaviour (redirect, HSTS, secure cookies) and insists on a real
# SECRET_KEY. It is a flag of its own, not "DEBUG is off", because `make run` serves plain HTTP on
# 127.0.0.1 with DEBUG off and must keep working.
PRODUCTION = env.bool("DJANGO_PRODUCTION", default=False)
if PRODUCTION:
    # No default: a production server that forgot its key must not start with a published one.
    SECRET_KEY = env.str("SECRET_KEY")
else:
    # Only for a developer's machine. The "django-insecure-" prefix makes `check --deploy` reject it
    # (security.W009) if it is ever copied into a production environment.
    SECRET_KEY = env.str(
        "SECRET_KEY", default="django-insecure-dev-only-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
    )
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "django_celery_beat",
    "accounts",
    "declarations",
    "monitoring",
    "tickets",
    "dashboard",
    "portal",
    # Swagger UI's files from a package, served by whitenoise like ours: no CDN for the CSP to allow.
    "drf_spectacular_sidecar",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns the lockout raised by its backend into the 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "activesupport.urls"
WSGI_APPLICATION = "activesupport.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'activesupport.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: WAL lets readers run beside the writer, IMMEDIATE takes
    # the write lock at BEGIN so two writers queue instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default=None)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out login before ModelBackend checks (and times) the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Login lockout (django-axes) ------------------------------------------------------------------
# Kept switchable from the environment for an emergency; on everywhere by default, tests included.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Finite: a lockout that lasted until an admin lifted it would hand every attacker a denial of service.
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Username and address together: one address guessing one user's password is stopped, but cannot lock
# that user (or anyone else) out for people signing in from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked are refused but not counted, so the lock lifts a fixed time after it began:
# retrying cannot keep a user locked out for good, and a patient attacker still gets AXES_FAILURE_LIMIT guesses
# per cool-off either way.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# --- Security headers ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every page is server-rendered from our own files (htmx and Swagger UI included, served by whitenoise)
# and we write no inline script or style, so 'self' is enough. Swagger UI's CSS draws icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- HTTPS in production ---------------------------------------------------------------------------
# Each is on by default only under DJANGO_PRODUCTION; `make run` serves plain HTTP and needs them off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
# Load balancers and the container health check probe over plain HTTP, where a redirect to HTTPS fails them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
# Behind a TLS-terminating proxy, e.g. "HTTP_X_FORWARDED_PROTO,https". Only set it when that proxy
# always overwrites the header: otherwise a client could claim HTTPS and skip the redirect.
SECURE_PROXY_SSL_HEADER = env.tuple("SECURE_PROXY_SSL_HEADER", default=None)

# --- REST framework and OpenAPI -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Machine clients send an API key; the browser pages' session works too (with CSRF on writes).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_keys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api_keys.ClientScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "activesupport.api.KeysetPagination",
    "EXCEPTION_HANDLER": "activesupport.api.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Per user, and so per API client (each client is its own user).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Active Support desk API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Everything an agent or a customer does in the browser, for CAS deployments, ERPs and monitoring tools. "
        "Authenticate with `Authorization: Bearer <API key>`. Lists use keyset pagination (`cursor`). "
        'Every error is `{"error": {"status", "code", "message", "fields"}}`. '
        "POSTs that create something accept an `Idempotency-Key` header."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AlertKindEnum": "monitoring.models.AlertKind",
        "AlertStateEnum": "monitoring.models.Alert.State",
        "IncidentKindEnum": "monitoring.models.Incident.Kind",
        "QuarantineStatusEnum": "monitoring.models.QuarantinedEvent.Status",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "ProposalStatusEnum": "tickets.models.ResolutionProposal.Status",
        "ProposalActionEnum": "tickets.models.ResolutionProposal.Action",
        "KnowledgeLevelEnum": "monitoring.models.KnowledgeEntry.Level",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "activesupport.api.document_errors",
    ],
}
# Swagger UI from drf-spectacular-sidecar's static files instead of a CDN, so the CSP can stay 'self'.
SPECTACULAR_SETTINGS.update(SWAGGER_UI_DIST="SIDECAR", SWAGGER_UI_FAVICON_HREF="SIDECAR")
# An Idempotency-Key is remembered at least this long (IdempotencyRecord rows are deleted after it).
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=48)

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Kombu's exchange table; its default is ./control, which would land in the checkout.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # Longer than any task may run, so a task held by a live worker is never handed out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-polls": {
        "task": "monitoring.dispatch_due_polls",
        "schedule": env.float("CAS_DISPATCH_EVERY_SECONDS", default=5.0),
    },
    "escalate-alerts": {
        "task": "monitoring.escalate_alerts",
        "schedule": env.float("ALERT_ESCALATE_EVERY_SECONDS", default=5.0),
    },
    "sweep-overdue": {
        "task": "monitoring.sweep_overdue",
        "schedule": env.float("OVERDUE_SWEEP_EVERY_SECONDS", default=60.0),
    },
    "check-sla": {
        "task": "tickets.check_sla",
        "schedule": env.float("SLA_CHECK_EVERY_SECONDS", default=60.0),
    },
    "forget-idempotency-keys": {"task": "accounts.forget_idempotency_keys", "schedule": 3600.0},
}

# --- CAS feed ---------------------------------------------------------------------------------------
# How long one poll run may hold a connection; a crashed worker's lease lapses after this.
CAS_POLL_LEASE_SECONDS = env.int("CAS_POLL_LEASE_SECONDS", default=120)
# One run stops fetching after this long so other connections get a worker.
CAS_POLL_RUN_BUDGET_SECONDS = env.float("CAS_POLL_RUN_BUDGET_SECONDS", default=60.0)
CAS_HTTP_TIMEOUT_SECONDS = env.float("CAS_HTTP_TIMEOUT_SECONDS", default=10.0)
CAS_PAGE_LIMIT = env.int("CAS_PAGE_LIMIT", default=1000)
CAS_BACKOFF_BASE_SECONDS = env.float("CAS_BACKOFF_BASE_SECONDS", default=2.0)
CAS_BACKOFF_MAX_SECONDS = env.float("CAS_BACKOFF_MAX_SECONDS", default=300.0)
CAS_RETRY_AFTER_MAX_SECONDS = env.float("CAS_RETRY_AFTER_MAX_SECONDS", default=600.0)
# Fault drills only: sleep this long after a page is fetched and before it is applied, so a test can
# kill the worker in exactly that gap. Zero (off) everywhere else.
CAS_FAULT_PAUSE_AFTER_FETCH_SECONDS = env.float("CAS_FAULT_PAUSE_AFTER_FETCH_SECONDS", default=0.0)

# --- Alerts -----------------------------------------------------------------------------------------
# A new alert waits this long before it fires and opens a ticket: a failure that clears itself
# within it never bothers anyone.
ALERT_WAIT_SECONDS = env.float("ALERT_WAIT_SECONDS", default=30.0)
# This many open alerts with one cause (organisation, kind, customs system, code), first seen within
# the window, are one incident with one ticket.
INCIDENT_MIN_DECLARATIONS = env.int("INCIDENT_MIN_DECLARATIONS", default=5)
INCIDENT_WINDOW_SECONDS = env.int("INCIDENT_WINDOW_SECONDS", default=600)
# A resolved fingerprint that fires again within this many hours reopens its ticket.
ALERT_REOPEN_WITHIN_HOURS = env.int("ALERT_REOPEN_WITHIN_HOURS", default=24)
# A connection that has not answered for this long (or three poll intervals, if longer) is stale.
FEED_STALE_AFTER_SECONDS = env.int("FEED_STALE_AFTER_SECONDS", default=600)

# --- Tickets -----------------------------------------------------------------------------------------
# Attachments are stored here, outside the web root, and served only through a view that checks access.
ATTACHMENTS_ROOT = env.path("ATTACHMENTS_ROOT", default=str(VAR_DIR / "attachments"))
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_PER_MESSAGE = env.int("ATTACHMENT_MAX_PER_MESSAGE", default=10)
# Who hears about SLA warnings and breaches besides the assignee (comma-separated e-mail addresses).
SLA_TEAM_LEAD_EMAILS = env.list("SLA_TEAM_LEAD_EMAILS", default=[])
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Active Support desk <desk@localhost>")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

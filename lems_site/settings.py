"""Settings of the LEMS IVIG pathway, read from the environment (see README, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from lems_site.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    env_url,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# Django's technical 404 and 500 pages, with DEBUG on only: off, a wrong address or a
# server error shows the app's own pages even under `make run` (the console still has the
# traceback).
DEBUG_PAGES = env_bool("DEBUG_PAGES", default=False)
SECRET_KEY = secret_key(DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    "guidance",
]

MIDDLEWARE = [
    "lems_site.middleware.access_log",  # first, so it sees every answer, 500s included
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "lems_site.middleware.branded_error_pages",
    "lems_site.middleware.permissions_policy",
    "lems_site.middleware.idle_timeout",
    "lems_site.session_resume.SessionEndedMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lems_site.urls"
WSGI_APPLICATION = "lems_site.wsgi.application"

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
            "builtins": ["template_partials.templatetags.partials"],
            "libraries": {"page_assets": "lems_site.page_assets", "shown_to": "lems_site.shown_to"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction begins, so two tabs saving one encounter
    # are serialized instead of one overwriting the other's answers. Write-ahead logging:
    # readers never wait for a writer, and a commit writes the log once instead of the
    # rollback journal and the database (about 1 ms of every step saved, docs/PERFORMANCE.md);
    # synchronous FULL keeps every committed answer through a power cut.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling: after 5 failures for one username from one address, that pair waits.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The client's address, read by django-ipware. PROXY_COUNT is the number of reverse proxies
# in front of the app: the nearest is REMOTE_ADDR, the others and the client are in
# X-Forwarded-For, so ipware expects exactly PROXY_COUNT - 1 proxies after the client there.
# A header with more entries (a forged prefix) is not trusted: the address is then the
# nearest proxy's, so a forger throttles only himself, never the real user's address.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = max(PROXY_COUNT - 1, 0)
AXES_IPWARE_PROXY_ORDER = "left-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PROXY_COUNT else ["REMOTE_ADDR"]
)

# Errors of requests (their tracebacks), one access line per request, and every other
# warning (sign-in lockouts, refused hosts and CSRF tokens) go to stderr, where the service
# manager or container runtime collects them; README "Logs" shows the format. The formatter
# escapes control characters, so no path or user name can forge a line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "lems_site.log_format.OneLineFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    # Warnings of any library (django-axes names the user name it locks out) in the same
    # format, never Python's bare last-resort output.
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        # In place of Django's own console handler, which writes messages unescaped.
        "django": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "lems_site.access": {
            "handlers": ["stderr"],
            "level": env_str("ACCESS_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# Dates on screen and on the printed chart are in the hospital's local time; stored as UTC.
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# In development, whitenoise serves straight from the app folders, so `make run` needs no
# collectstatic; production serves the hashed, compressed copies from STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: htmx and our own behaviour come from static files. Inline
# styles stay allowed for the Django admin's widgets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# A signed-in session ends after this much inactivity, and when the browser closes: hospital
# PCs are shared.
# The expiry is renewed at most once a minute (lems_site.middleware.idle_timeout), not on
# every request, so a step costs no session write.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Sessions live in the database (Django's default, said here because it matters): every app
# server on the one database shares them, a restart keeps them, and a form kept when a
# session ended is taken once by deleting its row (lems_site/session_resume.py). Expired
# rows are removed by `manage.py clearsessions` (README "Sessions").
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The default cache holds only what a published revision shows, rendered once (guidance/
# content/rendered.py): keyed by the revision's id and content version, so it never goes
# stale and each process may keep its own. Room for every statement's block in every layout
# (about 40 statements, 4 layouts, 4 variants) for a few revisions.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # Finalized summaries' PDFs (guidance/encounters/pdf.py), keyed by the SHA-256 of the
    # HTML rendered, so never stale. Its own LOCATION: LocMem caches of one LOCATION share
    # their entries. Bounded: at most 200 PDFs of about 50 KB (an 8-page IVIG summary is 47
    # KB), about 10 MB per process (3 gunicorn workers: about 30 MB), kept a day at most.
    "pdfs": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pdfs",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

# A load balancer probes /healthz over plain HTTP: it must see 200, not a 301 to https,
# whatever SECURE_SSL_REDIRECT says.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# The base of the canonical URLs of the FHIR exports (Questionnaire, PlanDefinition): names
# that integrators store, so it is this app's own address. Required with DEBUG off (the
# system check guidance/fhir/checks.py names it): a default would give every installation
# the same canonical names.
FHIR_BASE_URL = (
    env_url("FHIR_BASE_URL", "http://localhost:8000/fhir")
    if DEBUG or os.environ.get("FHIR_BASE_URL")
    else ""
)

# The system of the patient reference the clinician types (in the FHIR documents' Patient):
# the hospital's identifier system for it, e.g. its MRN's. By default one of this app's own.
PATIENT_IDENTIFIER_SYSTEM = env_url(
    "PATIENT_IDENTIFIER_SYSTEM",
    f"{FHIR_BASE_URL or 'http://localhost:8000/fhir'}/sid/patient-reference",
)

if not DEBUG:
    # Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

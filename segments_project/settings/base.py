"""Settings for every environment, read from the process environment in one place.

Development fallbacks apply only when DEBUG is on; with DEBUG off a missing secret is an error.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from segments_project.tenancy.token_lifetime import access_token_lifetime

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-used-with-debug-off"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# An admin form with a stale token gets the admin's 403 page, other paths the API's JSON.
CSRF_FAILURE_VIEW = "segments_project.api.exceptions.csrf_failure"

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
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
    "segments_project.tenancy",
    "catalog",
    "segments",
    "coupons",
    "webhooks",
    "segments_project.events",
    "segments_project.audit",
    "segments_project",  # last: the top layer (data commands, start-up checks)
]

# Sessions, the session user and messages: Django's, skipped for bearer-token API requests,
# which use none of them (`segments_project/browser_middleware.py`).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "segments_project.request_log.RequestLogMiddleware",
    "segments_project.browser_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "segments_project.browser_middleware.AuthenticationMiddleware",
    "segments_project.audit.hooks.AdminActorMiddleware",
    "segments_project.tenancy.time_zones.AdminTimeZoneMiddleware",
    "segments_project.browser_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "segments_project.urls"
WSGI_APPLICATION = "segments_project.wsgi.application"
ASGI_APPLICATION = "segments_project.asgi.application"

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

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica of the primary: storefront reads go there (segments_project.db_router).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["segments_project.db_router.ReplicaRouter"]

# Background work: Django's tasks API (the django-tasks backport), jobs stored in the primary
# database by django-tasks-db and run by `manage.py db_worker` processes (README "Background
# work"). A job row is written through the default connection, so a job enqueued inside a
# write's transaction commits or rolls back with it (`segments_project/jobs.py`).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# Rules with relative dates are evaluated again when their last evaluation is older than
# this (`manage.py evaluate_segments --due`, the scheduler). A RUNNING evaluation older than
# SEGMENT_EVALUATION_STALLED_SECONDS counts as stalled (worker died) on SQLite; PostgreSQL
# tells by the running job's row lock instead (docs/dynamic-segments.md, "The schedule").
SEGMENT_EVALUATION_INTERVAL_SECONDS = env.int("SEGMENT_EVALUATION_INTERVAL_SECONDS", default=3600)
SEGMENT_EVALUATION_STALLED_SECONDS = env.int("SEGMENT_EVALUATION_STALLED_SECONDS", default=900)
# Change events older than this many days are deleted (`manage.py prune_events`, run by
# the scheduler of `make run`); a changes-feed cursor older than that answers 410.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=7)
STOREFRONT_READS_FROM_REPLICA = "replica" in DATABASES
# Webhooks (docs/events.md, "Webhooks"). Deliveries never reach private, loopback or
# link-local addresses unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on; a subscription URL may
# be plain http only to a loopback host, with DEBUG or WEBHOOK_ALLOW_HTTP_LOOPBACK.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", default=False)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOK_READ_TIMEOUT_SECONDS = env.float("WEBHOOK_READ_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
WEBHOOK_EXCERPT_BYTES = env.int("WEBHOOK_EXCERPT_BYTES", default=2048)
# A failed delivery is retried with exponential backoff (base doubling up to the maximum,
# with jitter) until WEBHOOK_RETRY_SECONDS after its first attempt; then it is given up
# and its subscription marked failing.
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=26 * 3600)
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=5.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
# A worker's claim on deliveries it is sending; a worker that dies leaves them to others
# once it lapses. Each batch stops sending at half of it.
WEBHOOK_CLAIM_SECONDS = env.int("WEBHOOK_CLAIM_SECONDS", default=120)
# Threads that send for different subscriptions at once, in one worker.
WEBHOOK_SENDER_THREADS = env.int("WEBHOOK_SENDER_THREADS", default=16)
# How long one delivery job runs before it hands over to a fresh job.
WEBHOOK_PUMP_SECONDS = env.int("WEBHOOK_PUMP_SECONDS", default=60)
# How long the old secret keeps signing after a rotation, unless the rotation says.
WEBHOOK_SECRET_GRACE_SECONDS = env.int("WEBHOOK_SECRET_GRACE_SECONDS", default=24 * 3600)
# How long a client that wrote keeps reading from the primary (longer than replica lag).
READ_YOUR_WRITES_SECONDS = env.int("READ_YOUR_WRITES_SECONDS", default=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE makes writers
    # queue on the lock instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Django turns psycopg's prepared statements off (prepare_threshold None). Its default
    # client-side binding cursors never prepare anyway; this lets the one server-binding
    # cursor that asks for it prepare (a write's rule evaluation,
    # segments/services/write_evaluation.py `_prepared_cursor`).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "segsvc",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Whether every process (app workers, task workers) sees one cache: only then may the
# storefront keep the versions its cached answers depend on there (`tenancy/versions.py`).
CACHE_SHARED_BY_PROCESSES = env.bool("CACHE_SHARED_BY_PROCESSES", default=bool(REDIS_URL))

# How long a storefront answer may be served from the cache at most; writes and validity
# boundaries end it sooner.
STOREFRONT_CACHE_SECONDS = env.int("STOREFRONT_CACHE_SECONDS", default=300)
# A storefront answer of at least this many bytes is stored gzip-compressed, and served so
# to a client that accepts gzip (`segments/services/storefront_cache.py`).
STOREFRONT_GZIP_MIN_BYTES = env.int("STOREFRONT_GZIP_MIN_BYTES", default=1024)

# Django's own list, PBKDF2 first (people's passwords, client secrets a person chose), and
# last, never the default, the fast hasher of the secrets the service generates itself
# (`tenancy/hashers.py`, docs/security.md "Client secrets").
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "segments_project.tenancy.hashers.GeneratedSecretSHA256Hasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# One date format everywhere in the admin (the admin activates a tenant's time zone).
FORMAT_MODULE_PATH = ["segments_project.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Bodies above 10 MB are refused with 413 (API conventions, "Bulk").
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "segments_project.tenancy.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["segments_project.tenancy.permissions.HasOperationScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "segments_project.api.parsers.StrictJSONParser",
        "segments_project.api.parsers.JsonPatchParser",
        "segments_project.api.parsers.MergePatchParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "segments_project.api.negotiation.LenientContentNegotiation"
    ),
    "EXCEPTION_HANDLER": "segments_project.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "segments_project.api.schema.ScopedAutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Per client and tenant; all of a client's tokens (its customer tokens too) share it.
    "DEFAULT_THROTTLE_CLASSES": ["segments_project.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("API_RATE_LIMIT", default="6000/min"),
        # Anonymous token issuance (login and refresh), per storefront client and per source
        # address (docs/security.md, "Anonymous tokens").
        "anonymous_client": env.str("ANONYMOUS_TOKEN_RATE_PER_CLIENT", default="1200/min"),
        "anonymous_address": env.str("ANONYMOUS_TOKEN_RATE_PER_ADDRESS", default="30/min"),
    },
    # How many proxies in front of the service append to X-Forwarded-For: the source address
    # of the per-address limit is the one the outermost trusted proxy saw. 0 (the default)
    # ignores the header, which a caller could forge, and takes the connection's address.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# How many requests of a rate-limit window a worker takes from the shared counter at once
# (at most 1/200 of the limit): fewer round trips to the cache, a holder refused at most
# (workers - 1) leases early, never more than the limit admitted. 1 counts every request in
# the cache (`api/throttling.py`, docs/security.md "Rate limiting").
API_RATE_LIMIT_LEASE = env.int("API_RATE_LIMIT_LEASE", default=20)

SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Segment Service",
    "DESCRIPTION": (
        "Customer segments with their products, categories and coupons. Paths, payloads and "
        "scopes follow the Emporix Customer Segment, Coupon and Category Tree APIs."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SECURITY": [],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "OAuth2": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}},
            }
        }
    },
    # Choice sets of fields of the same name (`status`: a segment's, an evaluation's).
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": ["ACTIVE", "INACTIVE"],
        "EvaluationStatusEnum": ["PENDING", "RUNNING", "DONE", "FAILED"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "segments_project.api.schema.add_scope_catalogue",
    ],
}

OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "OAUTH2_VALIDATOR_CLASS": "segments_project.tenancy.oauth.TenantOAuth2Validator",
    "ALLOWED_GRANT_TYPES": ["client_credentials"],
    "SCOPES_BACKEND_CLASS": "segments_project.tenancy.oauth.KnownScopes",
    # RFC 9700 (OAuth 2.0 Security BCP) throughout; only client credentials are used anyway.
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # Store only a SHA-256 checksum of each token, never the token itself.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "EXTRA_SERVER_KWARGS": {"token_expires_in": access_token_lifetime},
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
CUSTOMER_TOKEN_EXPIRE_SECONDS = env.int("CUSTOMER_TOKEN_EXPIRE_SECONDS", default=900)
# A verified access token is trusted again without the database for this many seconds, in
# each process (at most ACCESS_TOKEN_CACHE_SIZE tokens), unless revoked meanwhile: every
# process reads the feed of revocations at most every ACCESS_TOKEN_REVOCATION_SECONDS, so
# a revocation takes effect within them (without a cache shared by the processes, a token
# is remembered that long at most). 0 turns the memory off (`tenancy/token_cache.py`,
# docs/security.md "Revocation").
ACCESS_TOKEN_CACHE_SECONDS = env.float("ACCESS_TOKEN_CACHE_SECONDS", default=60.0)
ACCESS_TOKEN_REVOCATION_SECONDS = env.float("ACCESS_TOKEN_REVOCATION_SECONDS", default=1.0)
ACCESS_TOKEN_CACHE_SIZE = env.int("ACCESS_TOKEN_CACHE_SIZE", default=10_000)
# Anonymous storefront tokens: the vendor's access token lives an hour, its refresh token a
# day (each refresh starts a new day).
ANONYMOUS_TOKEN_EXPIRE_SECONDS = env.int("ANONYMOUS_TOKEN_EXPIRE_SECONDS", default=3600)
ANONYMOUS_REFRESH_EXPIRE_SECONDS = env.int("ANONYMOUS_REFRESH_EXPIRE_SECONDS", default=86400)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "oauthlib": {"level": "INFO"},  # logs issued access tokens at DEBUG
    },
}

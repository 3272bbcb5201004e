"""Settings shared by every environment.

Everything secret or deployment-specific comes from environment variables; see the
configuration table in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "dev", "test" or "production": set by each settings module.
ENVIRONMENT = "base"

SECRET_KEY = env("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Project apps
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.payments",
    "marketplace.statistics",
    "cms",
    "equipment",
    "ip_listings",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Security
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    # Background tasks
    "django_tasks",
    "django_tasks_db",
    # Django and friends
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before any view or middleware looks a typed value up (PostgreSQL refuses NUL in text).
    "marketplace.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor sign-in: which device verified this session, then the second step where one is due.
    "django_otp.middleware.OTPMiddleware",
    "marketplace.accounts.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.core.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "marketplace.wsgi.application"

# Database: a SQLite file by default, PostgreSQL in production (DATABASE_URL).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the write lock instead of failing at once, and take it at BEGIN so
    # that read-check-write sequences (bookings) are serialised.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses logins while an account/IP pair is locked out (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "marketplace.accounts.backends.EmailOrUsernameBackend",
]

# Login rate limiting: 5 failures for one username from one IP lock that pair out for 15 minutes,
# on the site's sign-in page and the Wagtail admin's alike.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(env("PROXY_COUNT", "0")) or None
AXES_VERBOSE = False

# Content Security Policy for the public site. The Wagtail admin (which still relies on inline
# scripts) is left to its own defaults. Stripe.js is the only third-party script, on payment pages.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "https://js.stripe.com"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https://*.stripe.com"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "https://api.stripe.com"],
        "frame-src": ["'self'", "https://js.stripe.com", "https://hooks.stripe.com"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "/"

# Internationalisation: Simplified Chinese first, English one click away.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The project's catalogue first; then Simplified Chinese for the Wagtail admin strings that Wagtail's own
# zh_Hans catalogue lacks (marketplace/locale_wagtail/build.py lists them). LOCALE_PATHS win over app catalogues.
LOCALE_PATHS = [PROJECT_DIR / "locale", PROJECT_DIR / "locale_wagtail"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# Money
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", "CNY")

# Static and media files
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [PROJECT_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Upload limits: a request body over 10 MB is refused; files above 2.5 MB stream to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "odt", "txt", "csv", "zip"]
WAGTAILDOCS_SERVE_METHOD = "serve_view"

# Wagtail
WAGTAIL_SITE_NAME = "科技成果与共享仪器平台"
WAGTAILADMIN_BASE_URL = env("SITE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILADMIN_NOTIFICATION_USE_HTML = True
WAGTAIL_ALLOW_UNICODE_SLUGS = True
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

# Background work: django-tasks with its database backend.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Email
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@techtransfer.example.cn")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = DEFAULT_FROM_EMAIL

# Stripe: without a secret key the site runs in invoice mode.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env("STRIPE_API_BASE", "")  # e.g. a local fake Stripe server in tests
# Payment methods offered in the Payment Element: card always; alipay, wechat_pay where the account allows.
STRIPE_PAYMENT_METHODS = env_list("STRIPE_PAYMENT_METHODS", "card")
# Payments (see README, "Payments"): how long an unpaid card payment holds a booking's slot, and what
# share of the price a late cancellation (after the listing's free-cancellation window) refunds.
PAYMENT_HOLD_MINUTES = int(env("PAYMENT_HOLD_MINUTES", "30"))
PAYMENT_LATE_CANCELLATION_REFUND_PERCENT = int(env("PAYMENT_LATE_CANCELLATION_REFUND_PERCENT", "50"))
# Shared instruments (see README): after how many hours a request nobody approved, or an approved booking
# nobody paid for, expires (0: never), and how many such open requests one enterprise may hold per
# instrument (0: no limit).
BOOKING_REQUEST_EXPIRY_HOURS = int(env("BOOKING_REQUEST_EXPIRY_HOURS", "72"))
BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT = int(env("BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT", "5"))
# How long a freed slot is offered to the first user on its waitlist (never beyond the slot's start minus
# the instrument's notice); then the next one is offered (manage.py offer_waitlisted_slots, from cron).
WAITLIST_OFFER_HOURS = int(env("WAITLIST_OFFER_HOURS", "24"))
# Qualifications expiring within this many days are announced once (manage.py announce_expiring_qualifications).
QUALIFICATION_EXPIRY_NOTICE_DAYS = int(env("QUALIFICATION_EXPIRY_NOTICE_DAYS", "30"))

# Caches: local memory unless REDIS_URL is set.
if env("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The public catalogue's cached counts, facet choices and search answers (marketplace/core/catalogue_cache.py)
# and whole pages for anonymous visitors (marketplace/core/pagecache.py). Both are invalidated on every
# change by version numbers kept in the cache, so every process must share one cache: production settings
# turn them off unless REDIS_URL is set. 0 turns either off.
CATALOGUE_CACHE_SECONDS = int(env("CATALOGUE_CACHE_SECONDS", "600"))
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "60"))

# Sessions and cookies
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"  # Wagtail previews opt back in to SAMEORIGIN
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Account rules
ACCOUNT_VERIFICATION_MAX_AGE = 3 * 24 * 3600  # seconds a verification link stays valid
VERIFICATION_RESEND_LIMIT = 3  # verification links sent again per account and hour

# Two-factor sign-in (django-otp, TOTP). With OTP_REQUIRED_FOR_STAFF on, platform staff and TTO officers
# must set up an authenticator app before any page; anyone with a device enters a code after signing in.
OTP_REQUIRED_FOR_STAFF = env_bool("OTP_REQUIRED_FOR_STAFF", False)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Tech Transfer Marketplace")
INVITATION_MAX_AGE_DAYS = 14

# Demo data: each app contributes a seeder, run in this order by `manage.py seed_demo`.
DEMO_SEEDERS = [
    "marketplace.accounts.demo",
    "cms.demo",
    "equipment.demo",
    "ip_listings.demo",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF it makes.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

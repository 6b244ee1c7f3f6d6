"""Configuration classes; every setting can come from an environment variable."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-not-secret"
MIN_SECRET_KEY_BYTES = 32


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults for development: SQLite under instance/, emails written as .eml files."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'webinars.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "webinars@localhost")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    MAIL_BACKGROUND_DELIVERY = _bool("MAIL_BACKGROUND_DELIVERY")
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "6"))
    MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "100"))
    MAIL_MAX_EMAILS = int(os.environ.get("MAIL_MAX_EMAILS", "0")) or None  # per SMTP connection
    # lease of a claimed email, renewed before each send (a dead worker's rows return after it)
    MAIL_STALE_SENDING_SECONDS = int(os.environ.get("MAIL_STALE_SENDING_SECONDS", "90"))
    # the relay's quotas, counted over the last minute / day by every delivery process together
    MAIL_MAX_PER_MINUTE = int(os.environ.get("MAIL_MAX_PER_MINUTE") or 0) or None  # None: no limit
    MAIL_MAX_PER_DAY = int(os.environ.get("MAIL_MAX_PER_DAY") or 0) or None

    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: each worker limits on its own
    LOGIN_RATE_LIMIT = "10 per 15 minutes"  # failed logins per (account, address) pair
    LOGIN_ADDRESS_RATE_LIMIT = "30 per 15 minutes"  # failed logins per address, any account
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    SESSION_HOURS = float(os.environ.get("SESSION_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_HOURS)
    SESSION_REFRESH_EACH_REQUEST = True
    REMEMBER_COOKIE_DURATION = PERMANENT_SESSION_LIFETIME
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS_SECONDS = 0
    TOKEN_RATE_LIMIT = "60 per minute"
    LOST_LINK_ADDRESS_RATE_LIMIT = "5 per hour"  # "lost your link?" requests per email address
    LOST_LINK_IP_RATE_LIMIT = "20 per hour"  # "lost your link?" requests per client address
    PASSWORD_RESET_ADDRESS_RATE_LIMIT = "5 per hour"  # "forgot your password?" per email
    PASSWORD_RESET_IP_RATE_LIMIT = "20 per hour"  # "forgot your password?" per client address
    ACCOUNT_LINK_HOURS = int(os.environ.get("ACCOUNT_LINK_HOURS", "72"))  # invite/reset links
    CERTIFICATE_MIN_ATTENDED = int(os.environ.get("CERTIFICATE_MIN_ATTENDED", "1"))
    # Days after a series' last module before its personal data is erased (per series override).
    RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "365"))

    # Seconds a public page, feed or API answer is served from memory; any change shows at once
    # (core.public_cache); the limit is for what depends on the clock. 0 turns the cache off.
    PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "30"))

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "fr")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SEND_FILE_MAX_AGE_DEFAULT = 60 * 60 * 24 * 365
    TESTING = False


class TestConfig(Config):
    """For the test suite: a throw-away database, CSRF kept on, no background threads."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_SERVER = None
    MAIL_BACKGROUND_DELIVERY = False
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://webinars.test"
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    """For deployments: refuses to start with the development secret key."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = 31536000

    @classmethod
    def check(cls) -> None:
        """Raise if the configuration is unsafe for production."""
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEFAULT_SECRET_KEY:
            raise RuntimeError("Set SECRET_KEY: ProductionConfig refuses the default secret key.")
        if len(str(cls.SECRET_KEY).encode("utf-8")) < MIN_SECRET_KEY_BYTES:
            raise RuntimeError(
                f"SECRET_KEY is too short: ProductionConfig needs at least {MIN_SECRET_KEY_BYTES}"
                " bytes. Generate one with:"
                " python -c 'import secrets; print(secrets.token_hex(32))'"
            )

"""Settings read from the environment (MINKA_*), with defaults that run out of the box."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from marketplace.models.base import DEFAULT_TIMEZONE

#: The interface languages, Spanish first (the default).
LANGUAGES = ("es", "en")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    """The app cannot start with these settings."""


def _secret_key(instance: Path, env: str) -> str:
    """Return MINKA_SECRET_KEY, or in development a key generated once under instance/."""
    key = os.environ.get("MINKA_SECRET_KEY")
    if key:
        return key
    if env not in ("development", "testing"):
        raise ConfigError(
            "MINKA_SECRET_KEY is not set. Outside development Minka refuses to start "
            "without a secret key: export MINKA_SECRET_KEY=<a long random string>."
        )
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment and optional overrides."""
    overrides = overrides or {}
    env = overrides.get("MINKA_ENV") or os.environ.get("MINKA_ENV", "development")
    instance = Path(os.environ.get("MINKA_INSTANCE_PATH", DEFAULT_INSTANCE))
    database_url = os.environ.get("MINKA_DATABASE_URL", f"sqlite:///{instance / 'minka.sqlite3'}")
    config = {
        "MINKA_ENV": env,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("MINKA_TIMEZONE", DEFAULT_TIMEZONE),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": LANGUAGES,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Cookies go over HTTPS only, except in development and tests served over http.
        "SESSION_COOKIE_SECURE": env not in ("development", "testing"),
        "REMEMBER_COOKIE_SECURE": env not in ("development", "testing"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Also how long any sign-in holds, whatever the browser keeps (web.load_user).
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Counted in MINKA_REDIS_URL when set (every host counts together), else in memory.
        "RATELIMIT_STORAGE_URI": os.environ.get("MINKA_RATELIMIT_STORAGE_URI") or None,
        "RATELIMIT_ENABLED": os.environ.get("MINKA_RATELIMIT_ENABLED", "1") == "1",
        # Failed sign-ins per address, per account (from anywhere), and wrong current passwords
        # per signed-in user; an account's budget is smaller than an address's (auth.views).
        "MINKA_LOGIN_LIMIT": os.environ.get("MINKA_LOGIN_LIMIT", "30 per minute;200 per hour"),
        "MINKA_LOGIN_ACCOUNT_LIMIT": os.environ.get(
            "MINKA_LOGIN_ACCOUNT_LIMIT", "5 per minute;20 per hour"
        ),
        "MINKA_PASSWORD_CHECK_LIMIT": os.environ.get(
            "MINKA_PASSWORD_CHECK_LIMIT", "5 per minute;20 per hour"
        ),
        # Sign-ups refused because the e-mail or phone has an account, per address.
        "MINKA_SIGNUP_TAKEN_LIMIT": os.environ.get(
            "MINKA_SIGNUP_TAKEN_LIMIT", "5 per hour;20 per day"
        ),
        "MINKA_API_LIMIT": os.environ.get("MINKA_API_LIMIT", "120 per minute"),
        # Refused producer forms per technician: a refusal may say a national id is registered.
        "MINKA_NATIONAL_ID_LIMIT": os.environ.get(
            "MINKA_NATIONAL_ID_LIMIT", "10 per minute;60 per hour"
        ),
        "MINKA_PAGE_SIZE": 25,
        # Catalogue searches are remembered this long per process (0: off); see catalog.cache.
        "MINKA_CATALOG_CACHE_SECONDS": int(os.environ.get("MINKA_CATALOG_CACHE_SECONDS", "30")),
        # The public impact summary's figures are remembered this long (0: off): in Redis when
        # MINKA_REDIS_URL is set, else per process.
        "MINKA_IMPACT_CACHE_SECONDS": int(os.environ.get("MINKA_IMPACT_CACHE_SECONDS", "300")),
        # A cooperative's counts on its technicians' home page are reused this long (0: off):
        # on a cooperative of tens of thousands of members they are the page's whole cost.
        "MINKA_COUNTS_CACHE_SECONDS": int(os.environ.get("MINKA_COUNTS_CACHE_SECONDS", "60")),
        "MINKA_INSTANCE_PATH": str(instance),
        # Matching runs go to an RQ worker through this Redis when set, else to a thread; the
        # catalogue's change stamp, the impact figures and the rate limits live there too.
        "MINKA_REDIS_URL": os.environ.get("MINKA_REDIS_URL") or None,
        # How many web hosts serve this database (behind a load balancer): with more than
        # one, Minka refuses to start with any setting that would keep state per host.
        "MINKA_HOSTS": int(os.environ.get("MINKA_HOSTS", "1")),
        # Where uploaded files are kept: local (the instance folder), database or s3.
        "MINKA_FILE_STORAGE": os.environ.get("MINKA_FILE_STORAGE", "local"),
        "MINKA_S3_BUCKET": os.environ.get("MINKA_S3_BUCKET") or None,
        "MINKA_S3_ENDPOINT_URL": os.environ.get("MINKA_S3_ENDPOINT_URL") or None,
        "MINKA_S3_REGION": os.environ.get("MINKA_S3_REGION") or None,
        "MINKA_MATCHING_MIN_HA": float(os.environ.get("MINKA_MATCHING_MIN_HA", "2.0")),
        # Deforestation risk (marketplace/forest/tree.py): an indicator counts on more than this
        # share of a plot; tree cover 2000 at or above this percent is forest; loss after the
        # cut-off year is deforestation.
        "MINKA_FOREST_INDICATOR_SHARE": float(
            os.environ.get("MINKA_FOREST_INDICATOR_SHARE", "0.10")
        ),
        "MINKA_FOREST_TREE_COVER_PCT": float(os.environ.get("MINKA_FOREST_TREE_COVER_PCT", "10")),
        "MINKA_FOREST_CUTOFF_YEAR": int(os.environ.get("MINKA_FOREST_CUTOFF_YEAR", "2020")),
        # Share of a delivery's value deducted at the centre to repay the producer's loan.
        "MINKA_CHECKOFF_SHARE": float(os.environ.get("MINKA_CHECKOFF_SHARE", "0.30")),
        # Card payments through Stripe: no secret key (the default) hides card payment.
        "MINKA_STRIPE_SECRET_KEY": os.environ.get("MINKA_STRIPE_SECRET_KEY") or None,
        "MINKA_STRIPE_WEBHOOK_SECRET": os.environ.get("MINKA_STRIPE_WEBHOOK_SECRET") or None,
        # Another API address for the official library (a local test server); unset: Stripe.
        "MINKA_STRIPE_API_BASE": os.environ.get("MINKA_STRIPE_API_BASE") or None,
        "MINKA_STRIPE_TIMEOUT": float(os.environ.get("MINKA_STRIPE_TIMEOUT", "10")),
        "MINKA_STRIPE_RETRIES": int(os.environ.get("MINKA_STRIPE_RETRIES", "1")),
        # The country of Minka's own Stripe account: charges for suppliers elsewhere are
        # made on their behalf (Stripe's rule for cross-region destination charges).
        "MINKA_STRIPE_PLATFORM_COUNTRY": os.environ.get("MINKA_STRIPE_PLATFORM_COUNTRY", "MX"),
        # SMS and WhatsApp through Twilio: no account SID (the default) hides every SMS option
        # and sends nothing. MINKA_SMS_FROM is a number (+E.164) or a Messaging Service SID
        # (MG...); MINKA_WHATSAPP_FROM a WhatsApp sender number (unset: no WhatsApp).
        "MINKA_SMS_ACCOUNT_SID": os.environ.get("MINKA_SMS_ACCOUNT_SID") or None,
        "MINKA_SMS_AUTH_TOKEN": os.environ.get("MINKA_SMS_AUTH_TOKEN") or None,
        "MINKA_SMS_FROM": os.environ.get("MINKA_SMS_FROM") or None,
        "MINKA_WHATSAPP_FROM": os.environ.get("MINKA_WHATSAPP_FROM") or None,
        # Another API address for the Twilio library (a local test server); unset: Twilio.
        "MINKA_SMS_API_BASE": os.environ.get("MINKA_SMS_API_BASE") or None,
        "MINKA_SMS_TIMEOUT": float(os.environ.get("MINKA_SMS_TIMEOUT", "10")),
        # Sending tries per message before it is left as failed (a minute, then longer, apart).
        "MINKA_SMS_MAX_ATTEMPTS": int(os.environ.get("MINKA_SMS_MAX_ATTEMPTS", "5")),
        # Send queued messages right after the transaction that queued them commits (RQ on
        # MINKA_REDIS_URL, else a thread); "0": only `flask sms send` sends them.
        "MINKA_SMS_SEND_AFTER_COMMIT": os.environ.get("MINKA_SMS_SEND_AFTER_COMMIT", "1") == "1",
        # Code requests (forgotten password, claiming a record) per address.
        "MINKA_SMS_CODE_LIMIT": os.environ.get("MINKA_SMS_CODE_LIMIT", "5 per hour;20 per day"),
        # The address the internet reaches Minka at (https://minka.example.org): Twilio posts
        # its delivery reports there. Unset: no report is asked for.
        "MINKA_PUBLIC_URL": (os.environ.get("MINKA_PUBLIC_URL") or "").rstrip("/") or None,
        # How many proxies in front of Minka set X-Forwarded-For/-Proto/-Host (0: none,
        # the headers are ignored, since anyone could send them).
        "MINKA_TRUSTED_PROXIES": int(os.environ.get("MINKA_TRUSTED_PROXIES", "0")),
    }
    config.update(overrides)
    # A server's connections may drop between requests; a SQLite file's never do, and the
    # ping would cost every request a statement.
    server = not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": server})
    if not config["RATELIMIT_STORAGE_URI"]:
        config["RATELIMIT_STORAGE_URI"] = config["MINKA_REDIS_URL"] or "memory://"
    shared_secret = "SECRET_KEY" in config or bool(os.environ.get("MINKA_SECRET_KEY"))
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance, env)
    check_hosts(config, shared_secret)
    check_public_url(config.get("MINKA_PUBLIC_URL"))
    return config


def check_public_url(url: str | None) -> None:
    """Refuse a public address that is not an absolute http(s) URL without query or fragment,
    or whose host has an underscore: Twilio would refuse it as a StatusCallback, and with it
    every message."""
    if url is None:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    absolute = parts.scheme in ("http", "https") and host and "_" not in host
    if not absolute or parts.query or parts.fragment:
        raise ConfigError(
            f"MINKA_PUBLIC_URL={url!r}: write the address people reach Minka at, "
            "e.g. https://minka.example.org"
        )


def check_hosts(config: dict, shared_secret: bool) -> None:
    """Refuse settings that would make hosts diverge silently when several serve Minka."""
    if config["MINKA_FILE_STORAGE"] not in ("local", "database", "s3"):
        raise ConfigError(
            f"MINKA_FILE_STORAGE={config['MINKA_FILE_STORAGE']!r}: use local, database or s3."
        )
    if config["MINKA_FILE_STORAGE"] == "s3" and not config["MINKA_S3_BUCKET"]:
        raise ConfigError("MINKA_FILE_STORAGE=s3 needs MINKA_S3_BUCKET.")
    hosts = config["MINKA_HOSTS"]
    if hosts <= 1:
        return
    problems = []
    if not shared_secret:
        problems.append(
            "MINKA_SECRET_KEY is not set: each host would make its own and sign "
            "people out of the others (set the same key on every host)"
        )
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append(
            "the database is a SQLite file of one host: set MINKA_DATABASE_URL "
            "to the PostgreSQL every host uses"
        )
    if not config["MINKA_REDIS_URL"]:
        problems.append(
            "MINKA_REDIS_URL is not set: catalogue changes and impact figures "
            "would stay per host, and matching runs in one host's thread"
        )
    if config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        problems.append(
            "rate limits are counted in each process's memory: set "
            "MINKA_REDIS_URL (or MINKA_RATELIMIT_STORAGE_URI to a shared store)"
        )
    if config["MINKA_FILE_STORAGE"] == "local":
        problems.append(
            "uploaded files would stay on the host that received them: set "
            "MINKA_FILE_STORAGE=database or s3"
        )
    if problems:
        raise ConfigError(
            f"MINKA_HOSTS={hosts}, but these settings would make the hosts diverge:\n- "
            + "\n- ".join(problems)
        )

"""Configuration: defaults < config/*.toml < TESSERA_* environment variables.

Every key is declared once in ``SPEC`` with its type, so an unknown key or a value
of the wrong shape stops start-up with one line that names the key and says what
is expected, instead of failing later somewhere far from the cause.
"""
from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
# config/example.toml documents every key; it is read by people, never loaded.
EXAMPLE_FILE = "example.toml"


def _url(schemes):
    def check(key, value):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a URL string, got {value!r}")
        try:
            parts = urlsplit(value)
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            raise ConfigError(f"{key}: not a valid URL ({exc}), got {value!r}") from None
        scheme = parts.scheme.split("+", 1)[0]
        if scheme not in schemes:
            raise ConfigError(f"{key}: expected a URL with scheme {' or '.join(schemes)}, got {value!r}")
        return value
    return check


def _of(kind, label):
    def check(key, value):
        if kind is int and isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            value = int(value)
        if kind is bool and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                value = True
            elif lowered in ("0", "false", "no", "off"):
                value = False
        if kind is list and isinstance(value, str):
            value = [p for p in value.split(os.pathsep) if p]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)) or (
                kind is list and not all(isinstance(item, str) for item in value)):
            raise ConfigError(f"{key}: expected {label}, got {value!r}")
        return value
    return check


def _networks(key, value):
    """Addresses or CIDR networks, as a list or one string separated by commas or spaces."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError(f"{key}: expected IP addresses or networks separated by commas, got {value!r}")
    for item in items:
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            raise ConfigError(f"{key}: {item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") \
                from None
    return [str(item) for item in items]


def _choice(*options):
    def check(key, value):
        if value not in options:
            raise ConfigError(f"{key}: expected one of {', '.join(options)}, got {value!r}")
        return value
    return check


# key: (default, validator). Defaults describe the embedded set-up.
SPEC = {
    "ENV": ("development", _choice("development", "production", "test")),
    "INSTANCE_PATH": (str(PROJECT_ROOT / "instance"), _of(str, "a folder path")),
    "DATABASE_URL": ("", lambda k, v: _url(("sqlite", "postgresql"))(k, v) if v else v),
    # The owner role that runs migrations; empty: the same as DATABASE_URL (see core.rls).
    "MIGRATE_DATABASE_URL": ("", lambda k, v: _url(("sqlite", "postgresql"))(k, v) if v else v),
    "BROKER_URL": ("stub://", _url(("stub", "redis", "rediss", "amqp", "amqps"))),
    "SECRET_KEY": (DEFAULT_SECRET_KEY, _of(str, "a string")),
    # Empty: mail is written as .eml files under INSTANCE_PATH/mail (the embedded default).
    "SMTP_URL": ("", lambda k, v: _url(("smtp", "smtps", "file"))(k, v) if v else v),
    "MAIL_FROM": ("Tessera <noreply@localhost>", _of(str, "an e-mail address")),
    "ADDONS_PATH": ([], _of(list, f"folder paths separated by {os.pathsep!r}")),
    "DISABLE_ENTRY_POINTS": (False, _of(bool, "true or false")),
    "DEFAULT_LOCALE": ("en", _choice("en", "ko", "vi", "zh", "ru", "es")),
    "LOGIN_RATE_LIMIT": (5, _of(int, "a whole number of failed logins per account before delays begin")),
    "LOGIN_ADDRESS_LIMIT": (20, _of(int, "a whole number of failed logins per address before delays begin")),
    # Reverse proxies whose X-Forwarded-For / -Proto are believed (empty: none, the peer is the client).
    "TRUSTED_PROXIES": ([], _networks),
    "JOB_MAX_RETRIES": (5, _of(int, "a whole number")),
    "JOB_RETRY_BACKOFF_SECONDS": (10, _of(int, "a whole number of seconds (doubled per attempt)")),
    "OUTBOX_CLAIM_SECONDS": (300, _of(int, "a whole number of seconds")),
    "PDF_TIME_LIMIT": (30, _of(int, "a whole number of seconds")),
    # REST API requests per token and minute (0: no limit); shared through a Redis broker, see core.api.ratelimit.
    "API_RATE_LIMIT": (600, _of(int, "a whole number of requests per minute")),
    # Webhooks may be sent to loopback / private / link-local addresses (SSRF guard off); see core.api.ssrf.
    "WEBHOOK_ALLOW_PRIVATE": (False, _of(bool, "true or false")),
    "BASE_URL": ("http://127.0.0.1:5000", _url(("http", "https"))),
    "WTF_CSRF_ENABLED": (True, _of(bool, "true or false")),
}


@dataclass(frozen=True)
class Config:
    values: dict
    # Keys set by a config file, the environment or an override (not left at their default):
    # ``run --port`` points mail links at its own port only while BASE_URL is one of the others.
    explicit: frozenset = frozenset()

    def __getitem__(self, key):
        return self.values[key]

    def get(self, key, default=None):
        return self.values.get(key, default)

    @property
    def database_url(self) -> str:
        return self.values["DATABASE_URL"] or "sqlite:///" + str(Path(self.values["INSTANCE_PATH"]) / "tessera.db")

    @property
    def migrate_database_url(self) -> str:
        return self.values["MIGRATE_DATABASE_URL"] or self.database_url

    @property
    def is_production(self) -> bool:
        return self.values["ENV"] == "production"


def load_config(overrides: dict | None = None, config_dir: Path | None = None, environ=None) -> Config:
    """Merge the layers and validate each key; raise ConfigError on the first bad one."""
    environ = os.environ if environ is None else environ
    raw = {key: default for key, (default, _) in SPEC.items()}
    sources: dict[str, str] = {}  # key -> where its value was set, for error messages
    config_dir = PROJECT_ROOT / "config" if config_dir is None else config_dir
    for path in sorted(Path(config_dir).glob("*.toml")):
        if path.name == EXAMPLE_FILE:
            continue
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
        for key, value in data.items():
            _store(raw, sources, key.upper(), value, where=f"config/{path.name}: {key}")
    for name, value in environ.items():
        # TESSERA_TEST_* / TESSERA_BENCH_* configure the test suite and bench/run.py, not the app
        if name.startswith("TESSERA_") and not name.startswith(("TESSERA_TEST_", "TESSERA_BENCH_")):
            _store(raw, sources, name[len("TESSERA_"):], value, where=f"environment: {name}")
    for key, value in (overrides or {}).items():
        _store(raw, sources, key.upper(), value, where=f"overrides: {key}")
    values = {key: SPEC[key][1](sources.get(key, "TESSERA_" + key), raw[key]) for key in SPEC}
    config = Config(values, explicit=frozenset(sources))
    if config.is_production and values["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigError("TESSERA_SECRET_KEY: production refuses the default secret key; set a long random value")
    return config


def _store(raw, sources, key, value, where):
    if key not in SPEC:
        known = ", ".join(sorted(SPEC))
        raise ConfigError(f"{where}: unknown setting; fix the name (known: {known})")
    raw[key] = value
    sources[key] = f"TESSERA_{key} ({where.split(':')[0]})"

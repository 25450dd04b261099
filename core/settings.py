"""Typed per-business addon settings, declared in manifests, stored as text.

Secrets are encrypted at rest with a key derived from SECRET_KEY and are never
shown back in full (``mask``).
"""
from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal

from .errors import UserError
from .numbers import parse_decimal, parse_int

# SQLAlchemy and cryptography are imported inside the functions that read, write or decrypt:
# every manifest is validated with coerce_setting, and manifest-only commands (``addons
# list``) must not pay for either.

SECRET_PREFIX = "enc:"


def coerce_setting(kind: str, value, choices=()):
    """Turn a raw value (from TOML, a form or the CLI) into the setting's type, or ValueError."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            return value.lower() in ("1", "true", "yes", "on")
        raise ValueError(f"expected true or false, got {value!r}")
    if kind in ("int", "decimal"):
        try:
            if kind == "int":
                return parse_int(value, field="value")
            return parse_decimal(value, field="value")
        except UserError as exc:  # "value: ..." -> the caller names the setting
            raise ValueError(str(exc).removeprefix("value: ")) from None
    if kind == "choice":
        if value is None and choices:
            return choices[0]
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(map(str, choices))}, got {value!r}")
        return value
    if kind in ("str", "secret"):
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {value!r}")
        return value
    raise ValueError(f"unknown setting type {kind!r}")


def _fernet(secret_key: str):
    from cryptography.fernet import Fernet
    digest = hashlib.sha256(("tessera-settings:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _dump(spec, value, secret_key) -> str:
    if spec.type == "secret":
        return SECRET_PREFIX + _fernet(secret_key).encrypt(value.encode()).decode()
    if spec.type == "decimal":
        return str(value)
    return json.dumps(value)


def _load(spec, text, secret_key):
    if spec.type == "secret":
        from cryptography.fernet import InvalidToken
        try:
            return _fernet(secret_key).decrypt(text[len(SECRET_PREFIX):].encode()).decode()
        except InvalidToken:
            raise UserError(f"setting {spec.key}: cannot be decrypted (was TESSERA_SECRET_KEY changed?)") from None
    if spec.type == "decimal":
        return Decimal(text)
    return json.loads(text)


def get_settings(session, registry, addon: str, secret_key: str) -> dict:
    """All settings of ``addon`` for the session's business, defaults filled in."""
    from sqlalchemy import select
    from .db import tx_cache
    from .models import SettingValue
    manifest = registry[addon]
    # Every addon's stored settings in one read per transaction: confirming an order asks
    # sales_stock's and warehouse's, and some settings several times.
    cache = tx_cache(session)
    every = cache.get("settings")
    if every is None:
        every = cache["settings"] = {}
        business_id = session.info.get("business_id")
        if business_id is not None and not session.info.get("all_businesses"):
            # The business's rows with the business bound explicitly (the fence of a Core
            # statement, and row-level security on PostgreSQL), a statement built once.
            rows = session.connection().execute(_stored_statement(), {"settings_business": business_id})
        else:  # system work: the ORM fence decides (it refuses a session without a business)
            rows = session.execute(select(SettingValue.addon, SettingValue.key, SettingValue.value))
        for owner, key, value in rows:
            every.setdefault(owner, {})[key] = value
    decoded = cache.get(("settings", addon, secret_key))
    if decoded is None:  # decoded once per transaction (secrets are decrypted here)
        stored = every.get(addon, {})
        decoded = cache[("settings", addon, secret_key)] = {
            spec.key: _load(spec, stored[spec.key], secret_key) if spec.key in stored else spec.default
            for spec in manifest.settings}
    return dict(decoded)


_STORED = []


def _stored_statement():
    if not _STORED:
        from sqlalchemy import bindparam, select
        from .models import SettingValue
        table = SettingValue.__table__
        _STORED.append(select(table.c.addon, table.c.key, table.c.value)
                       .where(table.c.business_id == bindparam("settings_business")))
    return _STORED[0]


def get_setting(session, registry, addon: str, key: str, secret_key: str):
    return get_settings(session, registry, addon, secret_key)[key]


def set_settings(session, registry, addon: str, values: dict, secret_key: str) -> dict:
    """Validate every value first, then write them all; one bad value changes nothing."""
    from sqlalchemy import select
    from .db import tx_cache
    from .models import SettingValue
    cache = tx_cache(session)
    for key in [key for key in cache if key == "settings" or (isinstance(key, tuple) and key[0] == "settings")]:
        del cache[key]
    manifest = registry[addon]
    clean, problems = {}, []
    for key, raw in values.items():
        try:
            spec = manifest.setting(key)
        except KeyError:
            problems.append(f"{addon}: unknown setting {key!r}")
            continue
        try:
            clean[key] = (spec, coerce_setting(spec.type, raw, spec.choices))
        except ValueError as exc:
            problems.append(f"{addon}.{key}: {exc}")
    if problems:
        raise UserError("; ".join(problems))
    existing = {row.key: row for row in session.scalars(select(SettingValue).where(SettingValue.addon == addon))}
    for key, (spec, value) in clean.items():
        text = _dump(spec, value, secret_key)
        if key in existing:
            existing[key].value = text
        else:
            session.add(SettingValue(addon=addon, key=key, value=text))
    session.flush()
    return {key: value for key, (spec, value) in clean.items()}


def mask(value: str) -> str:
    """Show a secret's last characters only."""
    return "" if not value else "•" * 8 + value[-2:] if len(value) > 6 else "•" * 8

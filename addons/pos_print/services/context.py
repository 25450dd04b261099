"""What every pos_print service reads around the session: the runtime, the settings, the business."""
from __future__ import annotations

from pathlib import Path

from core.jobs import addon_settings, binding_for
from core.models import Business, User
from core.settings import set_settings


def runtime_of(session):
    return binding_for(session).runtime


def settings(session) -> dict:
    return addon_settings(session, "pos_print")


def save_settings(session, values: dict) -> dict:
    runtime = runtime_of(session)
    return set_settings(session, runtime.registry, "pos_print", values, runtime.config["SECRET_KEY"])


def business(session) -> Business:
    return session.get(Business, session.info["business_id"])


def spool_dir(session) -> str:
    return str(Path(runtime_of(session).config["INSTANCE_PATH"]) / "pos_print_spool")


def user_name(session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = session.get(User, user_id)
    return (user.name or user.email) if user else ""


MAX_ID = 2**31 - 1


def row_id(value) -> int | None:
    """A row id from a form or URL, or None for anything no row can have (text, 0, past a 32-bit key)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None

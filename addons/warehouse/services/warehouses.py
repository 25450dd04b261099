"""Warehouses themselves: create, edit, and the business's negative-stock rule.

Validates, raises UserError, never commits (like every module of this package).
"""
from __future__ import annotations

import re

from sqlalchemy import select, update

from addons.partners.services import EMAIL_RE
from core.db import tx_cache
from core.errors import UserError
from core.i18n import _

from ..models import WAREHOUSE_KINDS, StockBalance, Warehouse
from .stock import fmt, get_warehouse, skus

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_\-]{0,31}$")
FIELDS = ("code", "name", "kind", "street", "city", "region", "postal_code", "country", "contact_name", "phone",
          "email", "active")


def _clean(values: dict) -> dict:
    problems = []
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        problems.append(_("unknown field(s) %(names)s", names=", ".join(unknown)))
    out = {k: (values.get(k).strip() if isinstance(values.get(k), str) else values.get(k)) for k in FIELDS}
    out["code"] = (out["code"] or "").upper()
    if not CODE_RE.match(out["code"]):
        problems.append(_("code: %(code)r must be 1-32 letters, digits, '-' or '_'", code=values.get("code")))
    if not out["name"]:
        problems.append(_("name: required"))
    if out["kind"] not in WAREHOUSE_KINDS:
        problems.append(_("kind: %(kind)r must be one of %(kinds)s", kind=out["kind"], kinds=", ".join(WAREHOUSE_KINDS)))
    if out["country"]:
        out["country"] = out["country"].upper()
        if len(out["country"]) != 2 or not out["country"].isalpha():
            problems.append(_("country: %(country)r is not a two-letter code", country=out["country"]))
    if out["email"] and not EMAIL_RE.match(out["email"]):
        problems.append(_("email: %(email)r is not an e-mail address", email=out["email"]))
    for key in ("street", "city", "region", "postal_code", "country", "contact_name", "phone", "email"):
        out[key] = out[key] or None
    out["active"] = True if out["active"] is None else bool(out["active"])
    if problems:
        raise UserError(_("warehouse: %(problems)s", problems="; ".join(problems)))
    return out


def create_warehouse(session, *, code: str, name: str, kind: str = "main", street=None, city=None, region=None,
                     postal_code=None, country=None, contact_name=None, phone=None, email=None,
                     active: bool = True) -> Warehouse:
    values = _clean(dict(code=code, name=name, kind=kind, street=street, city=city, region=region,
                         postal_code=postal_code, country=country, contact_name=contact_name, phone=phone,
                         email=email, active=active))
    if session.scalar(select(Warehouse.id).where(Warehouse.code == values["code"])):
        raise UserError(_("warehouse code %(code)r is already used", code=values["code"]))
    warehouse = Warehouse(**values)
    session.add(warehouse)
    session.flush()
    tx_cache(session).pop("warehouse_default", None)  # the new one may be the default now
    return warehouse


def update_warehouse(session, warehouse_id: int, **fields) -> Warehouse:
    warehouse = get_warehouse(session, warehouse_id)
    current = {k: getattr(warehouse, k) for k in FIELDS}
    current.update(fields)
    values = _clean(current)
    if values["code"] != warehouse.code and session.scalar(
            select(Warehouse.id).where(Warehouse.code == values["code"], Warehouse.id != warehouse.id)):
        raise UserError(_("warehouse code %(code)r is already used", code=values["code"]))
    for key, value in values.items():
        setattr(warehouse, key, value)
    session.flush()
    tx_cache(session).pop("warehouse_default", None)  # kind or active may have changed
    return warehouse


def set_allow_negative_stock(session, allow: bool) -> None:
    """Change the business setting and the per-row flag the CHECK constraint reads, together.

    Turning it off is refused while any balance is negative or over-reserved, naming them.
    """
    from core.runtime import current
    from core.settings import set_settings
    if not allow:
        bad = session.execute(select(StockBalance.variant_id, StockBalance.on_hand, StockBalance.reserved,
                                     Warehouse.code).join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
                              .where((StockBalance.on_hand < 0) | (StockBalance.reserved > StockBalance.on_hand))
                              .limit(20)).all()
        if bad:
            names = skus(session, [b[0] for b in bad])
            listed = "; ".join(_("%(sku)s in %(code)s: on hand %(on_hand)s, reserved %(reserved)s", sku=names[v], code=code,
                                 on_hand=fmt(o), reserved=fmt(r)) for v, o, r, code in bad)
            raise UserError(_("cannot forbid negative stock while these balances are negative or over-reserved: "
                              "%(balances)s", balances=listed))
    runtime = current()
    set_settings(session, runtime.registry, "warehouse", {"allow_negative_stock": bool(allow)},
                 runtime.config["SECRET_KEY"])
    session.execute(update(StockBalance).values(allow_negative=bool(allow)),
                    execution_options={"synchronize_session": False})
    session.info["warehouse_allow_negative"] = bool(allow)
    session.flush()

"""Order entry: one plain payload becomes a New (or confirmed) order, whoever sends it.

The admin's New order screen, ``manage.py sales create --file`` and the REST API
(``POST /api/v1/orders``) hand this module the same dict::

    {"channel": "phone",
     "customer": {"code": "C00042"}  or  {"name", "phone", "email", "country", "tax_id", "kind",
                                          "address": {"street", "ward", "district", "province", "postal_code"}},
     "lines": [{"sku", "qty", "unit_price"?, "discount_percent"?}],
     "payment_term", "due_date", "prices_include_tax", "shipping_fee", "shipping_paid_by",
     "shipping_address", "cod", "customer_po", "note", "external_ref"}

so a rule is written once and every caller gets it: each field is checked and
every problem named by its path (``lines[1].qty: must be greater than 0``); prices
come from the catalog (the channel's price list first); a price that differs
needs ``sales.order.override_price``; ``confirm=True`` confirms in the same
transaction, so a stock shortfall refuses the whole order. Nothing commits here.

``actor`` is whoever asks: ``None`` is the system (the CLI, run by whoever may run
``manage.py``, holds every permission), anything else answers ``can(permission)``.

An ``external_ref`` is an idempotency key per channel, as Stripe treats one: the
same payload sent again returns the order it created (``Entered.created`` is
False), a different payload under the same reference is refused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from addons.partners.models import Partner
from core.errors import NotFound, UserError
from core.i18n import _, buyer_language

from .. import states
from ..models import Order
from ..totals import clean_amount
from .entry_fields import (ADDRESS_KEYS, CUSTOMER_KEYS, LINE_KEYS, SHIPPING_KEYS, EntryError, as_bool, as_date,
                           as_text, known_keys)
from .orders import business_of, confirm_order, create_order, get_order, set_lines, update_order
from .payment_terms import get_payment_term

OVERRIDE_PRICE = "sales.order.override_price"
KEYS = ("channel", "customer", "lines", "payment_term", "due_date", "prices_include_tax", "shipping_fee",
        "shipping_paid_by", "shipping_address", "cod", "customer_po", "note", "external_ref")
# What a New order's edit may change; the channel, customer and reference stay those it was entered with.
EDITABLE_KEYS = ("lines", "due_date", "shipping_fee", "shipping_paid_by", "shipping_address", "cod",
                 "customer_po", "note")
QTY_DECIMALS, PRICE_DECIMALS, PERCENT_DECIMALS = 3, 4, 2


@dataclass(frozen=True)
class Entered:
    order: Order
    created: bool   # False: an identical re-send of an external_ref returned the order it had made


@dataclass
class _Entry:
    """A payload after checking: plain values the order services take."""
    problems: list = field(default_factory=list)
    channel: str = "manual"
    customer: object = None          # a Partner, or the values of a new one
    lines: list = field(default_factory=list)
    header: dict = field(default_factory=dict)   # keyword arguments of create_order / update_order
    cod_total: bool = False          # "cod": true collects the whole total on delivery
    due_date: date | None = None
    shipping_address: dict | None = None


# ---------------------------------------------------------------- the two entry points

def create_order_from_entry(session, payload, *, confirm: bool = False, actor=None) -> Entered:
    """A New order from ``payload`` (confirmed too when ``confirm``), or an EntryError naming every field."""
    business = business_of(session)
    digest = _digest(payload, confirm)
    replayed = _replay(session, payload, digest)
    if replayed is not None:
        return Entered(replayed, created=False)
    entry = _Entry()
    known_keys(payload, KEYS, "", entry.problems)
    payload = payload if isinstance(payload, dict) else {}
    entry.channel = _channel(payload.get("channel"), entry.problems)
    entry.customer = _customer(session, payload.get("customer"), business, entry.problems)
    _read_common(session, payload, entry, business.currency, actor, kept={})
    if payload.get("payment_term") not in (None, ""):
        code = as_text(payload["payment_term"], "payment_term", 32, entry.problems)
        try:
            entry.header["payment_term_code"] = get_payment_term(session, code).code if code else None
        except UserError as exc:
            entry.problems.append(_("payment_term: %(error)s", error=exc))
    entry.header["prices_include_tax"] = as_bool(payload.get("prices_include_tax", False), "prices_include_tax",
                                                 entry.problems)
    entry.header["external_ref"] = as_text(payload.get("external_ref"), "external_ref", 64, entry.problems)
    if entry.problems:
        raise EntryError(entry.problems)
    partner = entry.customer if isinstance(entry.customer, Partner) else _create_customer(session, entry.customer)
    if entry.shipping_address is None:
        entry.shipping_address = _address_of(partner)
    order = create_order(session, channel=entry.channel, partner_id=partner.id, lines=entry.lines, **entry.header)
    order.entry_digest = digest if order.external_ref else None
    return Entered(_finish(session, order, entry, confirm), created=True)


def update_order_lines_from_entry(session, order_id: int, payload, *, confirm: bool = False, actor=None) -> Order:
    """Replace a New order's lines (and its editable header fields) from a payload of the same shape.

    A confirmed order is refused with the reason: its stock is reserved against these lines.
    """
    order = get_order(session, order_id)
    if not states.can(order, "edit"):
        raise EntryError([f"lines: {locked_reason(order)}"])
    entry = _Entry(channel=order.channel)
    known_keys(payload, EDITABLE_KEYS, "", entry.problems)
    payload = payload if isinstance(payload, dict) else {}
    kept = {line.sku: line.unit_price for line in order.lines}
    _read_common(session, payload, entry, order.currency, actor, kept=kept)
    if entry.problems:
        raise EntryError(entry.problems)
    set_lines(session, order.id, entry.lines)
    update_order(session, order.id, **entry.header)
    if entry.shipping_address is None:
        entry.shipping_address = order.shipping_address
    if "due_date" not in payload:
        entry.due_date = order.due_date
    return _finish(session, order, entry, confirm)


def locked_reason(order: Order) -> str:
    """Why the lines of an order that is no longer New cannot change (the screen shows the same words)."""
    why = {states.PROCESSING: _("stock is reserved against them; cancel the order and enter a new one to change them"),
           states.COMPLETED: _("its goods were delivered; a return or an exchange changes what the customer keeps"),
           states.CANCELLED: _("a cancelled order stays as it was; enter a new order instead")}[order.state]
    return _("order %(number)s is %(state)s, so its lines are locked: %(why)s", number=order.number,
             state=states.STATE_LABELS[order.state], why=why)


def _finish(session, order: Order, entry: _Entry, confirm: bool) -> Order:
    order.shipping_address = entry.shipping_address
    order.due_date = entry.due_date
    if entry.cod_total:
        order.cod_amount = order.total
    session.flush()
    if confirm:
        confirm_order(session, order.id)
    return order


# ---------------------------------------------------------------- reading a payload

def _read_common(session, payload: dict, entry: _Entry, currency: str, actor, kept: dict) -> None:
    """The fields a new order and an edited one share: lines, money, shipping, dates, texts."""
    problems = entry.problems
    entry.lines = _lines(session, payload.get("lines"), entry.channel, actor, kept, problems)
    header = entry.header
    header["shipping_fee"] = _money(payload.get("shipping_fee", "0"), "shipping_fee", currency, problems)
    payer = payload.get("shipping_paid_by") or "customer"
    if payer not in states.SHIPPING_PAYERS:
        problems.append(_("shipping_paid_by: %(payer)r must be customer or merchant", payer=payer))
    header["shipping_paid_by"] = payer
    cod = payload.get("cod", False)
    if isinstance(cod, bool) or cod in (None, ""):
        entry.cod_total, header["cod_amount"] = bool(cod), Decimal(0)
    else:
        header["cod_amount"] = _money(cod, "cod", currency, problems)
    header["customer_po"] = as_text(payload.get("customer_po"), "customer_po", 64, problems)
    header["note"] = as_text(payload.get("note"), "note", 4000, problems)
    entry.due_date = as_date(payload.get("due_date"), "due_date", problems)
    if entry.due_date is not None and entry.due_date < date.today():
        problems.append(_("due_date: %(date)s is before today", date=entry.due_date.isoformat()))
    if payload.get("shipping_address") not in (None, {}):
        entry.shipping_address = _shipping_address(payload["shipping_address"], problems)


def _channel(value, problems) -> str:
    channel = value or "manual"
    if channel not in states.CHANNELS:
        problems.append(_("channel: %(channel)r is not one of %(channels)s", channel=channel,
                          channels=", ".join(states.CHANNELS)))
    return channel


def _money(value, label: str, currency: str, problems) -> Decimal:
    from core.money import minor_units
    try:
        amount = clean_amount(value, label)
    except UserError as exc:
        problems.append(str(exc))
        return Decimal(0)
    if _decimals(amount) > minor_units(currency):
        problems.append(_("%(field)s: %(value)s has more decimals than %(currency)s allows", field=label, value=amount,
                          currency=currency))
    return amount


def _decimals(amount: Decimal) -> int:
    return max(0, -amount.normalize().as_tuple().exponent)


def _number(raw, label: str, decimals: int, problems, *, low=Decimal(0), high=None, positive=False):
    """A Decimal within bounds, or None with the problem recorded under ``label``."""
    try:
        value = clean_amount(raw, label, allow_negative=True)
    except UserError as exc:
        problems.append(str(exc))
        return None
    if positive and value <= 0:
        problems.append(_("%(field)s: must be greater than 0", field=label))
    elif value < low:
        problems.append(_("%(field)s: must not be negative", field=label))
    elif high is not None and value > high:
        problems.append(_("%(field)s: at most %(high)s", field=label, high=high))
    elif _decimals(value) > decimals:
        problems.append(_("%(field)s: at most %(decimals)s decimals", field=label, decimals=decimals))
    else:
        return value
    return None


def _lines(session, raw, channel: str, actor, kept: dict, problems) -> list[dict]:
    """Order lines for create_order/set_lines ({variant_id, qty, unit_price, discount_percent})."""
    if not isinstance(raw, list) or not raw:
        problems.append(_("lines: at least one line is needed, e.g. %(example)s",
                          example='[{"sku": "TEE-RED-M", "qty": 1}]'))
        return []
    skus = [line["sku"].strip() for line in raw if isinstance(line, dict) and _clean_text(line.get("sku"))]
    found = _sellable(session, skus, channel if channel in states.CHANNELS else None)
    may_override = actor is None or actor.can(OVERRIDE_PRICE)
    lines = []
    for i, line in enumerate(raw):
        where = f"lines[{i}]"
        if not known_keys(line, LINE_KEYS, where, problems):
            continue
        sku = as_text(line.get("sku"), f"{where}.sku", 64, problems) or ""
        terms = found.get(sku)
        if line.get("sku") is not None and not _clean_text(line.get("sku")):
            pass   # as_text named the problem
        elif not sku:
            problems.append(_("%(field)s: required", field=where + ".sku"))
        elif terms is None:
            problems.append(_("%(field)s: no product with SKU %(sku)r", field=where + ".sku", sku=sku))
        elif not (terms["variant"].active and terms["variant"].product.active):
            problems.append(_("%(field)s: %(sku)s is archived and cannot be sold", field=where + ".sku", sku=sku))
        qty = _number(line.get("qty"), f"{where}.qty", QTY_DECIMALS, problems, positive=True)
        price = terms["price"] if terms else None
        if line.get("unit_price") not in (None, ""):
            price = _number(line["unit_price"], f"{where}.unit_price", PRICE_DECIMALS, problems)
            if price is not None and terms and price != terms["price"] and price != kept.get(sku) \
                    and not may_override:
                problems.append(_("%(field)s: %(price)s differs from the catalog price %(catalog)s; changing a price "
                                  "needs the permission %(permission)s", field=where + ".unit_price", price=price,
                                  catalog=format(terms["price"].normalize(), "f"), permission=OVERRIDE_PRICE))
        discount = _number(line.get("discount_percent", "0") or "0", f"{where}.discount_percent",
                           PERCENT_DECIMALS, problems, high=Decimal(100))
        if terms and qty is not None and price is not None and discount is not None:
            lines.append({"variant_id": terms["variant"].id, "qty": qty, "unit_price": price,
                          "discount_percent": discount})
    return lines


def _clean_text(value) -> bool:
    """Text a query may carry (no NUL byte, which no database column can hold)."""
    return isinstance(value, str) and "\x00" not in value


def _sellable(session, skus, channel) -> dict[str, dict]:
    """Catalog selling terms by SKU, in two queries whatever the number of lines (fenced to the business)."""
    from addons.catalog import services as catalog
    from addons.catalog.models import Variant
    if not skus:
        return {}
    ids = session.scalars(select(Variant.id).where(Variant.sku.in_(set(skus)))).all()
    return {t["variant"].sku: t for t in catalog.selling_terms(session, ids, channel=channel).values()}


# ---------------------------------------------------------------- the customer

PARTNER_FIELD_PATHS = {"street": "customer.address.street", "city": "customer.address.district",
                       "region": "customer.address.province", "postal_code": "customer.address.postal_code"}


def _customer(session, raw, business, problems):
    """The existing customer ({"code"}), one found by tax id, or the checked values of a new one."""
    from addons.partners import services as partners
    if not known_keys(raw, CUSTOMER_KEYS, "customer", problems):
        if raw is None:
            problems.append(_("customer: required: %(example)s or the new customer's name, phone, ...",
                              example='{"code": ...}'))
        return None
    if "code" in raw:
        return _existing_customer(session, raw, problems)
    address = raw.get("address") or {}
    known_keys(address, ADDRESS_KEYS, "customer.address", problems)
    address = address if isinstance(address, dict) else {}
    text = {key: as_text(raw.get(key), f"customer.{key}", 200, problems)
            for key in ("name", "phone", "email", "country", "tax_id", "kind", "language")}
    place = {key: as_text(address.get(key), f"customer.address.{key}", 300, problems) for key in ADDRESS_KEYS}
    country = text["country"] or business.country
    # A new customer reads their own language, else their country's (a Vietnamese walk-in of a Korean
    # shop: Vietnamese), else the shop's: their invoices and mails go out in it.
    # (A language typed is kept as typed, so a wrong one is refused by the partner's checks.)
    language = text["language"] or buyer_language(None, country, (business.languages or ["en"])[0])
    values = dict(name=text["name"], country=country, tax_id=text["tax_id"],
                  kind=text["kind"] or ("company" if text["tax_id"] else "person"), email=text["email"],
                  phone=text["phone"], language=language,
                  street=", ".join(p for p in (place["street"], place["ward"]) if p) or None,
                  city=place["district"], region=place["province"], postal_code=place["postal_code"],
                  is_customer=True, is_supplier=False, active=True)
    cleaned, found = partners.clean_partner(values)
    for problem in found:
        name, _colon, rest = problem.partition(":")
        problems.append(f"{PARTNER_FIELD_PATHS.get(name, 'customer.' + name)}:{rest}")
    if found:
        return None
    if cleaned["tax_id"]:
        known = partners.partner_by_tax_id(session, cleaned["country"], cleaned["tax_id"])
        if known is not None and known.is_customer:
            return known
    return values


def _existing_customer(session, raw: dict, problems):
    from addons.partners import services as partners
    extra = sorted(set(raw) - {"code"})
    if extra:
        problems.append(_("customer: give either its code or a new customer's fields, not both (%(fields)s)",
                          fields=", ".join(extra)))
    try:
        partner = partners.partner_by_code(session, raw["code"])
    except NotFound:
        problems.append(_("customer.code: no customer with code %(code)r", code=raw["code"]))
        return None
    if not partner.is_customer:
        problems.append(_("customer.code: %(name)s is not marked as a customer", name=partner.name))
    elif not partner.active:
        problems.append(_("customer.code: %(name)s is archived", name=partner.name))
    return partner


def _create_customer(session, values: dict) -> Partner:
    from addons.partners import services as partners
    return partners.create_partner(session, **values)


def _address_of(partner: Partner) -> dict | None:
    """The customer's address as a shipping address (district = city, province = region)."""
    address = {"name": partner.name, "phone": partner.phone, "street": partner.street,
               "district": partner.city, "province": partner.region, "postal_code": partner.postal_code,
               "country": partner.country}
    return {key: value for key, value in address.items() if value}


def _shipping_address(raw, problems) -> dict | None:
    if not known_keys(raw, SHIPPING_KEYS, "shipping_address", problems):
        return None
    address = {key: as_text(raw.get(key), f"shipping_address.{key}", 300, problems) for key in SHIPPING_KEYS}
    return {key: value for key, value in address.items() if value} or None


# ---------------------------------------------------------------- idempotency

def _digest(payload, confirm: bool) -> str:
    canonical = json.dumps({"payload": payload, "confirm": bool(confirm)}, sort_keys=True, default=str,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(session, payload, digest: str) -> Order | None:
    """The order an identical earlier payload made; an EntryError when the reference holds another."""
    if not isinstance(payload, dict) or not isinstance(payload.get("external_ref"), str):
        return None
    ref, channel = payload["external_ref"].strip(), payload.get("channel") or "manual"
    if not ref or channel not in states.CHANNELS:
        return None
    order = session.scalar(select(Order).where(Order.channel == channel, Order.external_ref == ref))
    if order is None:
        return None
    if order.entry_digest != digest:
        raise EntryError([_("external_ref: %(channel)s order %(ref)r is already %(number)s with other content; send "
                            "exactly the same content to get it back, or use a new reference", channel=channel,
                            ref=ref, number=order.number)])
    return order

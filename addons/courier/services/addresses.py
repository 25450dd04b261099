"""Canonical addresses and their carrier area codes.

The canonical address (street, ward, district, province, country) is what
people type and read; each carrier wants its own codes. ``resolve_area`` maps
one to the other through the lists ``sync-areas`` loaded, matching names folded
the same way on both sides ("Quận 1", "Q.1" and "quan 1" are one name; "Phường"
and "Xã" prefixes and accents do not matter). Both Vietnamese shapes work: the
three-level address (province, district, ward) and the 2025 two-level one
(province, ward), whose ward is searched in the whole province.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _
from core.text import clean_text

from ..carriers import TWO_LEVEL
from ..models import Area, PartnerAddress

ADDRESS_KEYS = ("street", "ward", "district", "province", "country")
RECEIVER_KEYS = ("name", "phone") + ADDRESS_KEYS
LENGTHS = {"street": 300, "ward": 120, "district": 120, "province": 120, "country": 2}
# Administrative words that precede a name ("Thành phố Hồ Chí Minh" is "ho chi minh").
PREFIXES = ("thanh pho", "tinh", "quan", "huyen", "thi xa", "thi tran", "phuong", "xa", "tp", "q", "p", "h",
            "tx", "tt", "dac khu")


def fold(name: str | None) -> str:
    """A name as matching sees it: no accents, lower case, no administrative prefix, single spaces."""
    if not name:
        return ""
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    for prefix in PREFIXES:
        if text.startswith(prefix + " ") and len(text) > len(prefix) + 1:
            text = text[len(prefix) + 1:]
            break
    text = re.sub(r"^0+(\d)", r"\1", text)     # "Quận 01" is "Quận 1"
    return text


def clean_receiver(raw: dict) -> dict:
    """The receiver as stored on a shipment: known keys, clean one-line text; name and phone required."""
    problems, out = [], {}
    for key in RECEIVER_KEYS:
        try:
            value = clean_text(raw.get(key), f"receiver.{key}", max_len=300)
        except UserError as exc:
            problems.append(str(exc))
            continue
        if value:
            out[key] = value
    for key in ("name", "phone", "street", "province"):
        if not out.get(key):
            problems.append(_("receiver.%(key)s: required", key=key))
    if problems:
        raise UserError("; ".join(problems))
    out.setdefault("country", "VN")
    return out


def receiver_of_order(session, order) -> dict:
    """Who receives the order's parcel: the order's frozen shipping address, else the customer's
    canonical address, else the customer's plain address fields."""
    partner = order.partner
    found = dict(order.shipping_address or {})
    if partner is not None:
        canonical = session.scalar(select(PartnerAddress).where(PartnerAddress.partner_id == partner.id))
        base = {"name": partner.name, "phone": partner.phone, "country": partner.country}
        if canonical is not None:
            base.update({key: getattr(canonical, key) for key in ADDRESS_KEYS if getattr(canonical, key)})
        else:
            # plain partner fields: a region is the province (and the city its district); else the city
            base.update({"street": partner.street, "district": partner.city if partner.region else None,
                         "province": partner.region or partner.city})
        if not any(found.get(key) for key in ("street", "province")):
            found = {**{k: v for k, v in base.items() if v}, **{k: v for k, v in found.items() if v}}
        else:
            found.setdefault("name", partner.name)
            found.setdefault("phone", partner.phone)
    return {key: found[key] for key in RECEIVER_KEYS if found.get(key)}


def set_partner_address(session, partner_id: int, **fields) -> PartnerAddress:
    """Write the partner's canonical address (street, ward, district, province, country)."""
    from addons.partners.models import Partner
    if session.scalar(select(Partner.id).where(Partner.id == partner_id)) is None:
        raise UserError(_("partner: #%(id)s does not exist", id=partner_id))
    unknown = set(fields) - set(ADDRESS_KEYS)
    if unknown:
        raise UserError(_("address: unknown fields %(fields)s", fields=", ".join(sorted(unknown))))
    clean = {key: clean_text(fields.get(key), key, max_len=LENGTHS[key]) for key in ADDRESS_KEYS}
    if not clean["province"]:
        raise UserError(_("province: required"))
    country = (clean["country"] or "VN").upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise UserError(_("country: %(value)r is not a two-letter country code", value=clean["country"]))
    clean["country"] = country
    row = session.scalar(select(PartnerAddress).where(PartnerAddress.partner_id == partner_id))
    if row is None:
        row = PartnerAddress(partner_id=partner_id)
        session.add(row)
    for key, value in clean.items():
        setattr(row, key, value or ("VN" if key == "country" else None))
    session.flush()
    return row


def _match(session, carrier: str, level: str, name: str, parents) -> list[Area]:
    query = select(Area).where(Area.carrier == carrier, Area.level == level, Area.norm == fold(name))
    if parents is not None:
        query = query.where(Area.parent_code.in_(list(parents)))
    return list(session.scalars(query.limit(5)))


def _ward_parents(session, carrier: str, province: Area) -> list[str]:
    """A two-level address's ward hangs under the province, or under any of its districts."""
    return [province.code] + list(session.scalars(select(Area.code).where(
        Area.carrier == carrier, Area.level == "district", Area.parent_code == province.code)))


def resolve_area(session, carrier: str, carrier_label: str, receiver: dict) -> dict:
    """The carrier's {province, district, ward} codes for the receiver, or a UserError naming the part
    of the address that matches no area of the carrier.

    A carrier may hold both the three-level lists and the 2025 two-level ones (codes starting with
    ``carriers.TWO_LEVEL``), where "Hà Nội" is a province twice: an address with a district is
    looked up in the three-level lists, one without in the two-level lists first, then in the
    three-level ones (a ward name typed without its old district)."""
    if session.scalar(select(Area.id).where(Area.carrier == carrier).limit(1)) is None:
        raise UserError(_("receiver address: no %(carrier)s areas loaded yet", carrier=carrier_label),
                        cli_hint=f"run 'manage.py courier sync-areas --carrier {carrier}' first")
    found = _match(session, carrier, "province", receiver.get("province"), None)
    two = [p for p in found if p.code.startswith(TWO_LEVEL)]
    three = [p for p in found if not p.code.startswith(TWO_LEVEL)]
    candidates = [c for c in ([three] if receiver.get("district") else [two, three]) if len(c) == 1]
    if not candidates:
        raise UserError(_("receiver province: %(name)r matches no %(carrier)s province",
                          name=receiver.get("province") or "", carrier=carrier_label))
    if receiver.get("district"):
        province = candidates[0][0]
        districts = _match(session, carrier, "district", receiver["district"], [province.code])
        if len(districts) != 1:
            raise UserError(_("receiver district: %(name)r matches no %(carrier)s district in %(province)s",
                              name=receiver["district"], carrier=carrier_label, province=province.name))
        district = districts[0]
        if not receiver.get("ward"):
            return {"province": province.code, "district": district.code, "ward": None}
        wards = _match(session, carrier, "ward", receiver["ward"], [district.code])
        if len(wards) != 1:
            raise UserError(_("receiver ward: %(name)r matches no %(carrier)s ward in %(where)s",
                              name=receiver["ward"], carrier=carrier_label, where=district.name))
        return {"province": province.code, "district": district.code, "ward": wards[0].code}
    if not receiver.get("ward"):
        raise UserError(_("receiver ward: required by %(carrier)s", carrier=carrier_label))
    for (province,) in candidates:
        wards = _match(session, carrier, "ward", receiver["ward"], _ward_parents(session, carrier, province))
        if len(wards) == 1:
            ward = wards[0]
            district = None
            if ward.parent_code != province.code:
                district = session.scalar(select(Area).where(Area.carrier == carrier, Area.level == "district",
                                                             Area.code == ward.parent_code))
            return {"province": province.code, "district": district.code if district is not None else None,
                    "ward": ward.code}
    raise UserError(_("receiver ward: %(name)r matches no %(carrier)s ward in %(where)s",
                      name=receiver["ward"], carrier=carrier_label, where=candidates[0][0].name))

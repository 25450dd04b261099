"""What the provider adapters send, read from the stored invoice XML (the one source of the invoice's content).

``invoice_facts(xml)`` turns an ``HDon`` into plain values: header, seller, buyer,
lines, per-rate subtotals and totals, and the related invoice of a correction.
"""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from lxml import etree

from core.money import json_number

NAMESPACE = uuid.UUID("8d6b7f38-5a1e-4f0e-9a55-1b2c0e3f9a10")


def transaction_uuid(idempotency_key: str) -> str:
    """The framework's idempotency key as the provider's id (Viettel transactionUuid, MISA RefID): a UUID."""
    return str(uuid.uuid5(NAMESPACE, idempotency_key))


def business_of_key(idempotency_key: str) -> int:
    return int(idempotency_key.split("-", 1)[0])


def _t(el, path):
    node = el.find(path) if el is not None else None
    return (node.text or "").strip() if node is not None and node.text else None


def _d(el, path):
    value = _t(el, path)
    return Decimal(value) if value else None


def invoice_facts(xml: bytes) -> dict:
    root = etree.fromstring(xml)
    dl = root.find("DLHDon")
    tt, nd = dl.find("TTChung"), dl.find("NDHDon")
    related = None
    rel = tt.find("TTHDLQuan")
    if rel is not None:
        related = {"kind": {"1": "replacement", "2": "adjustment"}[_t(rel, "TCHDon")],
                   "template": _t(rel, "KHMSHDCLQuan"), "symbol": _t(rel, "KHHDCLQuan"),
                   "number": int(_t(rel, "SHDCLQuan")), "date": date.fromisoformat(_t(rel, "NLHDCLQuan")),
                   "note": _t(rel, "GChu")}
    agreement = {}
    for info in tt.findall("TTKhac/TTin"):
        agreement[_t(info, "TTruong")] = _t(info, "DLieu")
    lines = [{"nature": _t(h, "TChat"), "number": int(_t(h, "STT")), "code": _t(h, "MHHDVu"),
              "name": _t(h, "THHDVu"), "unit": _t(h, "DVTinh"), "quantity": _d(h, "SLuong"),
              "price": _d(h, "DGia"), "discount_percent": _d(h, "TLCKhau") or Decimal(0),
              "discount_amount": _d(h, "STCKhau") or Decimal(0), "amount": _d(h, "ThTien") or Decimal(0),
              "tsuat": _t(h, "TSuat")} for h in nd.findall("DSHHDVu/HHDVu")]
    tot = nd.find("TToan")
    return {
        "template": _t(tt, "KHMSHDon"), "symbol": _t(tt, "KHHDon"), "number": int(_t(tt, "SHDon")),
        "issue_date": date.fromisoformat(_t(tt, "NLap")), "currency": _t(tt, "DVTTe"),
        "exchange_rate": _d(tt, "TGia") or Decimal(1), "payment": _t(tt, "HTTToan"), "related": related,
        "agreement_ref": agreement.get("SoBienBanThoaThuan"), "agreement_date": agreement.get("NgayBienBanThoaThuan"),
        "seller": {k: _t(nd, f"NBan/{tag}") for k, tag in (("name", "Ten"), ("tax_id", "MST"), ("address", "DChi"),
                                                           ("phone", "SDThoai"), ("email", "DCTDTu"))},
        "buyer": {k: _t(nd, f"NMua/{tag}") for k, tag in (("name", "Ten"), ("tax_id", "MST"), ("address", "DChi"),
                                                          ("phone", "SDThoai"), ("email", "DCTDTu"),
                                                          ("contact", "HVTNMHang"), ("personal_id", "CCCDan"))},
        "lines": lines,
        "rates": [{"tsuat": _t(g, "TSuat"), "base": _d(g, "ThTien"), "tax": _d(g, "TThue")}
                  for g in tot.findall("THTTLTSuat/LTSuat")],
        "base": _d(tot, "TgTCThue"), "tax": _d(tot, "TgTThue") or Decimal(0), "discount": _d(tot, "TTCKTMai"),
        "total": _d(tot, "TgTTTBSo"), "words": _t(tot, "TgTTTBChu"),
    }


def num(value):
    """A Decimal as a JSON number (int when whole)."""
    return None if value is None else json_number(value)

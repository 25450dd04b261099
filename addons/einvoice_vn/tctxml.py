"""The tax authority's invoice XML (Decision 1450/QĐ-TCT data format) and its checks: no session.

``build(spec)`` writes ``HDon/DLHDon`` (``TTChung``, ``NDHDon`` with ``NBan``, ``NMua``,
``DSHHDVu``, ``TToan``) and an empty ``DSCKS`` for the signatures; ``check(xml)`` reads
any such XML (also one wrapped in a ``TDiep`` message) and returns the broken rules:

* ``VN-KHHD``: template 1-6, a valid symbol whose year part is the year of ``NLap``, number 1-8 digits;
* ``VN-MST``: the seller's and buyer's tax codes pass the checksum, a personal id is 12 digits;
* ``VN-LINE``: a goods line's ``ThTien`` is ``SLuong`` × ``DGia`` less its discount;
* ``VN-RATE``: ``TSuat`` is a known code and each ``LTSuat``'s tax is its base × rate;
* ``VN-TOT``: the totals are the sums of the per-rate subtotals (and fees);
* ``VN-CUR``: ``DVTTe`` is an ISO 4217 code, ``TGia`` positive;
* ``VN-SIG``: the seller's XMLDSig signature over ``DLHDon`` verifies (required with ``require_signature``).

``PBan`` 2.1.0 is the 2025 revision (buyer's personal id ``CCCDan``, ``HDCTTChinh``); 2.0.1 the earlier one.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from core.i18n import _

from . import symbols, taxcodes
from .words import amount_in_words

VERSION = "2.1.0"
TITLES = {"1": "Hóa đơn giá trị gia tăng", "2": "Hóa đơn bán hàng", "3": "Hóa đơn bán tài sản công",
          "4": "Hóa đơn bán hàng dự trữ quốc gia", "5": "Tem, vé, thẻ", "6": "Phiếu xuất kho"}
CASH_REGISTER_TITLE = "Hóa đơn giá trị gia tăng khởi tạo từ máy tính tiền"
RELATED_NATURE = {"replacement": "1", "adjustment": "2"}
RELATED_WORDS = {"adjustment": "Điều chỉnh cho", "replacement": "Thay thế cho"}


def related_text(related: dict) -> str:
    """ "Điều chỉnh cho hóa đơn Mẫu số 1 ký hiệu C26TAA số 00000012 ngày 15/09/2026" (the law's wording)."""
    return (f"{RELATED_WORDS[related['kind']]} hóa đơn Mẫu số {related['template']} ký hiệu {related['symbol']} "
            f"số {int(related['number']):08d} ngày {related['date'].strftime('%d/%m/%Y')}")


def fmt(value) -> str:
    value = Decimal(value)
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _add(parent, tag: str, value=None, always: bool = False):
    if value is None or value == "":
        if not always:
            return None
        value = ""
    el = etree.SubElement(parent, tag)
    el.text = value if isinstance(value, str) else fmt(value) if isinstance(value, (int, Decimal)) else str(value)
    return el


def build(spec: dict) -> bytes:
    """The unsigned HDon of ``spec`` (see ``services.build.spec_of``), UTF-8 with a declaration."""
    version = spec.get("version", VERSION)
    root = etree.Element("HDon")
    dl = etree.SubElement(root, "DLHDon", Id=spec["id"])
    tt = etree.SubElement(dl, "TTChung")
    _add(tt, "PBan", version)
    _add(tt, "THDon", spec.get("title") or TITLES[spec["template"]])
    _add(tt, "KHMSHDon", spec["template"])
    _add(tt, "KHHDon", spec["symbol"])
    _add(tt, "SHDon", str(spec["number"]))
    _add(tt, "NLap", spec["issue_date"].isoformat())
    _add(tt, "DVTTe", spec["currency"])
    _add(tt, "TGia", spec.get("exchange_rate") or Decimal(1))
    _add(tt, "HTTToan", spec.get("payment") or "TM/CK")
    _add(tt, "MSTTCGP", spec.get("provider_tax_code"))
    related = spec.get("related")
    if related:
        rel = etree.SubElement(tt, "TTHDLQuan")
        _add(rel, "TCHDon", RELATED_NATURE[related["kind"]])
        _add(rel, "LHDCLQuan", "1")
        _add(rel, "KHMSHDCLQuan", related["template"])
        _add(rel, "KHHDCLQuan", related["symbol"])
        _add(rel, "SHDCLQuan", str(related["number"]))
        _add(rel, "NLHDCLQuan", related["date"].isoformat())
        _add(rel, "GChu", related.get("note"))
    if version >= "2.1.0":
        _add(tt, "HDCTTChinh", "0")
    if spec.get("agreement"):
        info = etree.SubElement(tt, "TTKhac")
        for field, value in (("SoBienBanThoaThuan", spec["agreement"]["ref"]),
                             ("NgayBienBanThoaThuan", spec["agreement"]["date"].isoformat())):
            t = etree.SubElement(info, "TTin")
            _add(t, "TTruong", field)
            _add(t, "KDLieu", "string" if field.startswith("So") else "date")
            _add(t, "DLieu", value)
    nd = etree.SubElement(dl, "NDHDon")
    seller, buyer = spec["seller"], spec["buyer"]
    nban = etree.SubElement(nd, "NBan")
    _add(nban, "Ten", seller["name"])
    _add(nban, "MST", seller["tax_id"])
    _add(nban, "DChi", seller.get("address"), always=True)
    _add(nban, "SDThoai", seller.get("phone"))
    _add(nban, "DCTDTu", seller.get("email"))
    _add(nban, "STKNHang", seller.get("bank_account"))
    _add(nban, "TNHang", seller.get("bank_name"))
    nmua = etree.SubElement(nd, "NMua")
    _add(nmua, "Ten", buyer.get("name"))
    _add(nmua, "MST", buyer.get("tax_id"))
    if version >= "2.1.0":
        _add(nmua, "CCCDan", buyer.get("personal_id"))
    _add(nmua, "DChi", buyer.get("address"))
    _add(nmua, "HVTNMHang", buyer.get("contact"))
    _add(nmua, "SDThoai", buyer.get("phone"))
    _add(nmua, "DCTDTu", buyer.get("email"))
    items = etree.SubElement(nd, "DSHHDVu")
    for n, line in enumerate(spec["lines"], 1):
        h = etree.SubElement(items, "HHDVu")
        _add(h, "TChat", line.get("nature", "1"))
        _add(h, "STT", str(n))
        _add(h, "MHHDVu", line.get("code"))
        _add(h, "THHDVu", line["name"])
        if line.get("nature", "1") != "4":
            _add(h, "DVTinh", line.get("unit"))
            _add(h, "SLuong", line.get("quantity"))
            _add(h, "DGia", line.get("price"))
            if line.get("discount_amount"):
                _add(h, "TLCKhau", line.get("discount_percent"))
                _add(h, "STCKhau", line["discount_amount"])
            _add(h, "ThTien", line["amount"])
            if spec.get("with_vat", True):
                _add(h, "TSuat", line["tsuat"])
    tot = etree.SubElement(nd, "TToan")
    if spec.get("with_vat", True):
        rates = etree.SubElement(tot, "THTTLTSuat")
        for group in spec["rates"]:
            lt = etree.SubElement(rates, "LTSuat")
            _add(lt, "TSuat", group["tsuat"])
            _add(lt, "ThTien", group["base"])
            _add(lt, "TThue", group["tax"])
    totals = spec["totals"]
    _add(tot, "TgTCThue", totals["base"])
    if spec.get("with_vat", True):
        _add(tot, "TgTThue", totals["tax"])
    _add(tot, "TTCKTMai", totals.get("discount", Decimal(0)))
    _add(tot, "TgTTTBSo", totals["total"])
    _add(tot, "TgTTTBChu", amount_in_words(totals["total"], spec["currency"]))
    cks = etree.SubElement(root, "DSCKS")
    for tag in ("NBan", "NMua", "CQT", "CCKSKhac"):
        etree.SubElement(cks, tag)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ---------------------------------------------------------------- checks

def _dec(el, path: str):
    node = el.find(path)
    if node is None or node.text is None or not node.text.strip():
        return None
    try:
        return Decimal(node.text.strip())
    except InvalidOperation:
        return Decimal("NaN")


def _text(el, path: str) -> str:
    node = el.find(path)
    return (node.text or "").strip() if node is not None else ""


def check(xml: bytes, *, require_signature: bool = False, tolerance=Decimal(1)) -> list[tuple[str, str]]:
    """Broken rules of an invoice XML as (rule, message); empty when it passes."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [("VN-XML", _("not well-formed XML: %(error)s", error=str(exc)))]
    dl = root if root.tag == "DLHDon" else root.find(".//DLHDon")
    if dl is None:
        return [("VN-XML", _("no DLHDon element"))]
    problems: list[tuple[str, str]] = []
    tt = dl.find("TTChung")
    template, symbol, number, nlap = (_text(tt, "KHMSHDon"), _text(tt, "KHHDon"), _text(tt, "SHDon"),
                                      _text(tt, "NLap"))
    try:
        parsed = symbols.parse(symbol, template=template)
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", nlap):
            problems.append(("VN-KHHD", _("NLap %(value)s: a date YYYY-MM-DD", value=repr(nlap))))
        elif parsed.year != int(nlap[:4]):
            problems.append(("VN-KHHD", _("KHHDon %(symbol)s: year part %(yy)s is not the year of NLap %(date)s",
                                             symbol=symbol, yy=symbol[1:3], date=nlap)))
    except Exception as exc:  # noqa: BLE001 - UserError with the reason
        problems.append(("VN-KHHD", str(exc)))
    if not re.match(r"^[1-9]\d{0,7}$", number):
        problems.append(("VN-KHHD", _("SHDon %(value)s: 1 to 8 digits", value=repr(number))))
    currency = _text(tt, "DVTTe")
    if not re.match(r"^[A-Z]{3}$", currency):
        problems.append(("VN-CUR", _("DVTTe %(value)s: an ISO 4217 code such as VND", value=repr(currency))))
    rate = _dec(tt, "TGia")
    if rate is not None and not rate > 0:
        problems.append(("VN-CUR", _("TGia %(value)s: a positive exchange rate", value=repr(_text(tt, "TGia")))))
    problems += _check_parties(dl.find("NDHDon"))
    problems += _check_amounts(dl.find("NDHDon"), tolerance)
    problems += _check_signature(root, dl, require_signature)
    return problems


def _check_parties(nd) -> list[tuple[str, str]]:
    from stdnum.vn import mst
    out = []
    for party, label in (("NBan", _("seller")), ("NMua", _("buyer"))):
        code = _text(nd, f"{party}/MST")
        if (code or party == "NBan") and not mst.is_valid(code):
            out.append(("VN-MST", _("%(party)s MST %(value)s: not a valid Vietnamese tax code (checksum)", party=label,
                                       value=repr(code))))
    personal = _text(nd, "NMua/CCCDan")
    if personal and not re.match(r"^\d{12}$", personal):
        out.append(("VN-MST", _("buyer CCCDan %(value)s: a personal id has 12 digits", value=repr(personal))))
    return out


def _check_amounts(nd, tolerance) -> list[tuple[str, str]]:
    out = []
    for n, h in enumerate(nd.findall("DSHHDVu/HHDVu"), 1):
        nature = _text(h, "TChat") or "1"
        qty, price, amount = _dec(h, "SLuong"), _dec(h, "DGia"), _dec(h, "ThTien")
        code = _text(h, "TSuat")
        if code:
            try:
                taxcodes.percent(code)
            except Exception as exc:  # noqa: BLE001
                out.append(("VN-RATE", _("line %(line)s: %(error)s", line=n, error=str(exc))))
        if nature == "1" and None not in (qty, price, amount):
            expected = qty * price - (_dec(h, "STCKhau") or 0)
            if abs(expected - amount) > tolerance:
                out.append(("VN-LINE", _("line %(line)s: ThTien %(amount)s is not SLuong × DGia − STCKhau = %(expected)s",
                                         line=n, amount=fmt(amount), expected=fmt(expected))))
    tot = nd.find("TToan")
    groups = tot.findall("THTTLTSuat/LTSuat")
    base_sum, tax_sum = Decimal(0), Decimal(0)
    lines = max(1, len(nd.findall("DSHHDVu/HHDVu")))
    for group in groups:
        code, base, tax = _text(group, "TSuat"), _dec(group, "ThTien") or Decimal(0), _dec(group, "TThue")
        base_sum += base
        tax_sum += tax or 0
        try:
            pct = taxcodes.percent(code)
        except Exception as exc:  # noqa: BLE001
            out.append(("VN-RATE", _("LTSuat: %(error)s", error=str(exc))))
            continue
        expected = (base * (pct or 0) / 100)
        if abs(expected - (tax or 0)) > tolerance * lines:
            out.append(("VN-RATE", _("LTSuat %(code)s: TThue %(tax)s is not ThTien %(base)s × %(code)s = %(expected)s",
                                     code=code, tax=fmt(tax or 0), base=fmt(base), expected=fmt(expected))))
    total_base, total_tax, total = _dec(tot, "TgTCThue"), _dec(tot, "TgTThue"), _dec(tot, "TgTTTBSo")
    fees = sum((_dec(f, "TPhi") or 0 for f in tot.findall("DSLPhi/LPhi")), Decimal(0))
    if groups and total_base is not None and abs(total_base - base_sum) > tolerance:
        out.append(("VN-TOT", _("TgTCThue %(total)s is not the sum of LTSuat/ThTien %(sum)s", total=fmt(total_base),
                                 sum=fmt(base_sum))))
    if groups and total_tax is not None and abs(total_tax - tax_sum) > tolerance:
        out.append(("VN-TOT", _("TgTThue %(total)s is not the sum of LTSuat/TThue %(sum)s", total=fmt(total_tax), sum=fmt(tax_sum))))
    if total is None or total_base is None:
        out.append(("VN-TOT", _("TgTCThue and TgTTTBSo are required")))
    elif abs(total_base + (total_tax or 0) + fees - total) > tolerance:
        out.append(("VN-TOT", _("TgTTTBSo %(total)s is not TgTCThue + TgTThue + fees = %(expected)s", total=fmt(total),
                                expected=fmt(total_base + (total_tax or 0) + fees))))
    return out


def _check_signature(root, dl, required: bool) -> list[tuple[str, str]]:
    from .signing import verify
    sig = root.find(".//DSCKS/NBan/{http://www.w3.org/2000/09/xmldsig#}Signature")
    if sig is None:
        return [("VN-SIG", _("the seller's signature (DSCKS/NBan/Signature) is missing"))] if required else []
    try:
        verify(etree.tostring(root), dl.get("Id"))
    except Exception as exc:  # noqa: BLE001 - signxml's InvalidSignature and friends
        return [("VN-SIG", _("the seller's signature does not verify: %(error)s", error=str(exc)))]
    return []

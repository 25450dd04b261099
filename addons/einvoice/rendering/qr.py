"""What the QR code on a printed document says, per tax regime (seller's country).

Vietnam prints a code to look the invoice up at the tax authority; Mexico the
SAT verification URL of the stamped CFDI; Korea and most others none. Country
adapter addons replace or add a regime with ``register_qr_builder``. A builder
returns None when the document cannot carry a code yet (a CFDI not stamped).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Callable
from urllib.parse import urlencode

from .common import party_value
from .labels import labels_for

SAT_VERIFY_URL = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"


def authority_answer(document):
    """The accepted submission of the document (its ``authority_code`` and ``authority_uuid``), or None.

    Issued documents carry no authority codes themselves: each exchange with the
    provider is a ``Submission``, and the latest accepted one holds what the
    authority gave back (a Vietnamese lookup code; a Mexican stamp's UUID and seal).
    """
    accepted = [sub for sub in (getattr(document, "submissions", None) or ()) if sub.state == "accepted"]
    return accepted[-1] if accepted else None


def _vn(document) -> dict | None:
    """Seller tax code, template symbol, number, date and total, plus the provider's lookup code."""
    if getattr(document, "number", None) is None:
        return None
    answer = authority_answer(document)
    lookup = (answer.authority_code if answer else None) or ""
    parts = [party_value(document.seller, "tax_id"), document.series or "", str(document.number),
             document.issue_date.strftime("%Y%m%d"), format(Decimal(document.total).normalize(), "f"), lookup]
    caption = labels_for(document.language)["lookup_code"] + (f": {lookup}" if lookup else "")
    return {"payload": "|".join(parts).rstrip("|"), "caption": caption}


def _mx(document) -> dict | None:
    """SAT verification URL (Anexo 20): UUID, issuer and receiver RFC, total, last 8 chars of the seal.

    A Mexican provider (PAC) adapter answers with the stamp's UUID as ``authority_uuid``
    and the CFDI seal (sello) as ``authority_code``; before the stamp there is no code.
    """
    answer = authority_answer(document)
    uuid = answer.authority_uuid if answer else None
    if not uuid:
        return None
    seal = answer.authority_code or ""
    query = urlencode({"id": uuid, "re": party_value(document.seller, "tax_id"),
                       "rr": party_value(document.buyer, "tax_id") or "XAXX010101000",
                       "tt": format(Decimal(document.total).quantize(Decimal("0.01")), "f"), "fe": seal[-8:]})
    return {"payload": f"{SAT_VERIFY_URL}?{query}", "caption": labels_for(document.language)["qr"]}


QR_BUILDERS: dict[str, Callable] = {"VN": _vn, "MX": _mx}


def register_qr_builder(country: str, builder: Callable | None) -> None:
    """Set (or with None, remove) the QR builder of a country's regime."""
    code = country.upper()
    if builder is None:
        QR_BUILDERS.pop(code, None)
    else:
        QR_BUILDERS[code] = builder


def qr_payload(document) -> dict | None:
    """``{"payload", "caption"}`` for the document's regime, or None where no QR is printed."""
    builder = QR_BUILDERS.get(party_value(document.seller, "country").upper())
    return builder(document) if builder else None

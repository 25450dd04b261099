"""Mexico's taxes as the einvoice document's own: one total for the document, its PDF and its CFDI.

Registered with einvoice's ``totals.register_tax_regime`` when the addon's code
loads. For a document of a Mexican business with the addon enabled (not a counter receipt, which goes
into the global invoice) the line nets, line taxes and tax lines come from the
same Anexo 20 arithmetic the CFDI is built with (``build.concepts``): IEPS as a
tax line, IVA on base + IEPS, ISR and IVA withheld as negative tax lines. So
``Document.total`` == the CFDI's ``Total`` == the PDF's total, exactly.
A line the CFDI refuses (a rate Mexico does not have) leaves the document on
the VAT arithmetic; issuing then refuses it with the reason (``signing``).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import object_session

from core.errors import UserError

from .totals import IEPS, ISR, IVA

NAMES = {IVA: "IVA", IEPS: "IEPS", ISR: "ISR"}


def regime(doc):
    session = object_session(doc)
    if session is None or "business_id" not in session.info or doc.type == "receipt" or not doc.lines:
        return None
    from core.addons.state import is_enabled
    from .services import build, signing
    if not is_enabled(session, session.info["business_id"], "einvoice_mx") or not signing.is_mexican(session):
        return None
    try:
        _nodes, computed = build.concepts(session, doc, build.settings(session), build.partner_for(session, doc))
    except UserError:
        return None
    lines = [(c.importe - c.descuento,
              sum((t.importe for t in c.traslados if t.importe is not None), Decimal(0))
              - sum((t.importe for t in c.retenciones), Decimal(0))) for c in computed]
    return {"lines": lines, "tax_lines": tax_lines(computed)}


def tax_lines(computed) -> list[dict]:
    """The comprobante's traslados (per tax, factor and rate) then its retenciones, negative."""
    charged: dict[tuple, dict] = {}
    held: dict[str, dict] = {}
    for c in computed:
        for t in c.traslados:
            exempt = t.factor == "Exento"
            # IVA keeps the VAT category codes (S, Z, E: UNCL5305) the rest of einvoice and the UBL
            # read; IEPS and the withholdings are named by SAT's tax names and are no VAT.
            iva = t.impuesto == IVA
            category = ("E" if exempt else "S" if t.rate else "Z") if iva else NAMES[t.impuesto]
            row = charged.setdefault((t.impuesto, t.factor, t.rate), {
                "category": category, "label": NAMES[t.impuesto], "vat": iva,
                "rate": None if exempt else t.rate, "base": Decimal(0), "tax": Decimal(0)})
            row["base"] += t.base
            row["tax"] += t.importe or Decimal(0)
        for t in c.retenciones:
            row = held.setdefault(t.impuesto, {"category": f"{NAMES[t.impuesto]} ret.", "label": NAMES[t.impuesto],
                                               "vat": False, "rate": t.rate, "base": Decimal(0), "tax": Decimal(0)})
            if row["rate"] != t.rate:
                row["rate"] = None
            row["base"] += t.base
            row["tax"] -= t.importe
    return list(charged.values()) + [held[k] for k in sorted(held)]


def register() -> None:
    from addons.einvoice.totals import register_tax_regime
    register_tax_regime(regime)

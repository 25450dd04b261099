"""The CFDI 4.0 Comprobante of an einvoice document, built with satcfdi's CFDI objects.

What comes from where: the emisor from the business (RFC = its tax id), the
name on its CSD and the ``regimen_fiscal`` setting; the receptor from the SAT
data of the partner (through the document's order, else by RFC), or the
generic RFC rules for a buyer without one; each concept's ClaveProdServ,
ClaveUnidad, ObjetoImp and IEPS from the product's SAT row (found by the line's
SKU), else the settings' defaults; the amounts by ``totals`` (Anexo 20).
A credit note is type E related (TipoRelacion 01) to the stamped CFDI of the
invoice it corrects; a replacement is type I with TipoRelacion 04.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.errors import FieldErrors, UserError
from core.i18n import _
from core.jobs import addon_settings
from core.money import minor_units

from .. import sat
from ..models import Cfdi, PartnerSat, ProductSat
from ..totals import Concept, compute_concept, compute_totals, trim

TIPO_OF_TYPE = {"vat_invoice": "I", "sales_invoice": "I", "replacement_invoice": "I", "adjustment_invoice": "I",
                "credit_note": "E"}
RELATION_OF_TYPE = {"credit_note": "01", "replacement_invoice": "04", "adjustment_invoice": "02"}
# einvoice payment methods -> SAT c_FormaPago.
FORMA_PAGO = {"cash": "01", "cod": "01", "bank_transfer": "03", "card": "04", "e_wallet": "05"}


def settings(session) -> dict:
    return addon_settings(session, "einvoice_mx")


def issuer(session, conf: dict, legal_name: str) -> tuple[dict, str]:
    """The Emisor node and the LugarExpedicion, checked against the catalogs."""
    from .csd import emisor_rfc
    problems = []
    rfc = emisor_rfc(session)
    try:
        sat.check_rfc(rfc, "business.tax_id")
    except FieldErrors as exc:
        problems += exc.problems
    for check, value, fld in ((sat.check_regimen, conf["regimen_fiscal"], "einvoice_mx.regimen_fiscal"),
                              (sat.check_postcode, conf["lugar_expedicion"], "einvoice_mx.lugar_expedicion")):
        try:
            check(value, fld)
        except FieldErrors as exc:
            problems += exc.problems
    if problems:
        raise FieldErrors(problems)
    return {"Rfc": rfc, "Nombre": legal_name, "RegimenFiscal": conf["regimen_fiscal"]}, conf["lugar_expedicion"]


def partner_for(session, doc) -> PartnerSat | None:
    from addons.partners.models import Partner
    from addons.sales.models import Order
    partner_id = None
    if doc.order_id is not None:
        partner_id = session.scalar(select(Order.partner_id).where(Order.id == doc.order_id))
    rfc = ((doc.buyer or {}).get("tax_id") or "").strip().upper()
    if partner_id is None and rfc and rfc not in sat.GENERIC_RFCS:
        partner_id = session.scalar(select(Partner.id).where(Partner.tax_id == rfc).order_by(Partner.id).limit(1))
    if partner_id is None:
        return None
    return session.scalar(select(PartnerSat).where(PartnerSat.partner_id == partner_id))


def receptor(session, doc, lugar: str) -> tuple[dict, PartnerSat | None]:
    buyer = doc.buyer or {}
    rfc = (buyer.get("tax_id") or "").strip().upper()
    ext = partner_for(session, doc)
    if not rfc or buyer.get("country") not in (None, "", "MX"):
        # Nobody named (a counter sale) or a foreigner: the generic RFCs.
        generic = sat.PUBLICO_EN_GENERAL if buyer.get("country") in (None, "", "MX") else sat.EXTRANJERO
        node = sat.receptor_rules(generic, name=buyer.get("name") or "", regimen="", postcode="", uso="",
                                  lugar_expedicion=lugar)
        return node, ext
    if rfc in sat.GENERIC_RFCS:
        return sat.receptor_rules(rfc, name=buyer.get("name") or "", regimen="", postcode="", uso="",
                                  lugar_expedicion=lugar), ext
    if ext is None:
        raise UserError(_("%(doc)s: the buyer %(rfc)s has no SAT data (régimen fiscal, fiscal postcode, uso CFDI); "
                          "fill them in on the customer (Contacts > SAT data of customers)", doc=doc.label, rfc=rfc),
                        cli_hint="manage.py einvoice_mx partner-sat PARTNER --regimen ... --postcode ... --uso ...")
    return sat.receptor_rules(rfc, name=ext.legal_name, regimen=ext.regimen_fiscal, postcode=ext.fiscal_postcode,
                              uso=ext.uso_cfdi, lugar_expedicion=lugar), ext


def product_keys(session, skus: set[str]) -> dict[str, ProductSat]:
    from addons.catalog.models import Variant
    if not skus:
        return {}
    rows = session.execute(select(Variant.sku, ProductSat).join(ProductSat, ProductSat.product_id == Variant.product_id)
                           .where(Variant.sku.in_(sorted(skus)))).all()
    return {sku: ext for sku, ext in rows}


def iva_of(line, index: int):
    """The IVA of a line: a Mexican rate (16 %, 8 % border zone, 0 %), exento, or not subject (category O)."""
    if line.tax_category == "E":
        return "exento"
    if line.tax_category == "O" or line.tax_rate is None:
        return None
    rate = Decimal(line.tax_rate).normalize()
    if rate not in sat.IVA_RATES:
        raise UserError(_("lines[%(n)s].tax_rate: %(rate)s is not an IVA rate of Mexico (16 %%, 8 %%, 0 %% or "
                          "exempt)", n=index, rate=rate))
    return Decimal(line.tax_rate)


def concepts(session, doc, conf: dict, ext: PartnerSat | None) -> tuple[list[dict], list[Concept]]:
    decimals = minor_units(doc.currency)
    keys = product_keys(session, {line.sku for line in doc.lines if line.sku})
    nodes, computed = [], []
    for index, line in enumerate(doc.lines, start=1):
        key = keys.get(line.sku)
        iva = iva_of(line, index)
        objeto = key.objeto_imp if key else "02"
        ieps = key.ieps_rate if key is not None and key.ieps_rate else None
        unit_price = trim(line.unit_price, decimals)
        if doc.prices_include_tax:
            gross = (1 + (ieps or 0)) * (1 + (iva if isinstance(iva, Decimal) else 0))
            unit_price = (unit_price / gross).quantize(Decimal("0.000001"))
        c = Concept(cantidad=trim(line.quantity, 0), valor_unitario=unit_price,
                    descuento_rate=Decimal(line.discount_percent or 0) / 100,
                    iva=iva if objeto == "02" else None, ieps=ieps if objeto == "02" else None,
                    retains_isr=ext.retains_isr_rate if ext is not None and objeto == "02" else None,
                    retains_iva=ext.retains_iva_rate if ext is not None and objeto == "02" else None)
        compute_concept(c, decimals)
        computed.append(c)
        node = {"ClaveProdServ": key.clave_prod_serv if key else conf["default_clave_prod_serv"],
                "NoIdentificacion": line.sku or None, "Cantidad": c.cantidad,
                "ClaveUnidad": key.clave_unidad if key else conf["default_clave_unidad"],
                "Descripcion": line.description, "ValorUnitario": c.valor_unitario, "Importe": c.importe,
                "Descuento": c.descuento or None, "ObjetoImp": objeto if objeto != "02" else c.objeto_imp}
        if c.traslados or c.retenciones:
            node["Impuestos"] = {"Traslados": [t.node() for t in c.traslados] or None,
                                 "Retenciones": [t.node() for t in c.retenciones] or None}
        nodes.append(node)
    return nodes, computed


def related_uuid(session, doc) -> str:
    """The UUID of the stamped CFDI of the document a correction relates to (issued and stamped first)."""
    row = session.scalar(select(Cfdi).where(Cfdi.document_id == doc.corrects_id))
    if row is None or row.uuid is None:
        raise UserError(_("%(doc)s: the corrected document has no stamped CFDI yet; it must be stamped (have its "
                          "UUID) before a CFDI can relate to it", doc=doc.label))
    return row.uuid


def metodo_pago(session, doc) -> str:
    """PUE when paid in full at issue, PPD when paid later (then FormaPago is 99)."""
    if doc.order_id is not None:
        from addons.sales.models import Order
        return "PUE" if session.scalar(select(Order.payment_status).where(Order.id == doc.order_id)) == "paid" \
            else "PPD"
    if doc.paid_at is not None:
        return "PUE"
    return "PPD" if (doc.due_date and doc.issue_date and doc.due_date > doc.issue_date) else "PUE"


def comprobante_of(session, doc, *, legal_name: str, at: datetime | None = None):
    """The unsigned satcfdi Comprobante of an issued einvoice document, plus its computed totals."""
    from .comprobante import Comprobante
    conf = settings(session)
    emisor, lugar = issuer(session, conf, legal_name)
    receptor_node, ext = receptor(session, doc, lugar)
    nodes, computed = concepts(session, doc, conf, ext)
    tipo = TIPO_OF_TYPE[doc.type]
    business_tz = ZoneInfo(sat.timezone_of(lugar))
    fecha = (at or datetime.now(business_tz)).astimezone(business_tz).replace(tzinfo=None, microsecond=0)
    relacionados = None
    if doc.type in RELATION_OF_TYPE:
        relacionados = [{"TipoRelacion": RELATION_OF_TYPE[doc.type], "CfdiRelacionado": [related_uuid(session, doc)]}]
    metodo = "PUE" if tipo == "E" else metodo_pago(session, doc)
    forma = "99" if metodo == "PPD" else FORMA_PAGO.get(doc.payment_method, "99")
    moneda = doc.currency
    tipo_cambio = None
    if moneda != "MXN":
        if not doc.exchange_rate or Decimal(doc.exchange_rate) == 1:
            raise UserError(_("%(doc)s: a CFDI in %(currency)s needs the exchange rate to MXN (TipoCambio)",
                              doc=doc.label, currency=moneda))
        tipo_cambio = Decimal(doc.exchange_rate).quantize(Decimal("0.000001"))
    comprobante = Comprobante(
        emisor=emisor, lugar_expedicion=lugar, receptor=receptor_node, conceptos=nodes, moneda=moneda,
        tipo_de_comprobante=tipo, exportacion="01", serie=doc.series, folio=str(doc.number) if doc.number else None,
        forma_pago=forma, metodo_pago=metodo, tipo_cambio=tipo_cambio, cfdi_relacionados=relacionados,
        condiciones_de_pago=(doc.payment_terms or None) if metodo == "PPD" else None, fecha=fecha,
        totals=compute_totals(computed))
    return comprobante

"""The global invoice (factura global): the period's counter receipts that no nominative CFDI covered.

Per the setting ``global_invoice`` (daily, weekly or monthly), one CFDI 4.0 of
type I to XAXX010101000 "PUBLICO EN GENERAL" (UsoCFDI S01, régimen 616,
DomicilioFiscalReceptor = LugarExpedicion) with ``InformacionGlobal``
(Periodicidad 01 daily, 02 weekly, 04 monthly; Meses; Año). As SAT's filling
guide says for it, each receipt is a concept (per tax rate): ClaveProdServ
01010101, ClaveUnidad ACT, Cantidad 1, Descripcion "Venta", NoIdentificacion
the receipt's number, ValorUnitario its amount before tax; taxes rounded per
concept as in any CFDI. A receipt whose order has an invoice is covered by
that nominative CFDI and left out; each receipt goes into one global invoice only.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from core import sequences
from core.errors import UserError
from core.i18n import _
from core.jobs import enqueue
from core.money import minor_units

from .. import sat
from ..models import Cfdi, GlobalReceipt
from ..totals import Concept, compute_concept, compute_totals, trim
from ..xsd import checked_xml
from . import build, csd

PERIODICIDAD = {"daily": "01", "weekly": "02", "monthly": "04"}
SERIES = "G"


def period_of(kind: str, day: date) -> tuple[date, date]:
    """The period of ``kind`` that contains ``day`` (weeks run Monday to Sunday)."""
    if kind == "daily":
        return day, day
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == "monthly":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise UserError(_("global_invoice: %(kind)s is not a period (daily, weekly or monthly)", kind=repr(kind)))


def last_closed_period(kind: str, today: date) -> tuple[date, date]:
    start, _end = period_of(kind, today)
    return period_of(kind, start - timedelta(days=1))


def open_receipts(session, start: date, end: date) -> list:
    """Issued receipts of the period, not in a global invoice, whose order has no live invoice."""
    from addons.einvoice.models import Document
    invoice = aliased(Document)
    covered = (select(invoice.id).where(invoice.order_id == Document.order_id, invoice.state != "cancelled",
                                        invoice.type.in_(("vat_invoice", "sales_invoice")))).exists()
    return list(session.scalars(
        select(Document).options(selectinload(Document.lines))
        .outerjoin(GlobalReceipt, GlobalReceipt.document_id == Document.id)
        .where(Document.type == "receipt", Document.state.notin_(("draft", "cancelled")),
               Document.issue_date >= start, Document.issue_date <= end, GlobalReceipt.id.is_(None),
               ~covered)
        .order_by(Document.issue_date, Document.id)))


def _concepts(receipts, currency: str) -> tuple[list[dict], list[Concept]]:
    decimals = minor_units(currency)
    nodes, computed = [], []
    for doc in receipts:
        by_rate: dict = {}
        for index, line in enumerate(doc.lines, start=1):
            key = build.iva_of(line, index)
            by_rate[key] = by_rate.get(key, Decimal(0)) + Decimal(line.net_amount)
        for rate, base in by_rate.items():
            c = compute_concept(Concept(cantidad=Decimal(1), valor_unitario=trim(base, decimals), iva=rate),
                                decimals)
            computed.append(c)
            node = {"ClaveProdServ": "01010101", "NoIdentificacion": doc.display_number, "Cantidad": Decimal(1),
                    "ClaveUnidad": "ACT", "Descripcion": "Venta", "ValorUnitario": c.valor_unitario,
                    "Importe": c.importe, "ObjetoImp": c.objeto_imp}
            if c.traslados:
                node["Impuestos"] = {"Traslados": [t.node() for t in c.traslados]}
            nodes.append(node)
    return nodes, computed


def issue_global(session, kind: str, start: date, end: date, *, at: datetime | None = None) -> Cfdi | None:
    """Issue the global invoice of [start, end]; None when no receipt is left to cover."""
    from .comprobante import Comprobante
    if kind not in PERIODICIDAD:
        raise UserError(_("global_invoice: %(kind)s is not a period (daily, weekly or monthly)", kind=repr(kind)))
    receipts = open_receipts(session, start, end)
    if not receipts:
        return None
    currencies = {doc.currency for doc in receipts}
    if len(currencies) != 1:
        raise UserError(_("the receipts of %(start)s to %(end)s are in several currencies (%(list)s); a global "
                          "invoice has one", start=start, end=end, list=", ".join(sorted(currencies))))
    currency = currencies.pop()
    conf = build.settings(session)
    row = csd.active_csd(session)
    signer = csd.signer_of(session, row, at=at)
    emisor, lugar = build.issuer(session, conf, signer.legal_name or row.legal_name)
    receptor = sat.receptor_rules(sat.PUBLICO_EN_GENERAL, name="", regimen="", postcode="", uso="",
                                  lugar_expedicion=lugar)
    nodes, computed = _concepts(receipts, currency)
    zone = ZoneInfo(sat.timezone_of(lugar))
    fecha = (at or datetime.now(zone)).astimezone(zone).replace(tzinfo=None, microsecond=0)
    number = sequences.next_number(session, SERIES, end.year)
    comprobante = Comprobante(
        emisor=emisor, lugar_expedicion=lugar, receptor=receptor, conceptos=nodes, moneda=currency,
        tipo_de_comprobante="I", exportacion="01", serie=SERIES, folio=str(number), forma_pago="01",
        metodo_pago="PUE", fecha=fecha, totals=compute_totals(computed),
        informacion_global={"Periodicidad": PERIODICIDAD[kind], "Meses": f"{end.month:02d}", "Año": end.year})
    comprobante.sign(signer)
    xml = checked_xml(comprobante)
    cfdi = Cfdi(tipo="I", state="signed", serie=SERIES, folio=str(number), emisor_rfc=emisor["Rfc"],
                receptor_rfc=sat.PUBLICO_EN_GENERAL, total=comprobante["Total"], metodo_pago="PUE",
                certificate_number=signer.certificate_number, signed_xml=xml,
                pac=_provider_code(session))
    session.add(cfdi)
    session.flush()
    session.add_all([GlobalReceipt(cfdi_id=cfdi.id, document_id=doc.id) for doc in receipts])
    session.flush()
    enqueue(session, "einvoice_mx.stamp_cfdi", cfdi_id=cfdi.id)
    return cfdi


def _provider_code(session) -> str:
    from addons.einvoice.providers import provider_code_for
    from addons.einvoice.services.documents import settings as einvoice_settings
    return provider_code_for(session, "sales_invoice", einvoice_settings(session)["provider"])[0]


def issue_due(session, today: date) -> Cfdi | None:
    """The scheduled run: the global invoice of the last closed period of the setting, if any receipt is left."""
    kind = build.settings(session)["global_invoice"]
    if kind == "off":
        return None
    start, end = last_closed_period(kind, today)
    return issue_global(session, kind, start, end)


def covered(session, cfdi_id: int) -> list[str]:
    """The numbers of the receipts a global invoice covers."""
    from addons.einvoice.models import Document
    return list(session.scalars(select(Document.display_number).join(GlobalReceipt, GlobalReceipt.document_id ==
                                                                       Document.id)
                                .where(GlobalReceipt.cfdi_id == cfdi_id).order_by(Document.id)))

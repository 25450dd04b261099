"""Payment complements: a type P CFDI with Pagos 2.0 for each payment of an invoice issued PPD.

A sales payment registered against an order whose invoice's CFDI was issued
PPD (paid later) and is stamped gets its own CFDI: partiality number (the
payments' order), previous balance, amount paid, remaining balance, and the
taxes of the payment in proportion to what it pays (Pagos 2.0 ImpuestosDR /
ImpuestosP and the Totales, computed by satcfdi's ``pago_comprobantes``).
``complement_open_payments`` finds the payments without one; it runs when an
order becomes paid and on a schedule, so a partial payment is not missed.
Numbered gapless in series "P" (core.sequences), sealed with the CSD, stamped
by the PAC that stamped the invoice (job ``einvoice_mx.stamp_cfdi``).
"""
from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import undefer

from core import sequences
from core.errors import UserError
from core.jobs import enqueue
from core.money import quantize

from ..models import Cfdi
from ..xsd import checked_xml
from . import csd
from .build import FORMA_PAGO

SERIES = "P"


def open_payments(session, limit: int = 200) -> list[tuple[int, int]]:
    """(payment id, invoice CFDI id) of payments on PPD invoices that have no complement yet."""
    from addons.einvoice.models import Document
    from addons.sales.models import Payment
    complement = Cfdi.__table__.alias("complement")
    rows = session.execute(
        select(Payment.id, Cfdi.id)
        .join(Document, Document.order_id == Payment.order_id)
        .join(Cfdi, Cfdi.document_id == Document.id)
        .outerjoin(complement, and_(complement.c.payment_id == Payment.id, complement.c.related_cfdi_id == Cfdi.id))
        .where(Payment.kind == "payment", Cfdi.tipo == "I", Cfdi.metodo_pago == "PPD", Cfdi.uuid.is_not(None),
               Cfdi.state.in_(("stamped", "cancel_rejected")), complement.c.id.is_(None))
        .order_by(Payment.paid_on, Payment.id).limit(limit)).all()
    return [(payment_id, cfdi_id) for payment_id, cfdi_id in rows]


def paid_before(session, invoice: Cfdi) -> tuple[int, Decimal]:
    """How many live complements the invoice has, and what they paid."""
    count, paid = session.execute(select(func.count(Cfdi.id), func.coalesce(func.sum(Cfdi.amount_paid), 0))
                                  .where(Cfdi.related_cfdi_id == invoice.id, Cfdi.tipo == "P",
                                         Cfdi.state.notin_(("cancelled",)))).one()
    return int(count), Decimal(paid)


def issue_complement(session, invoice_cfdi_id: int, payment_id: int, *, at: datetime | None = None) -> Cfdi:
    """The P CFDI of one payment against one PPD invoice; enqueues its stamping."""
    from satcfdi.cfdi import CFDI
    from satcfdi.create.cfd import cfdi40
    from addons.sales.models import Payment
    invoice = session.scalar(select(Cfdi).where(Cfdi.id == invoice_cfdi_id).options(undefer(Cfdi.stamped_xml))
                             .with_for_update())
    payment = session.get(Payment, payment_id)
    if invoice is None or payment is None or invoice.uuid is None or invoice.metodo_pago != "PPD":
        raise UserError(f"no stamped PPD CFDI #{invoice_cfdi_id} or payment #{payment_id}")
    source = CFDI.from_string(invoice.stamped_xml)
    currency = str(getattr(source["Moneda"], "code", source["Moneda"]))
    count, paid = paid_before(session, invoice)
    saldo = quantize(Decimal(invoice.total) - paid, currency)
    amount = quantize(Decimal(payment.amount), currency)
    if amount > saldo:
        raise UserError(f"payment #{payment_id} of {amount} is more than the {saldo} still due on CFDI {invoice.uuid}")
    signer = csd.signer_of(session, at=at)
    number = sequences.next_number(session, SERIES, payment.paid_on.year)
    comprobante = cfdi40.Comprobante.pago_comprobantes(
        comprobantes=cfdi40.PagoComprobante(comprobante=source, num_parcialidad=count + 1, imp_saldo_ant=saldo,
                                            imp_pagado=amount),
        fecha_pago=datetime.combine(payment.paid_on, time(12, 0)),
        forma_pago=FORMA_PAGO.get(payment.method, "99"), serie=SERIES, folio=str(number),
        fecha=_fecha(source, at))
    comprobante.sign(signer)
    xml = checked_xml(comprobante)
    row = Cfdi(tipo="P", state="signed", payment_id=payment.id, related_cfdi_id=invoice.id, partiality=count + 1,
               amount_paid=amount, serie=SERIES, folio=str(number), emisor_rfc=invoice.emisor_rfc,
               receptor_rfc=invoice.receptor_rfc, total=Decimal(0), certificate_number=signer.certificate_number,
               signed_xml=xml, pac=invoice.pac)
    session.add(row)
    session.flush()
    enqueue(session, "einvoice_mx.stamp_cfdi", cfdi_id=row.id)
    return row


def _fecha(source, at):
    from zoneinfo import ZoneInfo
    from .. import sat
    zone = ZoneInfo(sat.timezone_of(source["LugarExpedicion"]))
    return (at or datetime.now(zone)).astimezone(zone).replace(tzinfo=None, microsecond=0)


def complement_open_payments(session) -> list[Cfdi]:
    return [issue_complement(session, cfdi_id, payment_id) for payment_id, cfdi_id in open_payments(session)]

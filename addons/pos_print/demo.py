"""Demo: one file printer (a spooler folder, so nothing needs hardware) and the receipts of three paid
counter orders, one of them reprinted once. Small on purpose: the demo seeds every addon."""
from __future__ import annotations

from sqlalchemy import select

from addons.sales.models import Order
from core.errors import UserError

from . import services
from .models import Printer

RECEIPTS = 3


def load(session, business_id: int, rng) -> None:
    printer = session.scalar(select(Printer).where(Printer.name == "Counter 1"))
    if printer is None:
        printer = services.create_printer(session, name="Counter 1", kind="file", file_name="counter-1.bin",
                                          profile="TM-T20II", paper_width=80, has_cutter=True, has_drawer=True)
        services.create_printer(session, name="Kitchen (58 mm)", kind="network", host="192.0.2.10", port=9100,
                                profile="default", paper_width=58, has_cutter=False, active=False)
        services.receipts.save_settings(session, {"default_printer": "Counter 1",
                                                  "footer": "Cảm ơn quý khách!|Thank you!"})
    orders = list(session.scalars(select(Order).where(Order.payment_status == "paid", Order.channel == "counter")
                                  .order_by(Order.id).limit(RECEIPTS)))
    for n, order in enumerate(orders):
        if services.receipt_for_order(session, order.id) is not None:
            continue
        receipt, _created = services.issue_receipt(session, order.id, printer=printer)
        if n == 0:
            try:
                services.reprint(session, receipt.code, reason="vat_invoice", printer=printer)
            except UserError:  # a business whose settings allow no reprint: the demo has none
                pass

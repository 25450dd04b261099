"""The cash-receipt identity of an order through the REST API, for a web shop's checkout.

``PUT /api/v1/orders/{number}/cash-receipt`` with ``{"purpose": "deduction"|"proof",
"identity": "010-1234-5678"}`` records what the customer asked for (``receipts.capture_identity``:
validated, a business number checked with the NTS, encrypted at rest) and answers it masked;
sending the same body again answers the same (a PUT replaces). ``GET`` reads it back (masked).
A bad identity is a 422 naming ``identity``; an unknown order or the addon not enabled for the
token's business a 404. The number itself is never in an answer.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlalchemy import select

from core.api.schemas import In, Out
from core.errors import NotFound
from core.i18n import _, _l

from .models import ReceiptRequest
from .services import receipts


class CashReceiptIn(In):
    purpose: Literal["deduction", "proof"] = Field(description="deduction: 소득공제용 (income deduction); "
                                                               "proof: 지출증빙용 (expense proof).")
    identity: str = Field(min_length=1, max_length=40,
                          description="Mobile (010-…), cash-receipt card, business or resident registration number.")
    email: str | None = Field(None, max_length=200, description="Where the receipt is mailed (default: the customer's).")


class CashReceiptOut(Out):
    order_number: str
    purpose: str
    identity_kind: str
    identity: str = Field(description="The identity masked (010-****-5678); a resident number is never shown.")
    email: str | None = None


def _order(session, number: str):
    from addons.sales.models import Order
    order = session.scalar(select(Order).where(Order.number == number))
    if order is None:
        raise NotFound(_("order %(number)s does not exist", number=number))
    return order


def _out(order, row: ReceiptRequest) -> CashReceiptOut:
    return CashReceiptOut(order_number=order.number, purpose=row.purpose, identity_kind=row.identity_kind,
                          identity=row.identity_masked, email=row.email)


def register(api):
    @api.operation("PUT", "/orders/{number}/cash-receipt", scope="einvoice_kr.receipt.identity",
                   summary=_l("Set the cash receipt asked for at checkout"), body=CashReceiptIn,
                   response=CashReceiptOut)
    def put_cash_receipt(ctx, number: str, body: CashReceiptIn):
        order = _order(ctx.session, number)
        # A refusal names its field (identity: ..., purpose: ...): a 422 that changes nothing.
        row = receipts.capture_identity(ctx.session, order.id, body.identity, body.purpose, email=body.email)
        return _out(order, row)

    @api.get("/orders/{number}/cash-receipt", scope="einvoice_kr.receipt.read",
             summary=_l("The cash receipt asked for at checkout"), response=CashReceiptOut)
    def get_cash_receipt(ctx, number: str):
        order = _order(ctx.session, number)
        row = ctx.session.scalar(select(ReceiptRequest).where(ReceiptRequest.order_id == order.id))
        if row is None:
            raise NotFound(_("order %(number)s has no cash receipt request", number=order.number))
        return _out(order, row)

"""Sales resources of the REST API: orders created from a web shop, read, listed, confirmed,
cancelled and paid.

``POST /api/v1/orders`` takes the payload of ``manage.py sales create --file`` (the sales
README's "Order entry") and hands it to the same service, ``create_order_from_entry``, so
the admin's rules hold: lines by SKU at the catalog's price for the channel (another price
needs the scope ``sales.order.override_price``), the customer by code (or ``id``) or
inline, COD, shipping fee. The channel defaults to ``web``. The ``external_ref`` is unique
per channel: the same payload sent again answers 200 with the order it made, never a
second order; other content under a used reference is a 422. A transition the order's
state refuses (confirming a cancelled order, paying one already paid) is a 409 with the
reason. Lists page by ``(updated_at, id)``: ``?updated_since=`` reads what changed.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api.pagination import Page, PageQuery, keyset_page
from core.api.problems import Conflict
from core.api.schemas import In, Money, Number, Out, Timestamp
from core.errors import FieldErrors, UserError
from core.i18n import _, _l

from . import services, states
from .models import Order

Amount = Decimal | str


class AddressIn(In):
    street: str | None = None
    ward: str | None = None
    district: str | None = None
    province: str | None = None
    postal_code: str | None = None


class ShippingAddressIn(AddressIn):
    name: str | None = None
    phone: str | None = None
    country: str | None = None


class CustomerIn(In):
    """An existing customer by ``code`` ("C00042") or ``id``, or a new one by its fields."""
    id: int | None = Field(None, ge=1, le=2 ** 31 - 1, description="An existing customer's id.")
    code: str | None = Field(None, description="An existing customer's code, e.g. C00042.")
    name: str | None = None
    kind: Literal["person", "company"] | None = None
    phone: str | None = None
    email: str | None = None
    country: str | None = None
    tax_id: str | None = None
    language: str | None = None
    address: AddressIn | None = None


class LineIn(In):
    sku: str
    qty: Amount
    unit_price: Amount | None = None
    discount_percent: Amount | None = None


class OrderIn(In):
    """The order entry payload (sales README, "Order entry"); ``channel`` defaults to web."""
    channel: Literal[states.CHANNELS] = "web"  # type: ignore[valid-type]
    customer: CustomerIn
    lines: list[LineIn] = Field(min_length=1)
    payment_term: str | None = None
    due_date: date | None = None
    prices_include_tax: bool = False
    shipping_fee: Amount | None = None
    shipping_paid_by: Literal[states.SHIPPING_PAYERS] | None = None  # type: ignore[valid-type]
    shipping_address: ShippingAddressIn | None = None
    cod: bool | Amount = False
    customer_po: str | None = None
    note: str | None = None
    external_ref: str | None = Field(None, description="The shop's own order number: unique per channel.")
    confirm: bool = Field(False, description="Confirm at once (reserves stock; a shortfall refuses the order).")


class CustomerOut(Out):
    id: int
    code: str
    name: str


class LineOut(Out):
    sku: str
    description: str
    qty: Number
    unit_price: Number
    discount_percent: Number
    tax_rate: Number | None
    total_amount: Number
    qty_delivered: Number


class OrderOut(Out):
    id: int
    number: str
    channel: str
    external_ref: str | None
    state: str
    payment_status: str
    fulfilment_status: str
    currency: str
    subtotal: Money
    discount_total: Money
    tax_total: Money
    shipping_fee: Money
    total: Money
    cod_amount: Money
    paid: Money
    balance: Money
    due_date: date | None
    customer: CustomerOut | None
    lines: list[LineOut]
    created_at: Timestamp
    updated_at: Timestamp


class OrderQuery(PageQuery):
    state: Literal[states.STATES] | None = None  # type: ignore[valid-type]
    updated_since: Timestamp | None = Field(None, description="Only orders changed at or after this time.")


class CancelIn(In):
    reason: str = Field("", max_length=255)


class PaymentIn(In):
    amount: Amount
    method: Literal[states.PAYMENT_METHODS]  # type: ignore[valid-type]
    paid_on: date | None = None
    reference: str | None = Field(None, max_length=64)


def order_out(order: Order) -> OrderOut:
    q = lambda v: services.quantize_money(v, order.currency)  # noqa: E731
    partner = order.partner
    return OrderOut(
        id=order.id, number=order.number, channel=order.channel, external_ref=order.external_ref, state=order.state,
        payment_status=order.payment_status, fulfilment_status=order.fulfilment_status, currency=order.currency,
        subtotal=q(order.subtotal), discount_total=q(order.discount_total), tax_total=q(order.tax_total),
        shipping_fee=q(order.shipping_fee), total=q(order.total), cod_amount=q(order.cod_amount),
        paid=q(order.net_paid), balance=q(order.balance), due_date=order.due_date,
        customer=CustomerOut(id=partner.id, code=partner.code, name=partner.name) if partner else None,
        lines=[LineOut.model_validate(line) for line in order.lines],
        created_at=order.created_at, updated_at=order.updated_at)


def order_payload(session, business_id: int, order_id: int, **_event) -> dict:
    """The ``data`` of the order webhooks: the order as ``GET /api/v1/orders/{id}`` shows it."""
    return order_out(services.get_order(session, order_id)).model_dump(mode="json")


def _payload(body: OrderIn) -> tuple[dict, bool]:
    payload = body.model_dump(exclude_unset=True, exclude={"confirm"})
    payload["channel"] = body.channel
    customer = payload.get("customer", {})
    if "id" in customer:
        if "code" in customer:
            raise FieldErrors([_("customer.id: give the id or the code, not both")])
        customer["code"] = str(customer.pop("id"))
    return payload, body.confirm


def _refuse_state(order: Order, action: str) -> None:
    """The order's state refusing ``action`` is a 409 with the reason staff see too."""
    if not states.can(order, action):
        try:
            states.check_transition(order, action)
        except UserError as exc:
            raise Conflict(str(exc)) from None


def _transition(order: Order, action: str, call):
    """Confirm or cancel: whatever refuses it (the state, a stock shortfall, money received) is a 409."""
    _refuse_state(order, action)
    try:
        return call()
    except FieldErrors:
        raise
    except UserError as exc:
        raise Conflict(str(exc)) from None


def register(api):
    @api.post("/orders", scope="sales.order.create", summary=_l("Create an order"), body=OrderIn,
              response=OrderOut, status=201, errors=(409,))
    def create_order(ctx, body: OrderIn):
        payload, confirm = _payload(body)
        entered = services.create_order_from_entry(ctx.session, payload, confirm=confirm, actor=ctx.actor)
        ctx.session.flush()
        answer = order_out(entered.order)
        return answer if entered.created else (answer, 200)   # a re-sent external_ref: the order it made

    @api.get("/orders", scope="sales.order.read", summary=_l("Orders, by last change"), query=OrderQuery,
             response=Page[OrderOut])
    def list_orders(ctx, query: OrderQuery):
        statement = select(Order).options(selectinload(Order.lines), selectinload(Order.partner))
        if query.state:
            statement = statement.where(Order.state == query.state)
        if query.updated_since:
            statement = statement.where(Order.updated_at >= query.updated_since)
        rows, next_url = keyset_page(ctx.session, statement, (Order.updated_at, Order.id), query, "orders")
        return Page[OrderOut](data=[order_out(o) for o in rows], next=next_url)

    @api.get("/orders/{order_id}", scope="sales.order.read", summary=_l("An order"), response=OrderOut)
    def get_order(ctx, order_id: int):
        return order_out(services.get_order(ctx.session, order_id))

    @api.post("/orders/{order_id}/confirm", scope="sales.order.edit", summary=_l("Confirm an order"),
              response=OrderOut, errors=(409,))
    def confirm_order(ctx, order_id: int):
        order = services.get_order(ctx.session, order_id)
        return order_out(_transition(order, "confirm", lambda: services.confirm_order(ctx.session, order_id)))

    @api.post("/orders/{order_id}/cancel", scope="sales.order.edit", summary=_l("Cancel an order"), body=CancelIn,
              response=OrderOut, errors=(409,))
    def cancel_order(ctx, order_id: int, body: CancelIn):
        order = services.get_order(ctx.session, order_id)
        return order_out(_transition(order, "cancel",
                                     lambda: services.cancel_order(ctx.session, order_id, body.reason)))

    @api.post("/orders/{order_id}/payments", scope="sales.payment.create", summary=_l("Register a payment"),
              body=PaymentIn, response=OrderOut, status=201, errors=(409,))
    def register_payment(ctx, order_id: int, body: PaymentIn):
        order = services.get_order(ctx.session, order_id)
        _refuse_state(order, "pay")
        if order.balance <= 0:
            raise Conflict(_("order %(number)s is already paid in full", number=order.number))
        services.register_payment(ctx.session, order_id, body.amount, body.method, paid_on=body.paid_on,
                                  reference=body.reference)
        ctx.session.flush()
        return order_out(order)

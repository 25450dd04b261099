"""Orders through the services: creation, every transition allowed and refused, events."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from addons.sales import services
from addons.sales.models import Order
from addons.sales.totals import fmt_qty
from core.errors import UserError


def _order(shop, qtys=(1,), **kw):
    with shop.tx() as s:
        lines = [{"variant_id": v, "qty": str(q)} for v, q in zip(shop.variants, qtys)]
        return services.create_order(s, channel=kw.pop("channel", "web"), partner_id=shop.customer_id,
                                     lines=lines, **kw).id


def _get(shop, order_id) -> Order:
    with shop.session() as s:
        order = services.get_order(s, order_id)
        order.lines, order.payments  # load before the session closes
        return order


def _state_of(shop, order_id):
    return _get(shop, order_id).state


def _do(shop, fn, *args, **kw):
    with shop.tx() as s:
        return fn(s, *args, **kw)


def test_create_numbers_prices_and_totals(shop):
    oid = _order(shop, qtys=(2, 1), external_ref="SHP-1", customer_po="PO-77", shipping_fee="30000")
    order = _get(shop, oid)
    year = date.today().year
    assert order.number.startswith(f"SO-{year}-") and order.state == "new"
    assert [line.unit_price for line in order.lines] == [D(100000), D(250000)]
    assert order.subtotal == D(450000) and order.total == D(480000) and order.currency == "VND"
    assert (order.payment_status, order.fulfilment_status, order.label) == ("unpaid", "unfulfilled", "New")
    second = _get(shop, _order(shop))
    assert int(second.number.rsplit("-", 1)[1]) == int(order.number.rsplit("-", 1)[1]) + 1


def test_external_ref_unique_per_channel_with_a_clear_error(shop):
    oid = _order(shop, external_ref="240101ABC", channel="shopee")
    number = _get(shop, oid).number
    with pytest.raises(UserError, match=f"shopee order '240101ABC' is already {number}"):
        _order(shop, external_ref="240101ABC", channel="shopee")
    _order(shop, external_ref="240101ABC", channel="lazada")  # another channel may reuse it


def test_bad_input_is_refused_and_writes_nothing(shop):
    with shop.session() as s:
        before = len(s.scalars(select(Order.id)).all())
    cases = [
        (dict(channel="ebay"), "channel: 'ebay' is not one of"),
        (dict(lines=[{"variant_id": 999999, "qty": "1"}]), "variant #999999 does not exist"),
        (dict(lines=[{"variant_id": shop.variants[0], "qty": "0"}]), "qty: must be more than zero"),
        (dict(lines=[{"variant_id": shop.variants[0], "qty": 1.5}]), "float"),
        (dict(lines=[{"variant_id": shop.variants[0], "qty": "1", "discount_percent": "120"}]), "at most 100"),
        (dict(shipping_fee="-1"), "shipping_fee: must not be negative"),
        (dict(shipping_fee="10.5"), "more decimals than VND allows"),
        (dict(cod_amount="999999999"), "cod_amount: 999999999 VND is more than the order total"),
        (dict(payment_term_code="NOPE"), "payment term 'NOPE' does not exist"),
        (dict(partner_id=987654), "partner #987654 does not exist"),
        (dict(shipping_paid_by="nobody"), "must be customer or merchant"),
    ]
    for kwargs, message in cases:
        with pytest.raises(UserError, match=message):
            with shop.tx() as s:
                args = dict(channel="web", partner_id=shop.customer_id,
                            lines=[{"variant_id": shop.variants[0], "qty": "1"}])
                args.update(kwargs)
                services.create_order(s, **args)
    with shop.session() as s:
        assert len(s.scalars(select(Order.id)).all()) == before


def test_supplier_only_partner_is_not_a_customer(shop):
    from addons.partners.services import create_partner
    with shop.tx() as s:
        supplier = create_partner(s, name="Supplier Co", country="VN", kind="company", is_customer=False,
                                  is_supplier=True).id
    with pytest.raises(UserError, match="is not marked as a customer"):
        with shop.tx() as s:
            services.create_order(s, partner_id=supplier, lines=[{"variant_id": shop.variants[0], "qty": "1"}])


def test_happy_path_new_processing_completed_with_events(shop, captured):
    oid = _order(shop, qtys=(1, 2))
    _do(shop, services.confirm_order, oid)
    order = _get(shop, oid)
    assert order.state == "processing" and order.label == "Awaiting payment" and order.due_date == date.today()
    _do(shop, services.register_payment, oid, "600000", "bank_transfer", reference="VCB-1")
    assert _get(shop, oid).label == "To ship"
    _do(shop, services.complete_order, oid)
    order = _get(shop, oid)
    assert (order.state, order.payment_status, order.fulfilment_status, order.label) == (
        "completed", "paid", "fulfilled", "Completed")
    assert [line.qty_delivered for line in order.lines] == [D(1), D(2)]
    names = [name for name, payload in captured if payload.get("order_id") == oid]
    assert names == ["sales.order_confirmed", "sales.order_paid", "sales.order_completed"]
    completed = [p for n, p in captured if n == "sales.order_completed" and p["order_id"] == oid][0]
    assert sorted(completed["lines"], key=lambda x: x[1]) == sorted(
        [[line.id, line.variant_id, fmt_qty(line.qty)] for line in order.lines], key=lambda x: x[1])


@pytest.mark.parametrize("start, action, message", [
    ("processing", "confirm", "is Processing; only New orders can be confirmed"),
    ("completed", "confirm", "is Completed; only New orders can be confirmed"),
    ("cancelled", "confirm", "is Cancelled; only New orders can be confirmed"),
    ("new", "complete", "is New; only Processing orders can be completed"),
    ("completed", "complete", "is Completed; only Processing orders can be completed"),
    ("cancelled", "complete", "is Cancelled; only Processing orders can be completed"),
    ("completed", "cancel", "is Completed; only New or Processing orders can be cancelled"),
    ("cancelled", "cancel", "is Cancelled; only New or Processing orders can be cancelled"),
    ("cancelled", "pay", "is Cancelled; only New, Processing or Completed orders can be paid"),
    ("new", "return", "is New; only Processing or Completed orders can be returned"),
    ("cancelled", "return", "is Cancelled; only Processing or Completed orders can be returned"),
    ("processing", "edit", "is Processing; only New orders can be edited"),
    ("new", "deliver", "is New; only Processing orders can be delivered"),
])
def test_refused_transitions_say_why_and_change_nothing(shop, start, action, message):
    oid = _order(shop)
    if start in ("processing", "completed"):
        _do(shop, services.confirm_order, oid)
    if start == "completed":
        _do(shop, services.register_payment, oid, "100000", "cash")
        _do(shop, services.complete_order, oid)
    if start == "cancelled":
        _do(shop, services.cancel_order, oid)
    line_id = _get(shop, oid).lines[0].id
    calls = {
        "confirm": lambda s: services.confirm_order(s, oid),
        "complete": lambda s: services.complete_order(s, oid),
        "cancel": lambda s: services.cancel_order(s, oid),
        "pay": lambda s: services.register_payment(s, oid, "1", "cash"),
        "return": lambda s: services.create_return(s, oid, [{"order_line_id": line_id, "qty": "1"}]),
        "edit": lambda s: services.set_lines(s, oid, [{"variant_id": shop.variants[1], "qty": "1"}]),
        "deliver": lambda s: services.deliver_order(s, oid, {line_id: "1"}),
    }
    number = _get(shop, oid).number
    with pytest.raises(UserError, match=f"^order {number} {message}$"):
        with shop.tx() as s:
            calls[action](s)
    assert _state_of(shop, oid) == start


def test_cancel_from_new_and_processing(shop, captured):
    a, b = _order(shop), _order(shop)
    _do(shop, services.cancel_order, a, "customer changed mind")
    _do(shop, services.confirm_order, b)
    _do(shop, services.cancel_order, b)
    assert _get(shop, a).state == _get(shop, b).state == "cancelled"
    assert _get(shop, a).cancel_reason == "customer changed mind"
    cancels = {p["order_id"]: p["was_confirmed"] for n, p in captured if n == "sales.order_cancelled"}
    assert cancels == {a: False, b: True}


def test_cancel_refused_when_paid_or_delivered(shop):
    paid = _order(shop)
    _do(shop, services.register_payment, paid, "50000", "card")
    with pytest.raises(UserError, match="has 50000 VND paid; refund it before cancelling"):
        _do(shop, services.cancel_order, paid)
    _do(shop, services.refund_payment, paid, "50000", "card")
    _do(shop, services.cancel_order, paid)
    assert _get(shop, paid).payment_status == "refunded"

    shipped = _order(shop, qtys=(2,))
    _do(shop, services.confirm_order, shipped)
    _do(shop, services.deliver_order, shipped, {_get(shop, shipped).lines[0].id: "1"})
    assert _get(shop, shipped).fulfilment_status == "partly"
    with pytest.raises(UserError, match="has delivered goods; create a return instead of cancelling"):
        _do(shop, services.cancel_order, shipped)


def test_confirm_needs_lines_and_complete_needs_payment_unless_credit_terms(shop):
    with shop.tx() as s:
        empty = services.create_order(s, channel="phone", partner_id=shop.customer_id).id
    with pytest.raises(UserError, match="has no lines; add at least one before confirming"):
        _do(shop, services.confirm_order, empty)
    oid = _order(shop)
    _do(shop, services.confirm_order, oid)
    with pytest.raises(UserError, match="still has 100000 VND to pay and is due on receipt"):
        _do(shop, services.complete_order, oid)
    with shop.tx() as s:
        services.ensure_default_terms(s)
    credit = _order(shop, payment_term_code="NET30")
    _do(shop, services.confirm_order, credit)
    assert _get(shop, credit).due_date == date.today() + timedelta(days=30)
    _do(shop, services.complete_order, credit)
    order = _get(shop, credit)
    assert (order.state, order.payment_status, order.label) == ("completed", "unpaid", "Completed")


def test_partial_delivery_then_complete_delivers_the_rest(shop, captured):
    oid = _order(shop, qtys=(3, 1))
    _do(shop, services.confirm_order, oid)
    _do(shop, services.register_payment, oid, "550000", "ewallet")
    first, second = _get(shop, oid).lines
    with pytest.raises(UserError, match="4 to deliver but only 3 left"):
        _do(shop, services.deliver_order, oid, {first.id: "4"})
    _do(shop, services.deliver_order, oid, {first.id: "2"})
    assert _get(shop, oid).label == "Partly shipped"
    _do(shop, services.complete_order, oid)
    completed = [p for n, p in captured if n == "sales.order_completed" and p["order_id"] == oid][0]
    assert sorted(completed["lines"]) == sorted([[first.id, first.variant_id, "1"],
                                                 [second.id, second.variant_id, "1"]])


def test_edit_lines_and_header_only_while_new(shop):
    oid = _order(shop)
    _do(shop, services.set_lines, oid, [{"variant_id": shop.variants[2], "qty": "3", "discount_percent": "10"}])
    order = _get(shop, oid)
    assert order.total == D(132300) and order.lines[0].sku == shop.skus[2]  # 3 x 49,000 less 10 %
    _do(shop, services.update_order, oid, shipping_fee="20000", cod_amount="152300")
    assert _get(shop, oid).total == D(152300)
    with pytest.raises(UserError, match="cannot change state here"):
        _do(shop, services.update_order, oid, state="completed")


def test_find_order_by_number_reference_or_id(shop):
    oid = _order(shop, external_ref="TT-555", channel="tiktok")
    number = _get(shop, oid).number
    with shop.session() as s:
        assert services.find_order(s, number).id == oid
        assert services.find_order(s, "TT-555").id == oid
        assert services.find_order(s, str(oid)).id == oid
        with pytest.raises(UserError, match="no order 'SO-1999-0001'"):
            services.find_order(s, "SO-1999-0001")


def test_tenancy_other_business_orders_are_not_found(shop, shop_factory):
    other = shop_factory()
    oid = _order(shop)
    with other.tx() as s:
        with pytest.raises(UserError, match=f"order #{oid} does not exist"):
            services.confirm_order(s, oid)
        with pytest.raises(UserError, match="does not exist"):
            services.register_payment(s, oid, "1", "cash")
        # and an order of the other business cannot use this business's variants or customers
        with pytest.raises(UserError, match="does not exist"):
            services.create_order(s, partner_id=shop.customer_id,
                                  lines=[{"variant_id": other.variants[0], "qty": "1"}])
        with pytest.raises(UserError, match=f"variant #{shop.variants[0]} does not exist"):
            services.create_order(s, lines=[{"variant_id": shop.variants[0], "qty": "1"}])
    assert _state_of(shop, oid) == "new"


def test_confirming_an_order_confirmed_meanwhile_is_refused_and_writes_nothing(shop, captured):
    """The confirming UPDATE requires the stored state New: a confirmation that committed after
    this transaction read the order (simulated by a write the ORM does not see) makes it match no
    row, and the usual refusal names the state the order is in now."""
    from sqlalchemy import update
    from core.audit import history
    oid = _order(shop)
    with pytest.raises(UserError, match="is Processing; only New orders can be confirmed"):
        with shop.tx() as s:
            services.get_order(s, oid)   # read while New
            s.connection().execute(update(Order.__table__).where(Order.__table__.c.id == oid)
                                   .values(state="processing"))
            services.confirm_order(s, oid)
    assert _state_of(shop, oid) == "new"
    assert not [name for name, _payload in captured if name == "sales.order_confirmed"]
    with shop.session() as s:
        assert [e.action for e in history(s, Order, oid)] == ["create"]

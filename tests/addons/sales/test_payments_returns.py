"""Payments (overpayment refused, early-payment discount), refunds, returns and exchanges,
and money rounding through real orders in KRW, VND, MXN and USD."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from addons.sales import services
from addons.sales.models import Order, Payment, Return
from core.errors import UserError


def _do(shop, fn, *args, **kw):
    with shop.tx() as s:
        result = fn(s, *args, **kw)
        return getattr(result, "id", result)


def _get(shop, order_id) -> Order:
    with shop.session() as s:
        order = services.get_order(s, order_id)
        order.lines, order.payments
        return order


def _confirmed(shop, qtys=(1,), **kw):
    with shop.tx() as s:
        lines = [{"variant_id": v, "qty": str(q)} for v, q in zip(shop.variants, qtys)]
        order = services.create_order(s, channel=kw.pop("channel", "web"), partner_id=shop.customer_id,
                                      lines=lines, **kw)
        services.confirm_order(s, order.id)
        return order.id


@pytest.mark.parametrize("country, currency, price, qty, disc, tax_code, shipping, total", [
    # KRW, 10 % VAT: 3 x 33,333 = 99,999 -> VAT 9,999.9 -> 10,000; + 3,000 shipping
    ("KR", "KRW", "33333", "3", "0", "vat10", "3000", "112999"),
    # VND, 8 % VAT and 7 % off: 3 x 15,500 = 46,500 -> 43,245 + 3,460 VAT (3,459.6)
    ("VN", "VND", "15500", "3", "7", "vat8", "0", "46705"),
    # MXN, 16 % IVA: 2 x 10.125 = 20.25 -> IVA 3.24; + 99.50 shipping
    ("MX", "MXN", "10.125", "2", "0", "iva16", "99.50", "122.99"),
    # USD, no tax class: 12.5 % off 3 x 9.99 = 26.22375 -> 26.22
    ("US", "USD", "9.99", "3", "12.5", None, "5.00", "31.22"),
])
def test_order_totals_round_per_currency(shop_factory, country, currency, price, qty, disc, tax_code,
                                         shipping, total):
    # the catalog keeps prices in the currency's units; a line may carry a finer unit price (a unit cost
    # of 10.125 MXN from a price agreement), so the line's rounding is what is under test
    shop = shop_factory(country=country, currency=currency, prices=("1",), tax_code=tax_code)
    with shop.tx() as s:
        order = services.create_order(s, partner_id=shop.customer_id, shipping_fee=shipping,
                                      lines=[{"variant_id": shop.variants[0], "qty": qty, "unit_price": price,
                                              "discount_percent": disc}])
        oid = order.id
    order = _get(shop, oid)
    assert order.currency == currency and order.total == D(total)
    assert order.subtotal + order.tax_total + order.shipping_fee == order.total
    # and a payment with more decimals than the currency has is refused
    too_fine = "1.5" if currency in ("KRW", "VND") else "1.005"
    with pytest.raises(UserError, match=f"more decimals than {currency} allows"):
        _do(shop, services.register_payment, oid, too_fine, "cash")


def test_partial_payments_status_and_overpayment_refused(shop, captured):
    oid = _confirmed(shop, qtys=(2,))  # 200,000 VND
    _do(shop, services.register_payment, oid, "50000", "cash")
    assert _get(shop, oid).payment_status == "partly_paid"
    with pytest.raises(UserError, match=r"payment of 150001 VND is more than the 150000 VND still due on order "
                                        r"SO-\d{4}-\d{4}; overpayments are refused"):
        _do(shop, services.register_payment, oid, "150001", "card")
    with pytest.raises(UserError, match="method: 'cheque' is not one of"):
        _do(shop, services.register_payment, oid, "1", "cheque")
    with pytest.raises(UserError, match="amount: must be more than zero"):
        _do(shop, services.register_payment, oid, "0", "cash")
    assert not [n for n, p in captured if n == "sales.order_paid" and p["order_id"] == oid]
    _do(shop, services.register_payment, oid, "150000", "cod", reference="GHN-1")
    order = _get(shop, oid)
    assert (order.payment_status, order.balance, order.amount_paid) == ("paid", 0, D(200000))
    assert [(p.method, p.amount) for p in order.payments] == [("cash", D(50000)), ("cod", D(150000))]
    assert [p for n, p in captured if n == "sales.order_paid"] == [{"order_id": oid}]
    with pytest.raises(UserError, match="is already paid in full"):
        _do(shop, services.register_payment, oid, "1", "cash")


def test_early_payment_discount_within_the_window_only(shop):
    with shop.tx() as s:
        services.ensure_default_terms(s)  # 2/10NET30: 2 % within 10 days
    oid = _confirmed(shop, qtys=(1,), payment_term_code="2_10_NET30")  # 100,000 VND
    order = _get(shop, oid)
    assert order.due_date == date.today() + timedelta(days=30)
    # paying the discounted amount within 10 days settles the order
    _do(shop, services.register_payment, oid, "98000", "bank_transfer", paid_on=date.today() + timedelta(days=10))
    order = _get(shop, oid)
    assert (order.payment_status, order.early_discount, order.balance) == ("paid", D(2000), 0)

    late = _confirmed(shop, qtys=(1,), payment_term_code="2_10_NET30")
    _do(shop, services.register_payment, late, "98000", "bank_transfer", paid_on=date.today() + timedelta(days=11))
    order = _get(shop, late)
    assert (order.payment_status, order.early_discount, order.balance) == ("partly_paid", 0, D(2000))


def test_payment_terms_are_validated(shop):
    cases = [
        (dict(code="X", name="x", days=-1), "days: a whole number of days, 0 or more"),
        (dict(code="X", name="x", days=10, discount_percent="2", discount_days=20), "is after the due date"),
        (dict(code="X", name="x", days=10, discount_percent="2"), "needs the number of days"),
        (dict(code="X", name="x", days=10, discount_percent="100", discount_days=5), "below 100"),
        (dict(code="", name="x"), "code: 1-32 characters"),
        (dict(code="X", name=""), "name: required"),
    ]
    for kwargs, message in cases:
        with pytest.raises(UserError, match=message):
            _do(shop, services.create_payment_term, **kwargs)
    _do(shop, services.create_payment_term, code="net45", name="Net 45", days=45)
    with pytest.raises(UserError, match="payment term 'NET45' already exists"):
        _do(shop, services.create_payment_term, code="NET45", name="again", days=45)


def test_customer_payment_term_is_used_by_default(shop_factory):
    shop = shop_factory(term="NET15")
    with shop.tx() as s:
        services.ensure_default_terms(s)
    oid = _confirmed(shop)
    order = _get(shop, oid)
    assert (order.payment_term_code, order.term_days, order.due_date) == (
        "NET15", 15, date.today() + timedelta(days=15))


def _completed(shop, qtys):
    oid = _confirmed(shop, qtys=qtys)
    _do(shop, services.register_payment, oid, str(_get(shop, oid).total), "card")
    _do(shop, services.complete_order, oid)
    return oid


def test_return_refunds_what_was_paid_for_the_goods(shop, captured):
    oid = _completed(shop, (2, 1))  # 2 x 100,000 + 250,000
    first, second = _get(shop, oid).lines
    rid = _do(shop, services.create_return, oid, [{"order_line_id": first.id, "qty": "1"}], reason="too small")
    order = _get(shop, oid)
    with shop.session() as s:
        ret = s.get(Return, rid)
        assert (ret.state, ret.credit_amount, ret.refund_amount, ret.refund_method) == (
            "received", D(100000), D(100000), "card")
    assert order.lines[0].qty_returned == 1 and order.amount_refunded == D(100000)
    assert (order.payment_status, order.fulfilment_status, order.balance) == ("paid", "fulfilled", 0)
    assert ("sales.return_received", {"return_id": rid, "order_id": oid}) in captured
    # returning more than delivered-minus-returned is refused, nothing changes
    with pytest.raises(UserError, match=f"{first.sku}: 2 to return but only 1 delivered and not yet returned"):
        _do(shop, services.create_return, oid, [{"order_line_id": first.id, "qty": "2"}])
    with pytest.raises(UserError, match="refund_amount: 999999 VND is more than"):
        _do(shop, services.create_return, oid, [{"order_line_id": second.id, "qty": "1"}], refund_amount="999999")
    # the rest comes back: the order is returned and refunded
    _do(shop, services.create_return, oid, [{"order_line_id": first.id, "qty": "1", "damaged": True},
                                            {"order_line_id": second.id, "qty": "1"}])
    order = _get(shop, oid)
    assert (order.payment_status, order.fulfilment_status, order.label) == ("refunded", "returned", "Refunded")
    assert order.net_paid == 0 and order.amount_refunded == order.total


def test_return_on_an_unpaid_credit_order_lowers_what_is_owed(shop):
    with shop.tx() as s:
        services.ensure_default_terms(s)
    oid = _confirmed(shop, qtys=(2,), payment_term_code="NET30")
    _do(shop, services.complete_order, oid)
    line = _get(shop, oid).lines[0]
    rid = _do(shop, services.create_return, oid, [{"order_line_id": line.id, "qty": "1"}])
    order = _get(shop, oid)
    with shop.session() as s:
        assert s.get(Return, rid).refund_amount == 0
    assert (order.amount_credited, order.balance, order.payment_status) == (D(100000), D(100000), "unpaid")
    _do(shop, services.register_payment, oid, "100000", "bank_transfer")
    assert _get(shop, oid).payment_status == "paid"


def test_exchange_moves_the_paid_value_to_a_replacement_order(shop):
    oid = _completed(shop, (1,))  # 100,000 paid
    line = _get(shop, oid).lines[0]
    # swap for the 49,000 variant twice (98,000): 2,000 left is refunded
    rid = _do(shop, services.create_return, oid, [{"order_line_id": line.id, "qty": "1"}], reason="exchange",
              exchange=[{"variant_id": shop.variants[2], "qty": "2"}])
    with shop.session() as s:
        ret = s.get(Return, rid)
        replacement_id = ret.replacement_order_id
        assert (ret.credit_amount, ret.refund_amount) == (D(100000), D(2000))
        moved = s.scalars(select(Payment).where(Payment.return_id == rid).order_by(Payment.id)).all()
        assert [(p.order_id, p.kind, p.method, p.amount) for p in moved] == [
            (oid, "refund", "return_credit", D(98000)), (replacement_id, "payment", "return_credit", D(98000)),
            (oid, "refund", "card", D(2000))]
    replacement = _get(shop, replacement_id)
    assert (replacement.state, replacement.payment_status, replacement.total) == ("new", "paid", D(98000))
    assert replacement.note == f"Exchange for {_get(shop, oid).number}"
    assert _get(shop, oid).fulfilment_status == "returned"


def test_draft_return_then_receive(shop):
    oid = _completed(shop, (2,))
    line = _get(shop, oid).lines[0]
    rid = _do(shop, services.create_return, oid, [{"order_line_id": line.id, "qty": "1"}], receive=False)
    # the draft holds its quantity: it cannot be returned twice
    with pytest.raises(UserError, match="2 to return but only 1 delivered and not yet returned"):
        _do(shop, services.create_return, oid, [{"order_line_id": line.id, "qty": "2"}], receive=False)
    assert _get(shop, oid).lines[0].qty_returned == 0
    _do(shop, services.receive_return, rid)
    assert _get(shop, oid).lines[0].qty_returned == 1
    with pytest.raises(UserError, match="is already received"):
        _do(shop, services.receive_return, rid)


def test_return_lines_must_belong_to_the_order(shop):
    a, b = _completed(shop, (1,)), _completed(shop, (1,))
    other_line = _get(shop, b).lines[0].id
    with pytest.raises(UserError, match="not a line of order"):
        _do(shop, services.create_return, a, [{"order_line_id": other_line, "qty": "1"}])
    with pytest.raises(UserError, match="a return needs at least one line"):
        _do(shop, services.create_return, a, [])


def test_refund_is_capped_by_what_was_paid(shop):
    oid = _confirmed(shop)
    _do(shop, services.register_payment, oid, "30000", "cash")
    with pytest.raises(UserError, match=r"refund of 30001 VND is more than the 30000 VND paid"):
        _do(shop, services.refund_payment, oid, "30001", "cash")
    _do(shop, services.refund_payment, oid, "10000", "cash")
    order = _get(shop, oid)
    assert (order.net_paid, order.payment_status) == (D(20000), "partly_paid")


def test_tenancy_payments_and_returns_of_another_business(shop, shop_factory):
    other = shop_factory()
    oid = _completed(shop, (1,))
    line_id = _get(shop, oid).lines[0].id
    rid = _do(shop, services.create_return, oid, [{"order_line_id": line_id, "qty": "1"}], receive=False)
    with other.tx() as s:
        with pytest.raises(UserError, match="does not exist"):
            services.refund_payment(s, oid, "1", "cash")
        with pytest.raises(UserError, match=f"return #{rid} does not exist"):
            services.receive_return(s, rid)
        assert s.scalars(select(Payment)).all() == [] and s.scalars(select(Return)).all() == []

"""Screens: the receipt chain and buttons on the order page, the lists, permissions; identities masked."""
from __future__ import annotations

from tests.addons.sales.test_document_page import _part
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures


def test_order_page_shows_the_chain_and_issues_and_cancels(kr, make_user, client_for):  # noqa: F811
    order_id = kr.order(lines=(("0", "2"),))
    client = client_for(make_user(kr.business))
    page = client.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert "Issue cash receipt" in _part(page, "doc-actions")
    done = client.post(f"/admin/einvoice_kr_receipt/issue/?order_id={order_id}",
                       {"identity": "010-4321-8765", "purpose": "deduction",
                        "back": f"/admin/sales_order/details/?id={order_id}"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"details/?id={order_id}")
    kr.run_jobs()
    receipt = kr.receipts(order_id)[0]
    page = client.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    related = _part(page, "doc-related")
    assert receipt["number"] in related and "010-****-8765" in related and receipt["confirm_num"] in related
    assert "01043218765" not in page and "Cancel cash receipt" in _part(page, "doc-actions")
    from addons.einvoice_kr.services import receipts
    with kr.session() as s:
        receipt_id = receipts.find_receipt(s, receipt["number"]).id
    client.post(f"/admin/einvoice_kr_receipt/cancel/?id={receipt_id}", {"reason": "9"})   # refused, nothing made
    assert len(kr.receipts(order_id)) == 1
    client.post(f"/admin/einvoice_kr_receipt/cancel/?id={receipt_id}", {"reason": "1", "amount": "22000"})
    kr.run_jobs()
    chain = kr.receipts(order_id)
    assert [r["trade_type"] for r in chain] == ["approval", "cancel"] and chain[1]["total"] == 22000
    page = client.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert chain[1]["number"] in _part(page, "doc-related")
    for url in ("/admin/einvoice_kr_receipt/", f"/admin/einvoice_kr_receipt/details/?id={receipt_id}",
                "/admin/einvoice_kr_taxinvoice/", "/admin/einvoice_kr_brn/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "01043218765" not in response.get_data(as_text=True)


def test_cancel_needs_its_permission(kr, make_user, client_for):  # noqa: F811
    order_id = kr.order(identity="01056565656")
    kr.run_jobs()
    from addons.einvoice_kr.services import receipts
    with kr.session() as s:
        receipt_id = receipts.chain(s, order_id)[0].id
    client = client_for(make_user(kr.business, permissions=("einvoice_kr.receipt.read", "sales.order.read")))
    assert client.post(f"/admin/einvoice_kr_receipt/cancel/?id={receipt_id}", {"reason": "1"}).status_code == 403
    assert client.post(f"/admin/einvoice_kr_receipt/issue/?order_id={order_id}", {}).status_code == 403
    assert len(kr.receipts(order_id)) == 1


def test_a_failed_receipt_is_a_notice_on_the_order_page(kr, popbill, make_user, client_for):  # noqa: F811
    popbill.fail_next = (-14001004, "식별번호가 입력되지 않았습니다.")
    order_id = kr.order(identity="01080808080")
    kr.run_jobs()
    row = kr.receipts(order_id)[0]
    assert row["state"] == "failed"
    page = client_for(make_user(kr.business)).get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert f"Cash receipt {row['number']} failed" in page and "식별번호가 입력되지 않았습니다." in page


def test_cash_receipt_identity_action_on_the_order_page(kr, make_user, client_for):  # noqa: F811
    order_id = kr.order(pay=False)
    back = f"/admin/sales_order/details/?id={order_id}"
    client = client_for(make_user(kr.business))
    page = client.get(back).get_data(as_text=True)
    assert "Cash receipt identity" in _part(page, "doc-actions")
    url = f"/admin/einvoice_kr_receipt/identity/?order_id={order_id}"
    bad = client.post(url, {"purpose": "deduction", "identity": "4111-1111-1111-1112", "back": back})
    assert bad.status_code == 302 and kr_request(kr, order_id) is None          # refused, nothing recorded
    assert "Luhn" in client.get(back).get_data(as_text=True)
    done = client.post(url, {"purpose": "deduction", "identity": "010-3434-5656", "back": back})
    assert done.status_code == 302 and done.headers["Location"].endswith(back)
    assert kr_request(kr, order_id) == ("deduction", "mobile", "010-****-5656")
    page = client.get(back).get_data(as_text=True)
    assert "010-****-5656" in _part(page, "doc-actions") and "01034345656" not in page
    client.post(url, {"purpose": "deduction", "identity": "9001011234568", "back": back})   # an RRN: never shown
    assert kr_request(kr, order_id) == ("deduction", "rrn", "******-*******")
    page = client.get(back).get_data(as_text=True)
    assert "******-*******" in page and "9001011234568" not in page and "900101" not in page
    clerk = client_for(make_user(kr.business, permissions=("einvoice_kr.receipt.read", "sales.order.read")))
    assert "Cash receipt identity" not in clerk.get(back).get_data(as_text=True)
    assert clerk.post(url, {"purpose": "proof", "identity": "104-81-25258"}).status_code == 403
    assert kr_request(kr, order_id)[0] == "deduction"


def kr_request(kr, order_id):
    from addons.einvoice_kr.services import receipts
    with kr.session() as s:
        row = receipts.receipt_request(s, order_id)
        return (row.purpose, row.identity_kind, row.identity_masked) if row else None

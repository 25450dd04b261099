"""The sales screens in each of the six languages: menus, lists, filters, the order page, the entry
screen (and the texts its script shows) and refusals, all from the sales catalog.

Each check names words a clerk sees in that language; English words the catalog replaces must be gone.
"""
from __future__ import annotations

import html

import pytest

from addons.sales import services
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

# language -> words of the order list, the order page, the entry screen and a refused action
WORDS = {
    "ko": {"list": ("주문", "채널", "고객", "상태", "신규"),
           "page": ("판매 주문", "결제 등록", "품목", "미결제 잔액", "취소 사유", "확정"),
           "entry": ("새 주문", "저장 후 확정", "바코드를 스캔하거나", "오늘 확정하면 만기일 %(date)s", "전화"),
           "refused": "처리 중 상태의 주문만 완료할 수 있습니다"},
    "vi": {"list": ("Đơn hàng", "Kênh bán", "Khách hàng", "Trạng thái", "Mới"),
           "page": ("Đơn bán hàng", "Ghi nhận thanh toán", "Dòng hàng", "Số tiền còn phải trả", "Lý do hủy"),
           "entry": ("Đơn hàng mới", "Lưu và xác nhận", "Quét mã vạch", "Hạn thanh toán %(date)s nếu xác nhận hôm nay",
                     "Điện thoại"),
           "refused": "chỉ đơn hàng ở trạng thái Đang xử lý mới có thể hoàn tất"},
    "zh": {"list": ("订单", "渠道", "客户", "状态", "新建"),
           "page": ("销售订单", "登记付款", "明细行", "应付余额", "取消原因"),
           "entry": ("新建订单", "保存并确认", "扫描条码", "如今天确认，到期日为 %(date)s", "电话"),
           "refused": "只有处理中状态的订单才能完成"},
    "ru": {"list": ("Заказы", "Канал", "Клиент", "Статус", "Новый"),
           "page": ("Заказ клиента", "Зарегистрировать оплату", "Строки", "К оплате", "Причина отмены"),
           "entry": ("Новый заказ", "Сохранить и подтвердить", "Отсканируйте штрихкод",
                     "Срок оплаты %(date)s, если подтвердить сегодня", "Телефон"),
           "refused": "завершить можно только заказы в статусе «В обработке»"},
    "es": {"list": ("Pedidos", "Canal", "Cliente", "Estado", "Nuevo"),
           "page": ("Pedido de venta", "Registrar pago", "Líneas", "Saldo pendiente", "Motivo de la cancelación"),
           "entry": ("Nuevo pedido", "Guardar y confirmar", "Escanee un código de barras",
                     "Vence el %(date)s si se confirma hoy", "Teléfono"),
           "refused": "solo se pueden completar pedidos en estado En proceso"},
}
ENGLISH = ("Register payment", "Balance due", "Reason for cancelling", "Save and Confirm", "Shipping and payment",
           "Scan a barcode", "Customer PO")


@pytest.fixture
def order_and_client(shop, make_user, client_for):  # noqa: F811
    with shop.tx() as s:
        order = services.create_order(s, channel="phone", partner_id=shop.customer_id,
                                      lines=[{"variant_id": shop.variants[0], "qty": "1"}])
        ids = order.id, order.number
    return ids, client_for(make_user(shop.business))


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_sales_screens_speak_the_chosen_language(order_and_client, lang):
    (order_id, number), client = order_and_client
    client.post("/language", {"locale": lang})
    words = WORDS[lang]
    listing = _page(client, "/admin/sales_order/")
    page = _page(client, f"/admin/sales_order/details/?id={order_id}")
    entry = _page(client, "/admin/sales_order/new/")
    for word in words["list"]:
        assert word in listing, (lang, word)
    for word in words["page"]:
        assert word in page, (lang, word)
    for word in words["entry"]:
        assert word in entry, (lang, word)
    for english in ENGLISH:
        assert english not in page + entry, (lang, english)
    # a refusal from the service is flashed in the same language
    refused = client.post(f"/admin/sales_order/transition/?id={order_id}", {"transition": "complete"},
                          follow_redirects=True)
    text = html.unescape(refused.get_data(as_text=True))
    assert number in text and words["refused"] in text, lang
    tiles = {"ko": "오늘 매출", "vi": "Doanh số hôm nay", "zh": "今日销售额", "ru": "Продажи за сегодня",
             "es": "Ventas de hoy"}[lang]
    assert tiles in _page(client, "/admin/"), (lang, "dashboard")
    for endpoint in ("sales_payment", "sales_return", "sales_term"):
        assert client.get(f"/admin/{endpoint}/").status_code == 200


def test_english_stays_the_source_text(order_and_client):
    (order_id, number), client = order_and_client
    client.post("/language", {"locale": "ko"})
    client.post("/language", {"locale": "en"})
    page = _page(client, f"/admin/sales_order/details/?id={order_id}")
    assert "Register payment" in page and "Balance due" in page
    refused = client.post(f"/admin/sales_order/transition/?id={order_id}", {"transition": "complete"},
                          follow_redirects=True)
    assert f"order {number} is New; only Processing orders can be completed" in refused.get_data(as_text=True)

"""The warehouse screens in each language: lists and their labels, the purchase order and stock count
pages, the transfer page and a refusal, all from the warehouse catalog."""
from __future__ import annotations

import html
from decimal import Decimal

import pytest

from addons.warehouse import services as wh
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .test_admin import admin, business  # noqa: F401  fixture

# language -> (purchase order page, stock count page, transfer page, lists, transfer refusal)
WORDS = {
    "ko": (("구매 주문", "공급업체", "발송", "품목 추가", "초안"), ("재고 실사", "실사 시작", "차이"),
           ("창고 간 재고 이동", "예정일", "재고 이동 저장"), ("창고", "현재고", "예약 재고", "가용 재고"),
           "출발 창고와 도착 창고가 같습니다"),
    "vi": (("Đơn mua hàng", "Nhà cung cấp", "Gửi", "Thêm dòng", "Nháp"), ("Kiểm kê kho", "Bắt đầu kiểm kê", "Chênh lệch"),
           ("Chuyển hàng giữa các kho", "Ngày dự kiến", "Lưu phiếu chuyển kho"), ("Kho", "Tồn kho", "Đã giữ", "Khả dụng"),
           "kho nguồn và kho đích là cùng một kho"),
    "zh": (("采购订单", "供应商", "发送", "添加明细行", "草稿"), ("库存盘点", "开始盘点", "差异"),
           ("仓库间库存调拨", "计划日期", "保存调拨单"), ("仓库", "在库", "已预留", "可用"), "调出仓库与调入仓库相同"),
    "ru": (("Заказ поставщику", "Поставщик", "Отправить", "Добавить строку", "Черновик"),
           ("Инвентаризация", "Начать подсчёт", "Расхождение"), ("Перемещение товаров между складами", "Плановая дата", "Сохранить перемещение"),
           ("Склад", "В наличии", "В резерве", "Доступно"), "склад-отправитель и склад-получатель совпадают"),
    "es": (("Pedido de compra", "Proveedor", "Enviar", "Añadir una línea", "Borrador"),
           ("Recuento de stock", "Iniciar recuento", "Diferencia"), ("Transferir stock entre almacenes", "Fecha programada", "Guardar transferencia"),
           ("Almacén", "Existencias", "Reservado", "Disponible"), "el origen y el destino son el mismo almacén"),
}
ENGLISH = ("Add a line", "Start counting", "Transfer stock between warehouses", "Supplier delivery note",
           "Scheduled date", "Save transfer")


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_warehouse_screens_speak_the_chosen_language(runtime, shop, admin, lang):  # noqa: F811
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(shop.variants["SKU-1"], Decimal(6))])
        count = wh.create_count(session, shop.main)
        transfer = wh.create_transfer(session, shop.main, shop.second, [(shop.variants["SKU-2"], Decimal(1))])
        po_id, count_id, transfer_id = po.id, count.id, transfer.id
    admin.post("/language", {"locale": lang})
    po_words, count_words, transfer_words, list_words, refused = WORDS[lang]
    pages = {"po": _page(admin, f"/admin/warehouse_purchase_order/details/?id={po_id}"),
             "count": _page(admin, f"/admin/warehouse_stock_count/details/?id={count_id}"),
             "transfer": _page(admin, "/admin/warehouse_transfer/"),
             "stock": _page(admin, "/admin/warehouse_stock_balance/"),
             "form": _page(admin, "/admin/warehouse_warehouse/new/"),
             "document": _page(admin, f"/admin/warehouse_stock_transfer/details/?id={transfer_id}")}
    document_words = {"ko": ("재고 이동", "현재 이동 가능", "총수량"), "vi": ("Phiếu chuyển kho", "Có thể chuyển ngay", "Tổng số lượng"),
                      "zh": ("库存调拨单", "当前可调拨", "总数量"), "ru": ("Перемещение товаров", "Можно переместить сейчас", "Общее количество"),
                      "es": ("Transferencia de stock", "Disponible para mover ahora", "Cantidad total")}[lang]
    for word in document_words:
        assert word in pages["document"], (lang, "transfer document", word)
    for key, words in (("po", po_words), ("count", count_words), ("transfer", transfer_words),
                       ("stock", list_words)):
        for word in words:
            assert word in pages[key], (lang, key, word)
    form_words = {"ko": ("코드", "담당자", "주 창고"), "vi": ("Mã", "Người liên hệ", "Chi nhánh"), "zh": ("代码", "联系人", "主仓"),
                  "ru": ("Код", "Контактное лицо", "Филиал"), "es": ("Código", "Contacto", "Sucursal")}[lang]
    for word in form_words:
        assert word in pages["form"], (lang, "form", word)
    for english in ENGLISH:
        assert not any(english in page for page in pages.values()), (lang, english)
    response = admin.post("/admin/warehouse_transfer/", {"source": str(shop.main), "target": str(shop.main),
                                                        "lines": "SKU-1 1"})
    assert refused in html.unescape(response.get_data(as_text=True)), lang

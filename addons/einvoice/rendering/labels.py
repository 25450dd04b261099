"""Printed labels of e-invoice PDFs, per buyer language.

A plain dict rather than gettext catalogues: the PDF has a small fixed set of
captions, every one must exist in all six languages (a test checks the keys
match), and the language is the buyer's, not the signed-in user's.
"""
from __future__ import annotations

from core.errors import UserError

LANGUAGES = ("en", "ko", "vi", "zh", "ru", "es")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "vat_invoice": "VAT invoice", "sales_invoice": "Sales invoice", "credit_note": "Credit note",
        "adjustment_invoice": "Adjustment invoice", "replacement_invoice": "Replacement invoice",
        "receipt": "Receipt", "draft": "DRAFT — not a fiscal document",
        "seller": "Seller", "buyer": "Buyer", "address": "Address", "phone": "Phone",
        "email": "E-mail", "bank": "Bank", "bank_account": "Account", "bic": "BIC",
        "number": "No.", "series": "Series", "issue_date": "Issue date", "due_date": "Due date",
        "payment_terms": "Payment terms", "customer_po": "Your order no.", "currency": "Currency",
        "exchange_rate": "Exchange rate", "payment_method": "Payment method",
        "position": "#", "description": "Description", "quantity": "Qty", "unit": "Unit",
        "unit_price": "Unit price", "discount": "Disc.", "tax_rate": "Tax", "net_amount": "Amount",
        "tax_breakdown": "Tax breakdown", "rate": "Rate", "base": "Taxable amount", "tax": "Tax",
        "subtotal": "Subtotal", "tax_total": "Total tax", "total": "Total",
        "exempt": "Exempt", "reverse_charge": "Reverse charge", "zero_rated": "Zero-rated",
        "notes": "Notes", "corrects": "Corrects document", "reason": "Reason",
        "agreement": "Buyer agreement",
        "qr": "Scan to verify", "lookup_code": "Lookup code", "page": "Page",
        "cash": "Cash", "card": "Card", "bank_transfer": "Bank transfer", "cod": "Cash on delivery",
        "e_wallet": "E-wallet",
    },
    "ko": {
        "vat_invoice": "세금계산서", "sales_invoice": "세금계산서", "credit_note": "수정세금계산서(감액)",
        "adjustment_invoice": "수정세금계산서", "replacement_invoice": "대체 세금계산서",
        "receipt": "영수증", "draft": "초안 — 법적 문서 아님",
        "seller": "공급자", "buyer": "공급받는자", "address": "주소",
        "phone": "전화", "email": "이메일", "bank": "은행", "bank_account": "계좌", "bic": "BIC",
        "number": "번호", "series": "일련", "issue_date": "작성일자", "due_date": "지급기한",
        "payment_terms": "지급조건", "customer_po": "주문번호", "currency": "통화",
        "exchange_rate": "환율", "payment_method": "결제수단",
        "position": "#", "description": "품목", "quantity": "수량", "unit": "단위",
        "unit_price": "단가", "discount": "할인", "tax_rate": "세율", "net_amount": "공급가액",
        "tax_breakdown": "세율별 세액", "rate": "세율", "base": "공급가액", "tax": "세액",
        "subtotal": "공급가액 합계", "tax_total": "세액 합계", "total": "합계금액",
        "exempt": "면세", "reverse_charge": "역발행 과세", "zero_rated": "영세율",
        "notes": "비고", "corrects": "수정 대상 문서", "reason": "사유",
        "agreement": "구매자 동의",
        "qr": "확인용 QR", "lookup_code": "조회 코드", "page": "페이지",
        "cash": "현금", "card": "카드", "bank_transfer": "계좌이체", "cod": "착불",
        "e_wallet": "간편결제",
    },
    "vi": {
        "vat_invoice": "Hóa đơn giá trị gia tăng", "sales_invoice": "Hóa đơn bán hàng",
        "credit_note": "Hóa đơn điều chỉnh giảm", "adjustment_invoice": "Hóa đơn điều chỉnh",
        "replacement_invoice": "Hóa đơn thay thế", "receipt": "Biên lai",
        "draft": "BẢN NHÁP — không có giá trị pháp lý",
        "seller": "Đơn vị bán hàng", "buyer": "Người mua hàng",
        "address": "Địa chỉ", "phone": "Điện thoại", "email": "Email", "bank": "Ngân hàng",
        "bank_account": "Số tài khoản", "bic": "BIC",
        "number": "Số", "series": "Ký hiệu", "issue_date": "Ngày lập", "due_date": "Hạn thanh toán",
        "payment_terms": "Điều khoản thanh toán", "customer_po": "Số đơn đặt hàng", "currency": "Đơn vị tiền tệ",
        "exchange_rate": "Tỷ giá", "payment_method": "Hình thức thanh toán",
        "position": "STT", "description": "Tên hàng hóa, dịch vụ", "quantity": "Số lượng",
        "unit": "Đơn vị tính", "unit_price": "Đơn giá", "discount": "Chiết khấu", "tax_rate": "Thuế suất",
        "net_amount": "Thành tiền",
        "tax_breakdown": "Tổng hợp theo thuế suất", "rate": "Thuế suất", "base": "Tiền chưa thuế",
        "tax": "Tiền thuế GTGT",
        "subtotal": "Cộng tiền hàng", "tax_total": "Tiền thuế GTGT", "total": "Tổng cộng tiền thanh toán",
        "exempt": "Không chịu thuế", "reverse_charge": "Người mua nộp thuế", "zero_rated": "Thuế suất 0%",
        "notes": "Ghi chú", "corrects": "Điều chỉnh cho hóa đơn", "reason": "Lý do",
        "agreement": "Biên bản thỏa thuận",
        "qr": "Quét để tra cứu", "lookup_code": "Mã tra cứu", "page": "Trang",
        "cash": "Tiền mặt", "card": "Thẻ", "bank_transfer": "Chuyển khoản", "cod": "Thu hộ (COD)",
        "e_wallet": "Ví điện tử",
    },
    "zh": {
        "vat_invoice": "增值税发票", "sales_invoice": "销售发票", "credit_note": "红字发票（贷项通知单）",
        "adjustment_invoice": "调整发票", "replacement_invoice": "替代发票", "receipt": "收据",
        "draft": "草稿 — 非正式发票",
        "seller": "销售方", "buyer": "购买方", "address": "地址", "phone": "电话",
        "email": "电子邮件", "bank": "开户行", "bank_account": "账号", "bic": "BIC",
        "number": "号码", "series": "代码", "issue_date": "开票日期", "due_date": "付款期限",
        "payment_terms": "付款条件", "customer_po": "订单号", "currency": "币种",
        "exchange_rate": "汇率", "payment_method": "付款方式",
        "position": "序号", "description": "货物或应税劳务、服务名称", "quantity": "数量", "unit": "单位",
        "unit_price": "单价", "discount": "折扣", "tax_rate": "税率", "net_amount": "金额",
        "tax_breakdown": "分税率汇总", "rate": "税率", "base": "金额", "tax": "税额",
        "subtotal": "合计金额", "tax_total": "合计税额", "total": "价税合计",
        "exempt": "免税", "reverse_charge": "反向征税", "zero_rated": "零税率",
        "notes": "备注", "corrects": "对应原发票", "reason": "原因",
        "agreement": "购买方确认",
        "qr": "扫码查验", "lookup_code": "查验码", "page": "页",
        "cash": "现金", "card": "银行卡", "bank_transfer": "银行转账", "cod": "货到付款",
        "e_wallet": "电子钱包",
    },
    "ru": {
        "vat_invoice": "Счёт-фактура", "sales_invoice": "Счёт", "credit_note": "Кредит-нота",
        "adjustment_invoice": "Корректировочный счёт-фактура", "replacement_invoice": "Исправленный счёт-фактура",
        "receipt": "Квитанция", "draft": "ЧЕРНОВИК — не является документом",
        "seller": "Продавец", "buyer": "Покупатель", "address": "Адрес", "phone": "Телефон",
        "email": "Эл. почта", "bank": "Банк", "bank_account": "Счёт", "bic": "БИК",
        "number": "№", "series": "Серия", "issue_date": "Дата", "due_date": "Срок оплаты",
        "payment_terms": "Условия оплаты", "customer_po": "Ваш заказ №", "currency": "Валюта",
        "exchange_rate": "Курс", "payment_method": "Способ оплаты",
        "position": "№", "description": "Наименование", "quantity": "Кол-во", "unit": "Ед.",
        "unit_price": "Цена", "discount": "Скидка", "tax_rate": "НДС", "net_amount": "Сумма",
        "tax_breakdown": "НДС по ставкам", "rate": "Ставка", "base": "Сумма без НДС", "tax": "Сумма НДС",
        "subtotal": "Итого без НДС", "tax_total": "Итого НДС", "total": "Всего к оплате",
        "exempt": "Без НДС", "reverse_charge": "Обратное начисление", "zero_rated": "Ставка 0%",
        "notes": "Примечания", "corrects": "Исправляет документ", "reason": "Причина",
        "agreement": "Согласие покупателя",
        "qr": "Проверка по QR", "lookup_code": "Код проверки", "page": "Стр.",
        "cash": "Наличные", "card": "Карта", "bank_transfer": "Банковский перевод", "cod": "Наложенный платёж",
        "e_wallet": "Электронный кошелёк",
    },
    "es": {
        "vat_invoice": "Factura", "sales_invoice": "Factura de venta", "credit_note": "Nota de crédito",
        "adjustment_invoice": "Factura rectificativa", "replacement_invoice": "Factura sustitutiva",
        "receipt": "Recibo", "draft": "BORRADOR — sin validez fiscal",
        "seller": "Emisor", "buyer": "Receptor", "address": "Dirección",
        "phone": "Teléfono", "email": "Correo", "bank": "Banco", "bank_account": "Cuenta", "bic": "BIC",
        "number": "Folio", "series": "Serie", "issue_date": "Fecha de emisión", "due_date": "Vencimiento",
        "payment_terms": "Condiciones de pago", "customer_po": "Su pedido n.º", "currency": "Moneda",
        "exchange_rate": "Tipo de cambio", "payment_method": "Forma de pago",
        "position": "#", "description": "Descripción", "quantity": "Cant.", "unit": "Unidad",
        "unit_price": "Precio unitario", "discount": "Desc.", "tax_rate": "Impuesto", "net_amount": "Importe",
        "tax_breakdown": "Desglose de impuestos", "rate": "Tasa", "base": "Base", "tax": "Impuesto",
        "subtotal": "Subtotal", "tax_total": "Impuestos", "total": "Total",
        "exempt": "Exento", "reverse_charge": "Inversión del sujeto pasivo", "zero_rated": "Tasa 0%",
        "notes": "Notas", "corrects": "Corrige el documento", "reason": "Motivo",
        "agreement": "Acuerdo del receptor",
       
        "qr": "Escanee para verificar", "lookup_code": "Código de consulta", "page": "Página",
        "cash": "Efectivo", "card": "Tarjeta", "bank_transfer": "Transferencia", "cod": "Contra entrega",
        "e_wallet": "Monedero electrónico",
    },
}


def labels_for(language: str | None) -> dict[str, str]:
    """The labels of ``language``; an unknown language is a UserError, not English in disguise."""
    lang = str(language or "").split("_")[0].split("-")[0].lower()
    if lang not in LABELS:
        raise UserError(f"document language {language!r} is not supported: use one of {', '.join(LANGUAGES)}")
    return LABELS[lang]

"""The wording of the document e-mail in each buyer language (en ko vi zh ru es).

Kept as data, not six copies of a template, so the text and HTML mails stay
the same message and a new language is one entry.
"""
from __future__ import annotations

TEXT = {
    "en": {"subject": "{type} {number} from {seller}", "greeting": "Dear {buyer},",
           "body": "please find attached {type} {number} of {date} for {total}.",
           "due": "Due date: {due}", "xml": "The structured e-invoice (XML) is attached as well.",
           "confirm": "Please confirm that you received it:", "button": "Confirm receipt",
           "closing": "Kind regards,",
           "types": {"vat_invoice": "VAT invoice", "sales_invoice": "Invoice", "credit_note": "Credit note",
                     "adjustment_invoice": "Adjustment invoice", "replacement_invoice": "Replacement invoice",
                     "receipt": "Receipt"}},
    "ko": {"subject": "{seller}의 {type} {number}", "greeting": "{buyer} 님께,",
           "body": "{date}자 {type} {number} (금액 {total})을 첨부해 드립니다.",
           "due": "지급 기한: {due}", "xml": "전자세금계산서(XML) 파일도 함께 첨부되어 있습니다.",
           "confirm": "수령 여부를 확인해 주십시오:", "button": "수령 확인",
           "closing": "감사합니다.",
           "types": {"vat_invoice": "세금계산서", "sales_invoice": "세금계산서", "credit_note": "수정세금계산서(감액)",
                     "adjustment_invoice": "수정세금계산서", "replacement_invoice": "대체 세금계산서",
                     "receipt": "영수증"}},
    "vi": {"subject": "{type} {number} từ {seller}", "greeting": "Kính gửi {buyer},",
           "body": "chúng tôi gửi kèm {type} số {number} ngày {date}, tổng tiền {total}.",
           "due": "Hạn thanh toán: {due}", "xml": "Tệp hóa đơn điện tử (XML) cũng được đính kèm.",
           "confirm": "Vui lòng xác nhận đã nhận hóa đơn:", "button": "Xác nhận đã nhận",
           "closing": "Trân trọng,",
           "types": {"vat_invoice": "Hóa đơn GTGT", "sales_invoice": "Hóa đơn bán hàng",
                     "credit_note": "Hóa đơn giảm trừ", "adjustment_invoice": "Hóa đơn điều chỉnh",
                     "replacement_invoice": "Hóa đơn thay thế", "receipt": "Biên lai"}},
    "zh": {"subject": "{seller} 的{type} {number}", "greeting": "{buyer}，您好：",
           "body": "附件为 {date} 开具的{type} {number}，金额 {total}。",
           "due": "付款期限：{due}", "xml": "结构化电子发票（XML）亦已附上。",
           "confirm": "请确认您已收到：", "button": "确认收到", "closing": "此致敬礼",
           "types": {"vat_invoice": "增值税发票", "sales_invoice": "发票", "credit_note": "红字发票",
                     "adjustment_invoice": "调整发票", "replacement_invoice": "替换发票", "receipt": "收据"}},
    "ru": {"subject": "{type} {number} от {seller}", "greeting": "Уважаемый(ая) {buyer},",
           "body": "направляем вам {type} № {number} от {date} на сумму {total}.",
           "due": "Срок оплаты: {due}", "xml": "Электронный документ (XML) также приложен.",
           "confirm": "Пожалуйста, подтвердите получение:", "button": "Подтвердить получение",
           "closing": "С уважением,",
           "types": {"vat_invoice": "Счёт-фактура", "sales_invoice": "Счёт", "credit_note": "Кредит-нота",
                     "adjustment_invoice": "Корректировочный счёт-фактура",
                     "replacement_invoice": "Исправленный счёт-фактура", "receipt": "Чек"}},
    "es": {"subject": "{type} {number} de {seller}", "greeting": "Estimado(a) {buyer}:",
           "body": "adjuntamos {type} {number} del {date} por {total}.",
           "due": "Fecha de vencimiento: {due}", "xml": "También se adjunta el comprobante electrónico (XML).",
           "confirm": "Por favor confirme la recepción:", "button": "Confirmar recepción",
           "closing": "Atentamente,",
           "types": {"vat_invoice": "Factura con IVA", "sales_invoice": "Factura", "credit_note": "Nota de crédito",
                     "adjustment_invoice": "Factura de ajuste", "replacement_invoice": "Factura sustitutiva",
                     "receipt": "Recibo"}},
}


def mail_text(language: str) -> dict:
    return TEXT.get(language, TEXT["en"])

"""The Vietnamese fiscal block on einvoice's PDF: Mẫu số, Ký hiệu, Số, Mã CQT, lookup, words, signatures.

Registered with einvoice's renderer (``register_context_extender``) when the
addon's code loads. For a document with a Vietnamese invoice: template, symbol and
number shown separately, the tax authority's code once a provider gave it
(``Submission.authority_uuid``), the lookup code (``authority_code``) and the lookup
address (setting ``lookup_url``), the total in Vietnamese words, the invoice it
adjusts or replaces with the buyer's agreement, and the two signature blocks
("Người mua hàng", "Người bán hàng", signed digitally by … on …). Vietnamese
captions are the law's; each carries the reader's language beside it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, select
from sqlalchemy.orm import object_session

from core.i18n import LANGUAGES

from .models import VnInvoice
from .tctxml import related_text
from .words import amount_in_words

VI = {"title": "Thông tin hóa đơn điện tử", "template": "Mẫu số", "symbol": "Ký hiệu", "number": "Số",
      "code": "Mã của cơ quan thuế", "lookup": "Mã tra cứu", "url": "Tra cứu tại", "words": "Số tiền viết bằng chữ",
      "related": "Hóa đơn liên quan", "agreement": "Văn bản thỏa thuận", "buyer": "Người mua hàng",
      "seller": "Người bán hàng", "signed": "Ký bởi", "on": "Ký ngày", "unsigned": "Chưa ký số",
      "cash": "Khởi tạo từ máy tính tiền"}
LABELS = {
    "en": {"title": "E-invoice details", "template": "Template", "symbol": "Symbol", "number": "No.",
           "code": "Tax authority code", "lookup": "Lookup code", "url": "Look up at", "words": "Amount in words",
           "related": "Related invoice", "agreement": "Agreement with the buyer", "buyer": "Buyer",
           "seller": "Seller", "signed": "Signed digitally by", "on": "on", "unsigned": "Not signed digitally",
           "cash": "Generated from a cash register"},
    "vi": VI,
    "ko": {"title": "전자 인보이스 정보", "template": "양식 번호", "symbol": "기호", "number": "번호",
           "code": "세무 당국 코드", "lookup": "조회 코드", "url": "조회 주소", "words": "금액(한글 표기)",
           "related": "관련 인보이스", "agreement": "구매자와의 합의서", "buyer": "구매자", "seller": "판매자",
           "signed": "전자 서명자", "on": "서명일", "unsigned": "전자 서명 없음", "cash": "금전등록기에서 발행"},
    "zh": {"title": "电子发票信息", "template": "模板号", "symbol": "符号", "number": "号码", "code": "税务机关代码",
           "lookup": "查询码", "url": "查询网址", "words": "金额大写", "related": "相关发票", "agreement": "与买方的协议",
           "buyer": "买方", "seller": "卖方", "signed": "数字签名人", "on": "签名日期", "unsigned": "未数字签名",
           "cash": "由收银机生成"},
    "ru": {"title": "Сведения об электронном счёте", "template": "Номер формы", "symbol": "Серия", "number": "Номер",
           "code": "Код налогового органа", "lookup": "Код проверки", "url": "Проверить на", "words": "Сумма прописью",
           "related": "Связанный счёт", "agreement": "Соглашение с покупателем", "buyer": "Покупатель",
           "seller": "Продавец", "signed": "Подписано ЭЦП", "on": "дата", "unsigned": "Без электронной подписи",
           "cash": "Сформирован кассовым аппаратом"},
    "es": {"title": "Datos de la factura electrónica", "template": "Plantilla", "symbol": "Símbolo", "number": "Núm.",
           "code": "Código de la autoridad fiscal", "lookup": "Código de consulta", "url": "Consulta en",
           "words": "Importe en letras", "related": "Factura relacionada", "agreement": "Acuerdo con el comprador",
           "buyer": "Comprador", "seller": "Vendedor", "signed": "Firmado digitalmente por", "on": "el",
           "unsigned": "Sin firma digital", "cash": "Generada desde una caja registradora"},
}
assert set(LABELS) == set(LANGUAGES) and all(set(v) == set(VI) for v in LABELS.values())


def _caption(key: str, language: str) -> str:
    own = LABELS.get(language, LABELS["en"])[key]
    return VI[key] if language == "vi" else f"{VI[key]} ({own})"


def _invoice_of(document):
    if inspect(document, raiseerr=False) is None or getattr(document, "id", None) is None:
        return None, None
    session = object_session(document)
    if session is None:
        return None, None
    return session, session.scalar(select(VnInvoice).where(VnInvoice.document_id == document.id))


def fiscal_block(document) -> dict:
    if ((getattr(document, "seller", None) or {}).get("country") or "").upper() != "VN":
        return {}
    session, row = _invoice_of(document)
    if row is None:
        return {}
    from addons.einvoice.rendering.qr import authority_answer
    from core.jobs import addon_settings
    lang = document.language or "vi"
    answer = authority_answer(document)
    rows = [(_caption("template", lang), row.template), (_caption("symbol", lang), row.symbol),
            (_caption("number", lang), f"{row.number:08d}")]
    if answer is not None and answer.authority_uuid:
        rows.append((_caption("code", lang), answer.authority_uuid))
    if answer is not None and answer.authority_code and not answer.authority_code.startswith("OFFLINE:"):
        rows.append((_caption("lookup", lang), answer.authority_code))
    url = addon_settings(session, "einvoice_vn")["lookup_url"]
    if url:
        rows.append((_caption("url", lang), url))
    if row.cash_register:
        rows.append((VI["cash"], LABELS.get(lang, LABELS["en"])["cash"]))
    rows.append((_caption("words", lang), amount_in_words(document.total, document.currency)))
    if row.related:
        related = dict(row.related, date=date.fromisoformat(row.related["date"]))
        rows.append((_caption("related", lang), related_text(related)))
        if document.buyer_agreement_ref:
            rows.append((_caption("agreement", lang), f"{document.buyer_agreement_ref} "
                                                      f"({document.buyer_agreement_date.strftime('%d/%m/%Y')})"))
    seller_sig = ([f"{_caption('signed', lang)}: {row.signer}",
                   f"{_caption('on', lang)}: {row.signed_at.strftime('%d/%m/%Y')}"]
                  if row.signer else [_caption("unsigned", lang)])
    blocks = [(_caption("buyer", lang), [(document.buyer or {}).get("name") or ""]),
              (_caption("seller", lang), seller_sig)]
    return {"regime_sections": [{"title": _caption("title", lang), "rows": rows, "blocks": blocks}]}


def register() -> None:
    from addons.einvoice.rendering.pdf import register_context_extender
    register_context_extender(fiscal_block)

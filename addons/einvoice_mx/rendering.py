"""The CFDI's fiscal block and SAT verification QR on einvoice's PDF, in the buyer's language.

Registered with einvoice's renderer (``register_context_extender``,
``register_qr_builder("MX", ...)``) when the addon's code loads. For a
document of a Mexican seller with a CFDI: the fiscal UUID, the emisor's and
SAT's certificate numbers, the stamp date, the PAC, the CFDI's sello, SAT's
sello, the cadena original del complemento de certificación (SAT's TFD
cadena, as satcfdi builds it with SAT's XSLT), and the QR of SAT's
verification URL with id, re, rr, tt and fe (tt formatted as satcfdi does, fe URL-encoded). An
issued document whose CFDI is not stamped yet gets no PDF (UserError: the
PDF waits for the stamp, so nobody receives a CFDI that is not valid yet).
"""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import object_session

from core.errors import UserError
from core.i18n import LANGUAGES

from .models import Cfdi

LABELS = {
    "en": {"title": "Digital tax receipt (CFDI 4.0)", "uuid": "Fiscal UUID", "type": "CFDI type",
           "certificate": "Issuer's certificate no.", "sat_certificate": "SAT certificate no.",
           "stamped": "Certified on", "pac": "Certification provider (PAC) RFC", "use": "CFDI use",
           "method": "Payment method / form", "regime": "Issuer's tax regime", "place": "Place of issue",
           "sello": "Digital seal of the CFDI", "sello_sat": "SAT seal",
           "cadena": "Original string of the SAT digital certification complement",
           "offline": "Offline stamp: no fiscal validity", "qr": "Verify at SAT"},
    "es": {"title": "Comprobante fiscal digital por Internet (CFDI 4.0)", "uuid": "Folio fiscal (UUID)",
           "type": "Tipo de comprobante", "certificate": "No. de serie del certificado del emisor",
           "sat_certificate": "No. de serie del certificado del SAT", "stamped": "Fecha y hora de certificación",
           "pac": "RFC del proveedor de certificación", "use": "Uso CFDI", "method": "Método y forma de pago",
           "regime": "Régimen fiscal del emisor", "place": "Lugar de expedición", "sello": "Sello digital del CFDI",
           "sello_sat": "Sello digital del SAT",
           "cadena": "Cadena original del complemento de certificación digital del SAT",
           "offline": "Timbre fuera de línea: sin validez fiscal", "qr": "Verifique en el SAT"},
    "ko": {"title": "전자 세금 영수증(CFDI 4.0)", "uuid": "세무 UUID", "type": "CFDI 유형",
           "certificate": "발행자 인증서 번호", "sat_certificate": "SAT 인증서 번호", "stamped": "인증 일시",
           "pac": "인증 제공자(PAC) RFC", "use": "CFDI 용도", "method": "결제 방법 / 형태", "regime": "발행자 세무 제도",
           "place": "발행지", "sello": "CFDI 전자 서명", "sello_sat": "SAT 서명",
           "cadena": "SAT 전자 인증 보완 원문 문자열", "offline": "오프라인 타임스탬프: 세무상 효력 없음",
           "qr": "SAT에서 확인"},
    "vi": {"title": "Chứng từ thuế điện tử (CFDI 4.0)", "uuid": "UUID thuế", "type": "Loại CFDI",
           "certificate": "Số chứng thư của bên phát hành", "sat_certificate": "Số chứng thư SAT",
           "stamped": "Thời điểm chứng nhận", "pac": "RFC nhà cung cấp chứng nhận (PAC)", "use": "Mục đích CFDI",
           "method": "Phương thức / hình thức thanh toán", "regime": "Chế độ thuế của bên phát hành",
           "place": "Nơi phát hành", "sello": "Chữ ký số của CFDI", "sello_sat": "Chữ ký của SAT",
           "cadena": "Chuỗi gốc của phần bổ sung chứng nhận số SAT",
           "offline": "Dấu ngoại tuyến: không có giá trị thuế", "qr": "Kiểm tra tại SAT"},
    "zh": {"title": "电子税务凭证（CFDI 4.0）", "uuid": "税务 UUID", "type": "CFDI 类型", "certificate": "开票方证书编号",
           "sat_certificate": "SAT 证书编号", "stamped": "认证时间", "pac": "认证服务商（PAC）RFC", "use": "CFDI 用途",
           "method": "付款方法 / 方式", "regime": "开票方税务制度", "place": "开具地点", "sello": "CFDI 数字签章",
           "sello_sat": "SAT 签章", "cadena": "SAT 数字认证补充的原始字符串", "offline": "离线盖章：无税务效力",
           "qr": "在 SAT 验证"},
    "ru": {"title": "Электронный налоговый документ (CFDI 4.0)", "uuid": "Фискальный UUID", "type": "Тип CFDI",
           "certificate": "Номер сертификата эмитента", "sat_certificate": "Номер сертификата SAT",
           "stamped": "Дата сертификации", "pac": "RFC провайдера сертификации (PAC)", "use": "Назначение CFDI",
           "method": "Метод и форма оплаты", "regime": "Налоговый режим эмитента", "place": "Место выдачи",
           "sello": "Цифровая печать CFDI", "sello_sat": "Печать SAT",
           "cadena": "Исходная строка дополнения цифровой сертификации SAT",
           "offline": "Офлайн-штамп: без фискальной силы", "qr": "Проверить в SAT"},
}
assert set(LABELS) == set(LANGUAGES) and all(set(v) == set(LABELS["en"]) for v in LABELS.values())
OFFLINE_PAC = "AAA010101AAA"
VERIFY_URL = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
CHUNK = 110


def _chunks(text: str) -> list[str]:
    return [text[i:i + CHUNK] for i in range(0, len(text or ""), CHUNK)]


def _cfdi_of(document):
    if ((getattr(document, "seller", None) or {}).get("country") or "").upper() != "MX":
        return None
    if inspect(document, raiseerr=False) is None:  # a plain object (a preview, a test): no CFDI behind it
        return None
    session = object_session(document)
    if session is None or getattr(document, "id", None) is None:
        return None
    return session.scalar(select(Cfdi).where(Cfdi.document_id == document.id))


def fiscal_block(document) -> dict:
    row = _cfdi_of(document)
    if row is None:
        return {}
    if row.stamped_xml is None:
        if getattr(document, "state", "draft") != "draft":
            raise UserError(f"{document.display_number}: its CFDI is not stamped yet; the PDF is made once it is")
        return {}
    from satcfdi.cfdi import CFDI
    cfdi = CFDI.from_string(row.stamped_xml)
    tfd = cfdi["Complemento"]["TimbreFiscalDigital"]
    words = LABELS.get(document.language, LABELS["es"])
    rows = [(words["uuid"], tfd["UUID"]), (words["type"], str(cfdi["TipoDeComprobante"])),
            (words["certificate"], cfdi["NoCertificado"]), (words["sat_certificate"], tfd["NoCertificadoSAT"]),
            (words["stamped"], tfd["FechaTimbrado"].isoformat()), (words["pac"], tfd["RfcProvCertif"]),
            (words["use"], str(cfdi["Receptor"]["UsoCFDI"])),
            (words["method"], f"{cfdi.get('MetodoPago')} / {cfdi.get('FormaPago')}"),
            (words["regime"], str(cfdi["Emisor"]["RegimenFiscal"])), (words["place"], cfdi["LugarExpedicion"])]
    if tfd["RfcProvCertif"] == OFFLINE_PAC:
        rows.append((words["offline"], ""))
    blocks = [(words["sello"], _chunks(cfdi["Sello"])), (words["sello_sat"], _chunks(tfd["SelloSAT"])),
              (words["cadena"], _chunks(tfd.cadena_original()))]
    return {"regime_sections": [{"title": words["title"], "rows": rows, "blocks": blocks}]}


def verification_qr(document) -> dict | None:
    row = _cfdi_of(document)
    if row is None:  # no CFDI of this addon's (another seller, a plain object): einvoice's own rule
        return _fallback(document) if _fallback else None
    if row.stamped_xml is None:
        return None
    from urllib.parse import urlencode
    from satcfdi.cfdi import CFDI
    from satcfdi.transform.helpers import fmt_decimal
    cfdi = CFDI.from_string(row.stamped_xml)
    words = LABELS.get(document.language, LABELS["es"])
    # satcfdi's verifica_url leaves the seal's "+", "/" and "=" unescaped; a browser would read "+" as a space.
    query = urlencode({"id": cfdi["Complemento"]["TimbreFiscalDigital"]["UUID"], "re": cfdi["Emisor"]["Rfc"],
                       "rr": cfdi["Receptor"]["Rfc"], "tt": fmt_decimal(cfdi["Total"]), "fe": cfdi["Sello"][-8:]})
    return {"payload": f"{VERIFY_URL}?{query}", "caption": words["qr"]}


_fallback = None


def register() -> None:
    """Idempotent; einvoice's own MX builder stays the answer for documents without a CFDI here."""
    global _fallback
    from addons.einvoice.rendering import qr
    from addons.einvoice.rendering.pdf import register_context_extender
    register_context_extender(fiscal_block)
    current = qr.QR_BUILDERS.get("MX")
    if current is not verification_qr:
        _fallback = current
    qr.register_qr_builder("MX", verification_qr)

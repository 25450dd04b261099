"""Words of a printed document that depend on more than its language.

``labels.py`` holds the captions of one language. Three things also depend on
the regime or the party:

* the **title**: Korean law names the document of a VAT-exempt supply 계산서 and
  every other one 세금계산서 (a receipt stays 영수증), so a Korean title depends on
  whether the lines are exempt;
* the **tax id label** follows the party's country: a Vietnamese MST printed on a
  Korean document is not a 사업자등록번호;
* **units** are UN/ECE Recommendation 20 codes on the line (``C62``, ``KGM``) and
  words on paper ("pcs", "cái", "개"); a code without a word prints as itself.
"""
from __future__ import annotations

from core.taxid import EU

from .common import category_of, lines_of

# Titles of documents whose every line is exempt or outside the scope of VAT
# (UNCL 5305 E, O), where the language's tax law gives them another name.
EXEMPT_TITLES = {
    "ko": {"vat_invoice": "계산서", "sales_invoice": "계산서", "credit_note": "수정계산서(감액)",
           "adjustment_invoice": "수정계산서", "replacement_invoice": "대체 계산서"},
}
EXEMPT_CATEGORIES = frozenset({"E", "O"})

# Tax id label per language and the party's tax scheme (a country, or EU for an
# EU VAT number); "*" is the label of any other country.
TAX_ID_LABELS = {
    "en": {"KR": "Business reg. no.", "VN": "Tax code (MST)", "MX": "RFC", "CN": "Unified social credit code",
           "RU": "INN", "EU": "VAT no.", "*": "Tax ID"},
    "ko": {"KR": "사업자등록번호", "VN": "납세자번호(MST)", "MX": "납세자번호(RFC)", "CN": "통일사회신용코드",
           "RU": "납세자번호(INN)", "EU": "부가가치세 번호(VAT)", "*": "납세자번호"},
    "vi": {"KR": "Số đăng ký kinh doanh (BRN)", "VN": "Mã số thuế", "MX": "Mã số thuế (RFC)",
           "CN": "Mã tín dụng xã hội thống nhất", "RU": "Mã số thuế (INN)", "EU": "Mã số VAT", "*": "Mã số thuế"},
    "zh": {"KR": "营业登记号", "VN": "税号（MST）", "MX": "税号（RFC）", "CN": "纳税人识别号", "RU": "税号（INN）",
           "EU": "增值税号", "*": "税号"},
    "ru": {"KR": "Рег. номер (BRN)", "VN": "Налоговый код (MST)", "MX": "Налоговый номер (RFC)",
           "CN": "Единый код соц. кредита", "RU": "ИНН", "EU": "Номер плательщика НДС", "*": "Налоговый номер"},
    "es": {"KR": "Registro empresarial (BRN)", "VN": "Código fiscal (MST)", "MX": "RFC", "CN": "Código de crédito social",
           "RU": "INN", "EU": "NIF-IVA", "*": "Identificación fiscal"},
}

# UN/ECE Rec 20 code: its word in each language, in this order.
_UNIT_LANGUAGES = ("en", "ko", "vi", "zh", "ru", "es")
_UNITS = {
    "C62": ("pcs", "개", "cái", "个", "шт.", "pza"),          # one (a unit)
    "H87": ("pcs", "개", "chiếc", "件", "шт.", "pza"),        # piece
    "EA": ("each", "개", "cái", "个", "шт.", "ud."),
    "SET": ("sets", "세트", "bộ", "套", "компл.", "juegos"),
    "PR": ("pairs", "켤레", "đôi", "双", "пар", "pares"),
    "DZN": ("doz.", "다스", "tá", "打", "дюж.", "docenas"),
    "BX": ("boxes", "박스", "hộp", "盒", "кор.", "cajas"),
    "PK": ("packs", "팩", "gói", "包", "уп.", "paquetes"),
    "KGM": ("kg", "kg", "kg", "千克", "кг", "kg"),
    "GRM": ("g", "g", "g", "克", "г", "g"),
    "TNE": ("t", "톤", "tấn", "吨", "т", "t"),
    "MTR": ("m", "m", "m", "米", "м", "m"),
    "CMT": ("cm", "cm", "cm", "厘米", "см", "cm"),
    "MTK": ("m²", "m²", "m²", "平方米", "м²", "m²"),
    "MTQ": ("m³", "m³", "m³", "立方米", "м³", "m³"),
    "LTR": ("l", "L", "lít", "升", "л", "l"),
    "KWH": ("kWh", "kWh", "kWh", "千瓦时", "кВт·ч", "kWh"),
    "HUR": ("h", "시간", "giờ", "小时", "ч", "h"),
    "DAY": ("days", "일", "ngày", "天", "дн.", "días"),
    "MON": ("months", "개월", "tháng", "月", "мес.", "meses"),
}
UNIT_WORDS = {language: {code: words[i] for code, words in _UNITS.items()} for i, language in enumerate(_UNIT_LANGUAGES)}


def document_title(document, language: str, titles: dict) -> str:
    """The title of ``document`` in ``language``: ``titles[type]`` (the PDF's labels, the mail's
    type names), or the name the language's tax law gives a VAT-exempt supply's document."""
    exempt_titles = EXEMPT_TITLES.get(language, {})
    if document.type in exempt_titles and _all_exempt(document):
        return exempt_titles[document.type]
    return titles[document.type]


def _all_exempt(document) -> bool:
    lines = lines_of(document)
    return bool(lines) and all(category_of(line) in EXEMPT_CATEGORIES for line in lines)


def tax_id_label(country: str | None, language: str) -> str:
    """How ``language`` names the tax id of a party in ``country`` (KR 사업자등록번호, VN Mã số thuế...)."""
    country = (country or "").upper()
    scheme = "EU" if country in EU else country
    labels = TAX_ID_LABELS[language]
    return labels.get(scheme, labels["*"])


def unit_word(code: str | None, language: str) -> str:
    """The word for unit ``code`` in ``language`` ('C62' -> 'pcs' / '개' / 'cái'); the code when unknown."""
    code = (code or "").strip().upper()
    return UNIT_WORDS[language].get(code, code)

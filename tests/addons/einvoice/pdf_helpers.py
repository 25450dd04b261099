"""Plain documents with the e-invoice contract's attribute names, for renderer tests.

The renderers take any object shaped like ``addons.einvoice.models.Document``;
building them here keeps the PDF/UBL tests independent of the database.
Amounts are computed the way the documents service does (line net = qty x
price less discount, tax per line), so totals are consistent.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from core.money import quantize

SELLERS = {
    "VN": dict(legal_name="Công ty TNHH Thương mại Hà Nội", tax_id="0100109106", country="VN",
               address="Số 1 Phố Tràng Tiền", city="Hà Nội", postal_code="100000", phone="+84 24 3825 0000",
               email="ketoan@hanoi-trade.vn", bank_name="Vietcombank", bank_account="0011000123456", bic="BFTVVNVX"),
    "KR": dict(legal_name="주식회사 서울상사", tax_id="1048145064", country="KR", address="세종대로 110",
               city="서울", postal_code="04524", phone="+82 2 120", email="tax@seoul-trading.kr",
               bank_name="국민은행", bank_account="123-45-6789-012", bic="CZNBKRSE"),
    "DE": dict(legal_name="Muster Handel GmbH", tax_id="DE136695976", country="DE", address="Hauptstraße 1",
               city="Berlin", postal_code="10115", phone="+49 30 123456", email="rechnung@muster.de",
               bank_name="Deutsche Bank", bank_account="DE89370400440532013000", bic="DEUTDEFF"),
    "MX": dict(legal_name="Comercializadora del Valle SA de CV", tax_id="EKU9003173C9", country="MX",
               address="Av. Reforma 100", city="Ciudad de México", postal_code="06600", phone="+52 55 1234 5678",
               email="facturas@delvalle.mx", bank_name="BBVA", bank_account="012180001234567897", bic="BCMRMXMM"),
}

BUYERS = {
    "ko": dict(kind="company", name="주식회사 한빛전자", tax_id="2208162517", country="KR", address="테헤란로 152",
               city="서울 강남구", postal_code="06236", email="buyer@hanbit.kr", phone="+82 2 555 0000"),
    "vi": dict(kind="company", name="Công ty Cổ phần Phần mềm Đông Á", tax_id="0312345678", country="VN",
               address="12 Nguyễn Huệ, Quận 1", city="Thành phố Hồ Chí Minh", postal_code="700000",
               email="muahang@donga.vn", phone="+84 28 3822 0000"),
    "zh": dict(kind="company", name="上海华东贸易有限公司", tax_id="91310000MA1FL8XQ3X", country="CN",
               address="浦东新区世纪大道100号", city="上海", postal_code="200120", email="caigou@huadong.cn",
               phone="+86 21 5888 0000"),
    "ru": dict(kind="company", name="ООО «Северная звезда»", tax_id="7707083893", country="RU",
               address="ул. Тверская, д. 7", city="Москва", postal_code="125009", email="zakupki@zvezda.ru",
               phone="+7 495 123 4567"),
    "es": dict(kind="company", name="Distribuidora Peña Nieto SA de CV", tax_id="XAXX010101000", country="MX",
               address="Calle Niños Héroes 12", city="Guadalajara", postal_code="44100",
               email="compras@pena.mx", phone="+52 33 1234 5678"),
    "en": dict(kind="company", name="Acme Trading B.V.", tax_id="NL004495445B01", country="NL",
               address="Keizersgracht 1", city="Amsterdam", postal_code="1015 CJ", email="ap@acme.nl",
               phone="+31 20 123 4567"),
}

DESCRIPTIONS = {
    "ko": ["노트북 컴퓨터 15인치", "무선 마우스", "설치 및 교육 서비스"],
    "vi": ["Máy tính xách tay 15 inch", "Chuột không dây", "Dịch vụ cài đặt và đào tạo"],
    "zh": ["笔记本电脑15英寸", "无线鼠标", "安装和培训服务"],
    "ru": ["Ноутбук 15 дюймов", "Беспроводная мышь", "Услуги установки и обучения"],
    "es": ["Computadora portátil 15 pulgadas", "Ratón inalámbrico", "Servicio de instalación y capacitación"],
    "en": ["Laptop computer 15 inch", "Wireless mouse", "Installation and training service"],
}

CURRENCY = {"ko": "KRW", "vi": "VND", "zh": "CNY", "ru": "RUB", "es": "MXN", "en": "EUR"}
SELLER_OF = {"ko": "KR", "vi": "VN", "zh": "VN", "ru": "DE", "es": "MX", "en": "DE"}


def make_line(position, description, quantity, unit_price, tax_rate, currency, *, discount_percent=Decimal(0),
              tax_category=None, unit="C62", sku=None):
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    gross = quantity * unit_price
    net = quantize(gross - gross * Decimal(discount_percent) / 100, currency)
    rate = None if tax_rate is None else Decimal(tax_rate)
    category = tax_category or ("E" if rate is None else ("Z" if rate == 0 else "S"))
    tax = quantize(net * rate, currency) if rate is not None else quantize(0, currency)
    return SimpleNamespace(position=position, description=description, quantity=quantity, unit=unit,
                           unit_price=unit_price, discount_percent=Decimal(discount_percent), tax_rate=rate,
                           tax_category=category, net_amount=net, tax_amount=tax, sku=sku)


def make_document(language="en", *, type="vat_invoice", lines=None, seller=None, buyer=None, currency=None,
                  number=123, line_count=None, **overrides):
    """A document in ``language`` with consistent totals; ``line_count`` repeats the sample lines."""
    currency = currency or CURRENCY[language]
    seller = dict(seller or SELLERS[SELLER_OF[language]])
    buyer = dict(buyer or BUYERS[language])
    if lines is None:
        names = DESCRIPTIONS[language]
        prices = {"KRW": ["1250000", "35000", "200000"], "VND": ["18500000", "450000", "2000000"]}.get(
            currency, ["899.00", "24.50", "150.00"])
        rates = ["0.10", "0.10", "0.10"] if currency in ("KRW", "VND") else ["0.20", "0.20", "0.20"]
        if currency == "EUR":
            rates = ["0.19", "0.07", "0.19"]
        if currency == "MXN":
            rates = ["0.16", "0.16", "0.16"]
        count = line_count or 3
        lines = [make_line(i + 1, names[i % 3] + (f" #{i + 1}" if line_count else ""), 1 + i % 4,
                           prices[i % 3], rates[i % 3], currency, discount_percent=Decimal(5) if i % 3 == 1 else 0)
                 for i in range(count)]
    subtotal = quantize(sum((line.net_amount for line in lines), Decimal(0)), currency)
    tax_total = quantize(sum((line.tax_amount for line in lines), Decimal(0)), currency)
    doc = SimpleNamespace(
        id=1, type=type, state="issued", order_id=None, corrects_id=None, corrects=None, correction_reason=None,
        buyer_agreement_ref=None, buyer_agreement_date=None, series="INV", year=2026, number=number,
        display_number=f"INV-2026-{number:06d}" if number is not None else None,
        issue_date=date(2026, 3, 14), due_date=date(2026, 4, 13), payment_terms="Net 30 days",
        early_discount_percent=Decimal(2), early_discount_days=10, customer_po="PO-4711", currency=currency,
        exchange_rate=Decimal(1), language=language, seller=seller, buyer=buyer, payment_method="bank_transfer",
        notes="", subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total, rounding="line",
        pdf=None, xml=None, lines=lines,
    )
    for key, value in overrides.items():
        setattr(doc, key, value)
    return doc


def pdf_text(pdf: bytes) -> str:
    """All text of a PDF, NFC-normalised as a reader's copy-paste would be compared."""
    import io
    import unicodedata

    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() or "" for page in reader.pages))


def page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(pdf)).pages)

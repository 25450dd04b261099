"""What an accountant checks on a printed invoice: exact unit prices and rates, amounts that
never wrap, PDF/A-3b with the UBL inside for EU sellers, and titles, tax id labels, units and
payment terms worded per regime and language (issue #8, items 9-11)."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader

from addons.einvoice.rendering.columns import line_columns
from addons.einvoice.rendering.formatting import DocumentFormat
from addons.einvoice.rendering.labels import LABELS
from addons.einvoice.rendering.pdf import render_document_pdf
from addons.einvoice.rendering.ubl import build_ubl
from addons.einvoice.rendering.wording import TAX_ID_LABELS, UNIT_WORDS
from addons.einvoice.services.sending import mail_context
from tests.addons.einvoice.pdf_helpers import BUYERS, SELLERS, make_document, make_line, pdf_text

XMP = {"pdfaid": "http://www.aiim.org/pdfa/ns/id/"}


def one_line(text: str, value: str) -> bool:
    """``value`` is printed on one line of the page (not broken inside its cell)."""
    value = value.replace("\xa0", " ")
    return any(value in line.replace("\xa0", " ") for line in text.splitlines())


# ------------------------------------------------------------------ item 9: precision and layout

def test_unit_prices_keep_their_decimals_so_quantity_times_price_is_the_line_amount():
    lines = [make_line(1, "Cable", 8, "0.125", "0.19", "EUR", unit="MTR"),
             make_line(2, "Screw", 3, "0.0333", "0.19", "EUR")]
    text = pdf_text(render_document_pdf(make_document("en", lines=lines)))  # en_NL: € 1.234,50
    assert one_line(text, "€ 0,125") and one_line(text, "€ 1,00")  # 8 × 0.125
    assert one_line(text, "€ 0,0333") and one_line(text, "€ 0,10")  # 3 × 0.0333 = 0.0999
    assert "€ 0,13" not in text and "€ 0,03\n" not in text


def test_tax_and_discount_rates_print_exactly():
    lines = [make_line(1, "Service", 2, "100.00", "0.08875", "USD", discount_percent=Decimal("12.5"))]
    text = pdf_text(render_document_pdf(make_document("en", lines=lines, currency="USD")))
    assert text.count("8,875%") == 2  # the line and the tax breakdown (en_NL writes a decimal comma)
    assert "12,5%" in text and "8,88%" not in text


RIGHT_EDGE = 595.2756 - 42.5197  # A4 less the right margin of base.html


def placed_runs(pdf: bytes, language: str) -> list[tuple[str, float, float, float]]:
    """(text, left, right, baseline) of every text run on the first page."""
    from core.pdf import text_width
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            left, baseline = cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]
            runs.append((text.strip(), left, left + text_width(text.strip(), language, size), round(baseline, 1)))
    _reader(pdf).pages[0].extract_text(visitor_text=visit)
    return runs


@pytest.mark.parametrize("language, currency, price", [
    ("vi", "VND", "9876543210"), ("ko", "KRW", "9876543210"), ("en", "EUR", "12345678.90"),
    ("es", "MXN", "12345678.90"), ("ru", "RUB", "23456789.10"), ("zh", "CNY", "12345678.25")])
def test_amounts_of_ten_million_and_more_never_wrap_or_spill_out_of_their_cell(language, currency, price):
    lines = [make_line(1, "Industrial equipment with a long description that wraps", 3, price, "0.10", currency),
             make_line(2, "Service", "12.5", "18500000", "0.10", currency, discount_percent=Decimal("2.5"))]
    doc = make_document(language, lines=lines, currency=currency)
    fmt = DocumentFormat.of(doc)
    runs = placed_runs(render_document_pdf(doc), language)
    printed = {text.replace("\xa0", " ") for text, *_ in runs}
    for amount in [doc.total, doc.subtotal, Decimal(price)] + [line.net_amount for line in lines]:
        assert amount >= 10_000_000
        assert fmt.money(amount).replace("\xa0", " ") in printed  # whole, in one run: not wrapped
    rows: dict[float, list] = {}
    for run in runs:
        rows.setdefault(run[3], []).append(run)
    for row in rows.values():
        row.sort(key=lambda run: run[1])
        for (text, _, right, _), (after, left, _, _) in zip(row, row[1:]):
            if any(c.isdigit() for c in text + after):
                assert left - right >= 4, f"{text!r} runs into {after!r}"  # 3 pt padding each side
        assert row[-1][2] <= RIGHT_EDGE + 0.5, row[-1]


def test_column_widths_fit_the_widest_value_and_fill_the_table():
    rows = [{"position": "1", "quantity": "1,234.5", "unit": "pcs", "unit_price": "₫1,234,567,890.5",
             "discount": "", "tax_rate": "10%", "net_amount": "₫1,524,691,344,768"}]
    small = line_columns(rows[:0], LABELS["en"], "en")
    wide = line_columns(rows, LABELS["en"], "en")
    assert sum(wide["widths"].values()) == pytest.approx(100, abs=0.05)
    assert wide["widths"]["net_amount"] > small["widths"]["net_amount"]
    assert wide["widths"]["description"] < small["widths"]["description"]
    huge = line_columns([dict(rows[0], unit_price="₫" + "9" * 30, net_amount="₫" + "9" * 30)], LABELS["en"], "en")
    assert huge["font_size"] < wide["font_size"] == 8.5  # shrinks rather than wraps
    assert huge["widths"]["description"] >= 24


# ------------------------------------------------------------------ item 10: PDF/A-3b, UBL inside

def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


@pytest.mark.parametrize("language", ["en", "ko", "vi", "zh", "ru", "es"])
def test_every_font_is_embedded_and_the_file_declares_pdfa_3b(language):
    pdf = render_document_pdf(make_document(language))
    assert b"/Helvetica" not in pdf and b"/Type1" not in pdf  # no standard-14 font anywhere in the file
    reader = _reader(pdf)
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
            assert "Helvetica" not in str(font["/BaseFont"])
    xmp = etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    assert xmp.xpath("//pdfaid:part/text()", namespaces=XMP) == ["3"]
    assert xmp.xpath("//pdfaid:conformance/text()", namespaces=XMP) == ["B"]
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_an_eu_sellers_invoice_carries_its_ubl_as_the_alternative_representation():
    doc = make_document("en")  # a German seller
    reader = _reader(render_document_pdf(doc))
    assert reader.attachments == {"INV-2026-000123.xml": [build_ubl(doc)]}
    (spec,) = [ref.get_object() for ref in reader.trailer["/Root"]["/AF"]]
    assert spec["/AFRelationship"] == "/Alternative"
    assert reader.metadata["/Title"] == "VAT invoice INV-2026-000123"


def test_the_stored_xml_is_the_one_attached_and_drafts_or_non_eu_sellers_attach_nothing():
    stored = build_ubl(make_document("en")) + b"<!-- as issued -->"
    doc = make_document("en", xml=stored)
    assert _reader(render_document_pdf(doc)).attachments["INV-2026-000123.xml"] == [stored]
    assert _reader(render_document_pdf(make_document("en", number=None, state="draft"))).attachments == {}
    assert _reader(render_document_pdf(make_document("vi"))).attachments == {}  # Vietnamese seller


def test_issuing_a_german_invoice_stores_a_pdf_whose_attachment_is_the_stored_xml(shop_factory):
    buyer = dict(BUYERS["en"], language="en")
    shop = shop_factory(country="DE")
    doc_id = shop.issue(shop.draft("vat_invoice", buyer=buyer, currency="EUR", lines=[
        {"description": "Beratung", "quantity": "3", "unit_price": "120.125", "tax_rate": "0.19", "unit": "HUR"}]),
        render_pdf=True)
    doc = shop.doc(doc_id)
    assert doc.xml and _reader(doc.pdf).attachments == {f"{doc.display_number}.xml": [doc.xml]}
    assert one_line(pdf_text(doc.pdf), "€ 120,125")


# ------------------------------------------------------------------ item 11: wording per regime

def _exempt_line(position, currency="KRW"):
    return make_line(position, "도서 (면세)", 2, "15000", None, currency)


def test_korean_titles_follow_the_vat_of_the_supply():
    taxed = pdf_text(render_document_pdf(make_document("ko", type="sales_invoice")))
    assert "세금계산서" in taxed and "\n계산서" not in "\n" + taxed
    exempt = pdf_text(render_document_pdf(make_document("ko", type="sales_invoice", lines=[_exempt_line(1)])))
    assert exempt.splitlines()[1] == "계산서"  # after the page number of the footer
    assert "세금계산서" not in exempt
    receipt = pdf_text(render_document_pdf(make_document("ko", type="receipt")))
    assert "영수증" in receipt
    credit = make_document("ko", type="credit_note", lines=[_exempt_line(1)], corrects=make_document("ko"))
    assert "수정계산서(감액)" in pdf_text(render_document_pdf(credit))


def test_korean_mail_names_the_document_as_its_pdf_does():
    taxed = make_document("ko", type="sales_invoice", buyer_name="한빛전자")
    exempt = make_document("ko", type="sales_invoice", buyer_name="한빛전자", lines=[_exempt_line(1)])
    assert mail_context(taxed, "https://x")["type_label"] == "세금계산서"
    assert mail_context(exempt, "https://x")["type_label"] == "계산서"


def test_tax_id_labels_follow_each_partys_country():
    korean_doc_for_vietnam = make_document("ko", buyer=dict(BUYERS["vi"]))
    text = pdf_text(render_document_pdf(korean_doc_for_vietnam))
    assert "사업자등록번호: 1048145064" in text  # the Korean seller
    assert "납세자번호(MST): 0312345678" in text and "사업자등록번호: 0312345678" not in text
    vietnamese_doc_for_korea = make_document("vi", buyer=dict(BUYERS["ko"]))
    text = pdf_text(render_document_pdf(vietnamese_doc_for_korea))
    assert "Mã số thuế: 0100109106" in text and "Số đăng ký kinh doanh (BRN): 2208162517" in text
    eu = pdf_text(render_document_pdf(make_document("en")))
    assert "VAT no.: DE136695976" in eu and "VAT no.: NL004495445B01" in eu
    assert all(set(labels) == set(TAX_ID_LABELS["en"]) for labels in TAX_ID_LABELS.values())


@pytest.mark.parametrize("language, word", [("en", "pcs"), ("vi", "cái"), ("ko", "개"), ("zh", "个"),
                                            ("ru", "шт."), ("es", "pza")])
def test_units_print_as_words_of_the_document_language(language, word):
    currency = {"ko": "KRW", "vi": "VND"}.get(language, "EUR")
    lines = [make_line(1, "Widget", 2, "1000", "0.10", currency, unit="C62"),
             make_line(2, "Gadget", 1, "1000", "0.10", currency, unit="XQZ")]
    text = pdf_text(render_document_pdf(make_document(language, lines=lines, currency=currency)))
    assert one_line(text, word) and "C62" not in text
    assert "XQZ" in text  # a code without a word prints as itself
    assert set(UNIT_WORDS[language]) == set(UNIT_WORDS["en"])


@pytest.mark.parametrize("language", ["en", "ko", "vi", "zh", "ru", "es"])
def test_payment_terms_print_as_words_never_as_the_notation(language):
    from addons.sales.terms import Term, describe  # its wording per language is pinned in the sales tests
    doc = make_document(language, payment_terms="2/10 net 30", early_discount_percent=None,
                        early_discount_days=None)
    text = " ".join(pdf_text(render_document_pdf(doc)).split())
    assert " ".join(describe(Term(30, Decimal(2), 10), language).split()) in text
    assert "2/10" not in text and "net 30" not in text


def test_a_document_from_an_order_carries_the_terms_notation(shop):
    from addons.einvoice.services.orders import create_from_order
    from addons.sales.services import confirm_order, ensure_default_terms
    with shop.tx() as s:
        ensure_default_terms(s)
    order_id = shop.order(qty=("1",), payment_term_code="2_10_NET30")
    with shop.tx() as s:
        confirm_order(s, order_id)
        doc = create_from_order(s, order_id, "vat_invoice")
        assert doc.payment_terms == "2/10 net 30"
        assert (doc.early_discount_percent, doc.early_discount_days) == (Decimal(2), 10)

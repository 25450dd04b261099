"""E-invoice PDFs: languages and fonts (checked by extracting the text), CJK wrapping, long
documents, QR codes per regime, per-business and per-addon overrides, the time limit."""
from __future__ import annotations

import time
import unicodedata
from decimal import Decimal
from types import SimpleNamespace

import pytest

from addons.einvoice.rendering import pdf as einvoice_pdf
from addons.einvoice.rendering.labels import LABELS, labels_for
from addons.einvoice.rendering.pdf import register_template_dir, render_document_pdf
from addons.einvoice.rendering.qr import qr_payload
from core.errors import UserError
from core.pdf import render_pdf
from tests.addons.einvoice.pdf_helpers import (BUYERS, DESCRIPTIONS, SELLERS, make_document, page_count,
                                               pdf_text)


def fonts_of(pdf: bytes) -> set[str]:
    import io

    from pypdf import PdfReader
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            names.add((str(font["/BaseFont"]).lstrip("/").split("+")[-1], embedded))
    return names


@pytest.mark.parametrize("language,font", [("ko", "NanumGothic"), ("vi", "DejaVuSans"),
                                           ("zh", "WenQuanYiMicroHei"), ("ru", "DejaVuSans")])
def test_invoice_text_in_the_buyers_language(language, font):
    doc = make_document(language)
    pdf = render_document_pdf(doc)
    text = pdf_text(pdf)
    labels = labels_for(language)
    assert BUYERS[language]["name"] in text
    for description in DESCRIPTIONS[language]:
        assert description in text
    for key in (doc.type, "buyer", "seller", "total", "tax_breakdown", "description"):
        assert labels[key] in " ".join(text.split()), key  # a long caption may wrap in its cell
    assert text == unicodedata.normalize("NFC", text)
    used = fonts_of(pdf)
    assert (font, True) in {(name.split("-")[0], embedded) for name, embedded in used}
    # every font that draws text is an embedded TrueType font
    assert all(embedded for name, embedded in used)


def test_decomposed_input_prints_as_nfc():
    nfd_name = unicodedata.normalize("NFD", "Công ty Cổ phần Điện tử Việt")
    buyer = dict(BUYERS["vi"], name=nfd_name)
    text = pdf_text(render_document_pdf(make_document("vi", buyer=buyer)))
    assert unicodedata.normalize("NFC", nfd_name) in text


def test_amounts_taxes_and_early_discount_are_printed_for_the_locale():
    doc = make_document("vi")
    text = pdf_text(render_document_pdf(doc))
    assert "27.890.500 ₫" in text  # VND: no decimals, vi_VN grouping
    assert "Chiết khấu 2% nếu thanh toán trong 10 ngày" in text
    assert "2.535.500 ₫" in text  # the 10 % tax line of the breakdown


def test_cjk_prose_wraps_inside_the_page():
    long_note = "本发票所列货物已按合同约定全部交付，买方应在收到发票后三十日内付清全部款项，逾期按日万分之五计收滞纳金。" * 4
    text = pdf_text(render_document_pdf(make_document("zh", notes=long_note)))
    flat = text.replace("\n", "")
    assert long_note in flat
    note_lines = [line for line in text.splitlines() if line and line in long_note]
    assert len(note_lines) >= 3  # wrapped, not one line running off the page
    assert max(len(line) for line in note_lines) <= 60


def test_korean_without_spaces_wraps_too():
    long_word = "가나다라마바사아자차카타파하" * 12
    text = pdf_text(render_document_pdf(make_document("ko", notes=long_word)))
    assert long_word in text.replace("\n", "")
    assert long_word not in text  # broken across lines


def test_ten_page_invoice_repeats_headers_and_numbers_pages():
    doc = make_document("en", line_count=420)
    pdf = render_document_pdf(doc, time_limit=240)  # xhtml2pdf needs ~30 ms a table row
    pages = page_count(pdf)
    assert pages >= 10
    text = pdf_text(pdf)
    assert "Wireless mouse #419" in text
    assert text.count("Unit price") >= pages  # table header on every page
    assert f"Page {pages}" in text and "Page 1" in text
    assert "€" in text and "1.655,12" not in text  # totals of 330 lines, not of 3


def test_every_document_type_renders_with_its_title():
    original = make_document("es", number=7)
    for doc_type in ("vat_invoice", "sales_invoice", "credit_note", "adjustment_invoice",
                     "replacement_invoice", "receipt"):
        doc = make_document("es", type=doc_type, corrects=original, correction_reason="Precio equivocado")
        text = pdf_text(render_document_pdf(doc))
        assert LABELS["es"][doc_type] in text
        if doc_type in ("credit_note", "adjustment_invoice", "replacement_invoice"):
            assert "INV-2026-000007" in text and "Precio equivocado" in text


def test_draft_is_marked():
    text = pdf_text(render_document_pdf(make_document("en", number=None, state="draft")))
    assert LABELS["en"]["draft"] in text


def images_of(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def accepted(authority_code=None, authority_uuid=None):
    """A document's accepted submission: where the authority's codes live."""
    return SimpleNamespace(state="accepted", authority_code=authority_code, authority_uuid=authority_uuid)


def test_qr_code_where_the_regime_wants_one():
    vn = make_document("vi", submissions=[SimpleNamespace(state="rejected", authority_code="OLD"),
                                          accepted(authority_code="K7X2-99A")])
    assert qr_payload(vn)["payload"] == "0100109106|INV|123|20260314|27890500|K7X2-99A"
    assert images_of(render_document_pdf(vn)) == 1
    assert "Mã tra cứu: K7X2-99A" in pdf_text(render_document_pdf(vn))

    kr = make_document("ko")
    assert qr_payload(kr) is None
    assert images_of(render_document_pdf(kr)) == 0

    mx_unstamped = make_document("es")
    assert qr_payload(mx_unstamped) is None
    mx = make_document("es", submissions=[accepted(authority_uuid="5803EB8D-81CD-4557-8719-26632D2FA434",
                                                   authority_code="abc" * 20 + "rH8/bw==")])
    url = qr_payload(mx)["payload"]
    assert url.startswith("https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=5803EB8D")
    assert "re=EKU9003173C9" in url and "rr=XAXX010101000" in url and "fe=rH8%2Fbw%3D%3D" in url
    assert f"tt={mx.total:.2f}" in url
    assert images_of(render_document_pdf(mx)) == 1


def _rgb_operator(hex_colour: str) -> bytes:
    """How ReportLab writes an RGB colour in a content stream: '.541176 .082353 .219608'."""
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return " ".join(f"{v:.6f}".rstrip("0").lstrip("0") or "0" for v in (r, g, b)).encode()


def content_streams(pdf: bytes) -> bytes:
    import io

    from pypdf import PdfReader
    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_business_style_footer_colours_and_logo():
    png = _tiny_png()
    style = {"footer_text": "Thank you — Muster Handel GmbH, HRB 12345", "primary_color": "#8a1538",
             "accent_color": "#fce8ee", "logo": png}
    pdf = render_document_pdf(make_document("en"), business_style=style)
    assert "Thank you — Muster Handel GmbH, HRB 12345" in pdf_text(pdf)
    streams = content_streams(pdf)
    assert _rgb_operator("#8a1538") + b" rg" in streams  # headings drawn in the business colour
    assert images_of(pdf) == 1  # the logo
    plain = render_document_pdf(make_document("en"))
    assert _rgb_operator("#8a1538") not in content_streams(plain)


@pytest.mark.parametrize("bad", ["red; background: url(http://127.0.0.1/x)", "expression(alert(1))",
                                 "[ [ open('/tmp/x','w') ] ] and 'red'", "#12345g"])
def test_business_colours_must_be_colours(bad):
    with pytest.raises(UserError, match="not a colour"):
        render_document_pdf(make_document("en"), business_style={"primary_color": bad})


def test_business_style_refuses_unknown_keys_and_non_images():
    with pytest.raises(UserError, match="unknown key"):
        render_document_pdf(make_document("en"), business_style={"colour": "#000000"})
    with pytest.raises(UserError, match="PNG or JPEG"):
        render_document_pdf(make_document("en"), business_style={"logo": b"<svg onload=alert(1)>"})


def test_template_override_order_business_then_addon_then_default(tmp_path, monkeypatch):
    monkeypatch.setattr(einvoice_pdf, "_addon_template_dirs", [])
    addon_dir = tmp_path / "addon" / "einvoice" / "pdf"
    business_dir = tmp_path / "business" / "einvoice" / "pdf"
    addon_dir.mkdir(parents=True)
    business_dir.mkdir(parents=True)
    (addon_dir / "vat_invoice.html").write_text(
        '{% extends "einvoice/pdf/base.html" %}{% block footer %}Addon footer {{ number }}{% endblock %}')
    (addon_dir / "receipt.html").write_text(
        '{% extends "einvoice/pdf/base.html" %}{% block title %}Addon receipt{% endblock %}')
    (business_dir / "vat_invoice.html").write_text(
        '{% extends "einvoice/pdf/base.html" %}{% block title %}Business title{% endblock %}')
    register_template_dir(tmp_path / "addon")

    text = pdf_text(render_document_pdf(make_document("en")))
    assert "Addon footer INV-2026-000123" in text and "VAT invoice" in text
    text = pdf_text(render_document_pdf(make_document("en"),
                                        business_style={"template_dirs": [str(tmp_path / "business")]}))
    assert "Business title" in text and "Addon footer" not in text
    assert "Addon receipt" in pdf_text(render_document_pdf(make_document("en", type="receipt")))
    with pytest.raises(UserError):
        register_template_dir(tmp_path / "missing")


def test_unknown_language_and_type_are_user_errors():
    with pytest.raises(UserError, match="language"):
        doc = make_document("en")
        doc.language = "fr"
        render_document_pdf(doc)
    with pytest.raises(UserError, match="type"):
        render_document_pdf(make_document("en", type="pro_forma"))


def test_labels_complete_in_every_language():
    keys = set(LABELS["en"])
    for language, labels in LABELS.items():
        assert set(labels) == keys, language
        assert all(value.strip() for value in labels.values()), language


def test_render_time_limit(tmp_path):
    (tmp_path / "slow.html").write_text(
        "<html><body>{% for i in range(n) %}<table><tr><td>{{ i }} row</td><td>cell</td></tr></table>"
        "{% endfor %}</body></html>")
    started = time.monotonic()
    with pytest.raises(UserError, match="took longer|stopped"):
        render_pdf("slow.html", {"n": 200000}, search_paths=[tmp_path], time_limit=0.5)
    assert time.monotonic() - started < 5
    # the renderer is usable again afterwards (its render lock was released)
    pdf = render_pdf("slow.html", {"n": 3}, search_paths=[tmp_path], time_limit=20)
    assert "2 row" in pdf_text(pdf)
    with pytest.raises(UserError):
        render_pdf("slow.html", {"n": 1}, search_paths=[tmp_path], time_limit=0)
    with pytest.raises(UserError, match="not found"):
        render_pdf("missing.html", {}, search_paths=[tmp_path])


def test_default_time_limit_comes_from_the_runtime_config(tmp_path, monkeypatch):
    import core.runtime
    from types import SimpleNamespace
    (tmp_path / "slow.html").write_text("<html><body>{% for i in range(n) %}<p>{{ i }}</p>{% endfor %}</body></html>")
    monkeypatch.setattr(core.runtime, "_current", SimpleNamespace(config={"PDF_TIME_LIMIT": 1}))
    started = time.monotonic()
    with pytest.raises(UserError, match="1 s|1 seconds"):
        render_pdf("slow.html", {"n": 300000}, search_paths=[tmp_path])
    assert time.monotonic() - started < 6


def test_totals_are_the_documents_not_recomputed():
    doc = make_document("en")
    doc.total = doc.total + Decimal("0.01")  # a "total" rounding regime may differ from the sum
    assert "1.655,13" in pdf_text(render_document_pdf(doc))


def _tiny_png() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 60)).save(out, format="PNG")
    return out.getvalue()

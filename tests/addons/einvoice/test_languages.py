"""Documents, mails and screens in the reader's language.

Documents and mails go out in the buyer's language: the partner's when known, else
the language of the buyer's country, else the business's. Screens follow the
clerk's language through the einvoice catalog. PDF text is read back with pypdf.
"""
from __future__ import annotations

import email
import email.policy
import re
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from addons.einvoice.rendering.labels import LABELS
from addons.einvoice.rendering.mail_text import TEXT
from addons.einvoice.rendering.pdf import render_document_pdf
from addons.einvoice.services import documents, orders, sending
from addons.einvoice.services.issue import issue_document
from core import formatting
from core.i18n import LANGUAGES, buyer_language
from core.mail import render
from core.models import MailMessage
from tests.addons.einvoice.conftest import SELLER, Shop
from tests.addons.einvoice.pdf_helpers import make_document, pdf_text
from tests.web.conftest import Client, app, client, client_for, make_user  # noqa: F401  fixtures

ADDON = Path(__file__).resolve().parents[3] / "addons" / "einvoice"
WALK_IN = dict(kind="person", name="Nguyễn Văn An", country="VN", email="an.nguyen@example.vn")


@pytest.fixture
def korean_shop(runtime, make_business):
    """A Korean business whose default language is Korean."""
    business = make_business(country="KR", addons=["einvoice"], languages=["ko"], **SELLER["KR"])
    return Shop(business, runtime)


def test_buyer_language_rule():
    assert buyer_language("ru", "VN", "ko") == "ru"          # the buyer's own language wins
    assert buyer_language("vi_VN", None, "en") == "vi"
    assert buyer_language(None, "VN", "ko") == "vi"          # else their country's
    assert buyer_language("", "mx", "ko") == "es"
    assert buyer_language(None, "KZ", "en") == "ru"
    assert buyer_language(None, "CN", "en") == "zh"
    assert buyer_language(None, "DE", "ko") == "ko"          # else the business's
    assert buyer_language("xx", None, "fr") == "en"          # nothing usable: English


def test_walk_in_buyer_gets_the_language_of_their_country(korean_shop):
    with korean_shop.tx() as s:
        walk_in = documents.create_document(s, type="receipt", buyer=WALK_IN, lines=[
            {"description": "Trà xanh", "quantity": "1", "unit_price": "12000", "tax_rate": "0.10"}])
        german = documents.create_document(s, type="receipt", buyer=dict(WALK_IN, country="DE"), lines=[
            {"description": "Tee", "quantity": "1", "unit_price": "12000", "tax_rate": "0.10"}])
        told = documents.create_document(s, type="receipt", buyer=dict(WALK_IN, language="en"), lines=[
            {"description": "Tea", "quantity": "1", "unit_price": "12000", "tax_rate": "0.10"}])
        chosen = documents.create_document(s, type="receipt", buyer=WALK_IN, language="zh", lines=[
            {"description": "绿茶", "quantity": "1", "unit_price": "12000", "tax_rate": "0.10"}])
        assert (walk_in.language, german.language, told.language, chosen.language) == ("vi", "ko", "en", "zh")


def test_order_without_customer_is_invoiced_in_the_language_of_its_destination(korean_shop):
    from addons.catalog.services import create_product
    from addons.sales.models import Order
    from addons.sales.services import create_order
    with korean_shop.tx() as s:
        variant = create_product(s, sku="LANG-1", name="Trà", sale_price="12000").variants[0].id
        order = create_order(s, channel="counter", lines=[{"variant_id": variant, "qty": Decimal(1)}],
                             shipping_fee="3000")
        order_id = order.id
        s.get(Order, order_id).shipping_address = {"name": "Khách", "country": "VN"}
    with korean_shop.tx() as s:
        doc = orders.create_from_order(s, order_id, "receipt")
        assert doc.language == "vi" and doc.buyer_country == "VN"
        assert doc.buyer_name == "Khách lẻ" and doc.lines[-1].description == "Phí vận chuyển"
        assert doc.notes.startswith("Đơn hàng ")


def test_vietnamese_walk_in_on_a_korean_business_gets_vietnamese_pdf_and_mail(korean_shop, runtime, monkeypatch,
                                                                               tmp_path, run_jobs):
    monkeypatch.setitem(runtime.config.values, "SMTP_URL", "")
    monkeypatch.setitem(runtime.config.values, "INSTANCE_PATH", str(tmp_path))
    with korean_shop.tx() as s:
        doc = documents.create_document(s, type="sales_invoice", buyer=WALK_IN, lines=[
            {"description": "Trà xanh 500 g", "quantity": "2", "unit_price": "12000", "tax_rate": "0.10"}])
        doc_id = doc.id
        issue_document(s, doc_id, issue_date=date(2026, 7, 1), render_pdf=True, submit=False)
    with korean_shop.tx() as s:
        sending.send_document(s, doc_id)
    doc = korean_shop.doc(doc_id)
    text = " ".join(pdf_text(doc.pdf).split())
    vi = LABELS["vi"]
    for key in ("sales_invoice", "seller", "buyer", "description", "quantity", "unit_price", "total"):
        assert vi[key] in text, key
    for key in ("seller", "buyer", "description", "unit_price", "issue_date"):
        assert LABELS["en"][key] not in text and LABELS["ko"][key] not in text, key
    run_jobs(korean_shop.id, actor_prefix="core.send_mail")
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == WALK_IN["email"]
    subject = f"Hóa đơn bán hàng {doc.display_number} từ 주식회사 서울상사"
    with korean_shop.session() as s:
        assert s.scalar(select(MailMessage.subject)) == subject
    # (RFC 2047 drops the space between two encoded words, so the parsed header is compared without spaces)
    assert message["Subject"].replace(" ", "") == subject.replace(" ", "")
    body = message.get_body(("plain",)).get_content()
    assert "Kính gửi Nguyễn Văn An," in body and "Vui lòng xác nhận đã nhận hóa đơn:" in body
    assert formatting.date_(date(2026, 7, 1), "vi_VN") in body  # the date as the buyer writes it
    html = message.get_body(("html",)).get_content()
    assert "Xác nhận đã nhận" in html
    for phrase in ("Dear", "please find attached", "Kind regards", "Please confirm"):
        assert phrase not in body and phrase not in html


def _english_phrases() -> set[str]:
    """Every English sentence fragment of the mail and the PDF captions, placeholders cut out."""
    texts = [value for key, value in TEXT["en"].items() if isinstance(value, str)] + list(TEXT["en"]["types"].values())
    return {part.strip(" ,.:") for text in texts for part in re.split(r"\{\w+\}", text) if len(part.strip(" ,.:")) > 3}


@pytest.mark.parametrize("language", ["zh", "ru", "es"])
def test_mail_in_zh_ru_es_has_no_english_template_text(runtime, language):
    doc = make_document(language, type="sales_invoice", buyer_name="Buyer", due_date=date(2026, 8, 1))
    subject, text, html = render(runtime.registry, sending.TEMPLATE,
                                 sending.mail_context(doc, "https://shop.example/einvoice/confirm/t"), language)
    for phrase in _english_phrases():
        for part in (subject, text, html):
            assert phrase not in part, (phrase, part)
    assert TEXT[language]["greeting"].format(buyer="Buyer") in text
    assert TEXT[language]["button"] in html


@pytest.mark.parametrize("language", ["zh", "ru", "es"])
def test_pdf_in_zh_ru_es_has_no_english_caption(language):
    doc = make_document(language, type="vat_invoice", customer_po="PO-9", notes="", due_date=date(2026, 8, 1))
    text = " ".join(pdf_text(render_document_pdf(doc)).split())
    own = set(LABELS[language].values())
    printed = " ".join(map(str, vars(doc).values()))  # the parties' own words ("Deutsche Bank") are theirs
    english = {value for key, value in LABELS["en"].items() if value not in own and len(value) > 3
               and value not in printed}
    leaks = [value for value in english if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)]
    assert leaks == []
    if language in ("zh", "ru"):  # no Latin word but the parties' own (a German seller) and codes
        latin = r"(?<![\w.@/-])[A-Za-z]{3,}(?![\w.@-])"
        theirs = set(re.findall(latin, printed))
        assert set(re.findall(latin, text)) - theirs <= {"BIC", "INV", "VAT", "MST", "INN", "RFC"}


def test_mail_wording_and_pdf_captions_exist_in_every_language():
    assert set(TEXT) == set(LABELS) == set(LANGUAGES)
    for language in LANGUAGES:
        assert set(TEXT[language]) == set(TEXT["en"]) and set(TEXT[language]["types"]) == set(TEXT["en"]["types"])
        assert set(LABELS[language]) == set(LABELS["en"])
        placeholders = {key: set(re.findall(r"\{\w+\}", value)) for key, value in TEXT["en"].items()
                        if isinstance(value, str)}
        assert {key: set(re.findall(r"\{\w+\}", TEXT[language][key])) for key in placeholders} == placeholders


def test_every_setting_label_and_help_is_in_the_catalog():
    from addons.einvoice.admin import SETTING_TEXTS
    manifest = tomllib.loads((ADDON / "addon.toml").read_text("utf-8"))
    wanted = {spec[key] for spec in manifest["settings"].values() for key in ("label", "help") if spec.get(key)}
    wanted |= {provider["label"] for provider in manifest.get("providers", [])}
    assert wanted == {str(text) for text in SETTING_TEXTS}


@pytest.mark.parametrize("language, words", [
    ("vi", ["Hóa đơn và biên lai", "Bản nháp mới", "Trạng thái", "Người mua", "Hóa đơn bán hàng", "Đã phát hành"]),
    ("ko", ["새 초안", "상태", "판매 계산서", "발행됨"]),
    ("zh", ["新建草稿", "状态", "销售发票", "已开具"]),
    ("ru", ["Новый черновик", "Статус", "Выставлен"]),
    ("es", ["Nuevo borrador", "Estado", "Factura de venta", "Emitido"]),
])
def test_document_screens_in_the_clerks_language(shop, make_user, client_for, language, words):
    doc_id = shop.draft()
    shop.issue(doc_id)
    c = client_for(make_user(shop.business))
    c.post("/language", {"locale": language})
    listing = c.get("/admin/einvoice_document/").get_data(as_text=True)
    detail = c.get(f"/admin/einvoice_document/details/?id={doc_id}").get_data(as_text=True)
    new = c.get("/admin/einvoice_document/draft/").get_data(as_text=True)
    for word in words:
        assert word in listing + detail, word
    assert "New draft" not in listing and "Buyer" not in new and "Create draft" not in new
    refused = c.post(f"/admin/einvoice_document/act/?id={doc_id}", {"act": "cancel", "reason": ""},
                     follow_redirects=True).get_data(as_text=True)
    assert "needs its reason" not in refused  # the service's error, translated on the screen


def test_confirm_page_speaks_the_buyers_language_whatever_the_browser(shop, runtime, app):  # noqa: F811
    doc_id = shop.draft()
    shop.issue(doc_id)
    with shop.tx() as s:
        delivery_id = sending.send_document(s, doc_id).id
    path = "/" + sending.confirm_url(runtime, shop.id, delivery_id).split("://", 1)[1].split("/", 1)[1]
    c = Client(app.test_client())
    page = c.get(path, headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "Xác nhận đã nhận" in page and 'lang="vi"' in page and "수령 확인" not in page
    done = c.post(path, {}).get_data(as_text=True)
    assert "Cảm ơn quý khách" in done
    with shop.session() as s:
        assert s.scalar(select(MailMessage.language)) == "vi"


def test_settings_screen_in_the_clerks_language(shop, make_user, client_for):
    c = client_for(make_user(shop.business))
    c.post("/language", {"locale": "vi"})
    page = c.get("/admin/core_addons/einvoice/settings").get_data(as_text=True)
    assert "Tự động phát hành khi đơn hàng được thanh toán" in page and "Làm tròn thuế" in page
    assert "Issue automatically when an order is paid" not in page


@pytest.mark.parametrize("language, title, screen", [
    ("ko", "전자계산서", "계산서 및 영수증"),
    ("ru", "Модуль «Электронные счета» не включён", "Счета и квитанции"),
    ("es", "El módulo «Facturación electrónica» no está activado", "Facturas y recibos"),
])
def test_disabled_addon_page_names_einvoice_in_the_clerks_language(make_business, make_user, client_for,
                                                                   language, title, screen):
    """The manifest's label ("E-invoicing") reaches the page through the einvoice catalog, which
    extracts it from addon.toml."""
    business = make_business(addons=["sales"])
    c = client_for(make_user(business))
    c.post("/language", {"locale": language})
    response = c.get("/admin/einvoice_document/")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and 'data-reason="addon-disabled"' in page
    assert title in page and screen in page
    assert "E-invoicing" not in page and "Invoices and receipts" not in page


def test_walk_in_typed_at_the_counter_of_a_korean_shop_is_invoiced_in_vietnamese(korean_shop):
    from addons.catalog.services import create_product
    from addons.partners.models import Partner
    from addons.sales.services.entry import create_order_from_entry
    with korean_shop.tx() as s:
        create_product(s, sku="LANG-2", name="Trà", sale_price="12000")
        order = create_order_from_entry(s, {"channel": "counter", "lines": [{"sku": "LANG-2", "qty": "1"}],
                                            "customer": {"name": "Trần Thị Bình", "country": "VN"}}).order
        assert s.get(Partner, order.partner_id).language == "vi"
        korean = create_order_from_entry(s, {"channel": "counter", "lines": [{"sku": "LANG-2", "qty": "1"}],
                                             "customer": {"name": "김민지"}}).order
        assert s.get(Partner, korean.partner_id).language == "ko"  # no country given: the shop's, Korean
        assert orders.create_from_order(s, order.id, "receipt").language == "vi"

"""Issue #10, the whole sale in headless Chromium, in Vietnamese and in Korean.

A clerk logs in, switches the language, types a new customer on the New order
screen, scans two barcodes, saves and confirms, registers the payment, creates
and issues the invoice, opens its PDF, sends it (the mail reaches an SMTP
server on loopback with the PDF attached), delivers the goods, takes one line
back and finds the credit note, all through the screens. Each step asserts
what the page shows and leaves a screenshot ``var/screenshots/e2e-<lang>-<nn>-<step>.png``.

Chromium runs with a font configuration that knows one system font only,
Bitstream Vera (Latin-1: no Vietnamese letters, no Cyrillic, no Hangul, no
Han; Chromium needs at least one system font to load web fonts at all), so the
text on those screenshots comes from the web fonts the app serves (core/fonts
through tessera.css): Hangul drawn as boxes is a failure here, not something
that only shows on a bare server.

The background jobs (the credit note after a return, the mail) run when the
test says so, between two clicks, exactly as a worker would run them.
"""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from core.formatting import amount as format_money

from .conftest import PASSWORD
from .e2e_browser import (EXPONENT_RE, SCENES, Clerk, _digits, _digits_of, _run_jobs, _same, _shop, _spaces,
                          _web_font_status, bare_browser, smtp)  # noqa: F401  (fixtures)
from .test_chromium import CHROMEDRIVER, CHROMIUM, server  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
                                reason="headless Chromium test needs /usr/bin/chromium and /usr/bin/chromedriver")

@pytest.mark.parametrize("lang", ["vi", "ko"])
def test_sale_to_credit_note_in_the_browser(lang, runtime, server, bare_browser, make_business,  # noqa: F811
                                            make_user, smtp):
    import requests
    from pypdf import PdfReader
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from sqlalchemy import select

    from addons.einvoice.models import Document
    from addons.sales.models import Order

    scene = SCENES[lang]
    business = _shop(runtime, make_business, scene)
    email_address = make_user(business)
    clerk = Clerk(bare_browser, server, lang)
    b = bare_browser
    currency = business.currency

    def money(amount):
        return _spaces(format_money(Decimal(amount), currency, lang))

    # 1. Log in, then switch the language with the switcher.
    b.get(server + "/admin/")
    clerk.find("#login-form")
    b.find_element(By.NAME, "email").send_keys(email_address)
    b.find_element(By.NAME, "password").send_keys(PASSWORD)
    clerk.fonts_ready()
    clerk.shot("login")
    b.find_element(By.ID, "login-submit").click()
    assert clerk.text("#current-business") == scene.seller["name"]
    from selenium.webdriver.support.ui import Select
    old = clerk.find("body")
    Select(b.find_element(By.ID, "locale")).select_by_value(lang)
    clerk.wait.until(ec.staleness_of(old))
    assert Select(clerk.find("#locale")).first_selected_option.get_attribute("value") == lang
    assert scene.seller["name"] in clerk.page_text()
    clerk.shot("home")

    # 2. The New order screen: a new customer typed inline, two barcodes scanned.
    b.get(server + "/admin/sales_order/new/")
    scan = clerk.find("#entry-scan")
    b.find_element(By.ID, "customer_name").send_keys(scene.customer)
    b.find_element(By.ID, "customer_phone").send_keys(scene.phone)
    b.find_element(By.ID, "customer_email").send_keys(f"buyer-{lang}@example.com")
    b.find_element(By.ID, "customer_country").send_keys(scene.country)
    rows = "#entry-lines tbody tr.entry-line"
    for i, (sku, name, price, barcode) in enumerate(scene.products, start=1):
        scan.send_keys(barcode + Keys.ENTER)          # as a scanner types it
        clerk.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) == i)
    lines = b.find_elements(By.CSS_SELECTOR, rows)
    assert [r.find_element(By.NAME, "line_sku").get_attribute("value") for r in lines] == \
        [p[0] for p in scene.products]
    assert [r.find_element(By.CSS_SELECTOR, ".line-name").text for r in lines] == [p[1] for p in scene.products]
    net = sum(Decimal(p[2]) for p in scene.products)
    total = net + net / 10                           # 10 % VAT on each line; both prices are whole tens
    shown = b.find_element(By.ID, "total-total")
    clerk.wait.until(lambda d: _same(shown.text, money(total)), f"total is not {money(total)!r}")
    assert scan.get_attribute("value") == ""
    clerk.shot("new-order")

    # 3. Save and Confirm: the order page, processing, stock reserved.
    old = clerk.find("body")
    clerk.fonts_ready()
    b.find_element(By.ID, "save-confirm").click()
    clerk.wait.until(ec.staleness_of(old))
    number = clerk.text("#doc-number")
    assert number in clerk.flashed()
    assert scene.customer in clerk.text("#doc-party")
    with runtime.session(business.id) as s:
        order = s.scalar(select(Order).where(Order.number == number))
        order_id = order.id
        assert (order.state, order.total, order.partner.name) == ("processing", total, scene.customer)
        assert [line.sku for line in order.lines] == [p[0] for p in scene.products]
        line_ids = [line.id for line in order.lines]
    totals = clerk.text("#doc-totals")
    assert money(total) in totals and not EXPONENT_RE.search(totals)
    clerk.shot("confirmed")

    # 4. Register payment from the order page (the form offers the balance).
    clerk.act("/sales_order/pay/", fill={"reference": f"BANK-{lang}-1"})
    assert number in clerk.flashed()
    assert f"BANK-{lang}-1" in clerk.text("#doc-section-1")
    assert money(total) in clerk.text("#doc-section-1")
    with runtime.session(business.id) as s:
        assert s.get(Order, order_id).balance == 0
    clerk.shot("paid")

    # 5. The invoice: Create invoice on the order page opens the draft, Issue gives it its number.
    clerk.act("/einvoice_document/draft/")
    assert scene.customer in clerk.text("#doc-party")
    clerk.shot("invoice-draft")
    clerk.act("/einvoice_document/act/", {"act": "issue"})
    with runtime.session(business.id) as s:
        doc = s.scalar(select(Document).where(Document.order_id == order_id, Document.type != "credit_note"))
        invoice_id, invoice_number = doc.id, doc.display_number
        assert doc.state in ("issued", "paid") and doc.total == total
    assert invoice_number in clerk.text("#doc-number")
    assert money(total) in clerk.text("#doc-totals")
    clerk.shot("invoice")

    # 6. Its PDF, fetched with the browser's session: number, buyer and amounts printed.
    pdf_link = b.find_element(By.CSS_SELECTOR, "#doc-related a[href*='/einvoice_document/pdf/']")
    # The browser's cookies and user agent: the login is bound to both (Flask-Login's strong protection).
    response = requests.get(pdf_link.get_attribute("href"), cookies=clerk.cookies(), timeout=60,
                            headers={"User-Agent": b.execute_script("return navigator.userAgent")})
    assert response.headers["Content-Type"] == "application/pdf", (response.url, response.text[:3000])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice_number in text and scene.customer in text, text[:1500]
    for sku, name, price, barcode in scene.products:
        assert name in text, text[:1500]
    assert _digits(total) in _digits_of(text), (total, text[:1500])
    assert not EXPONENT_RE.search(text)

    # 7. Send it to the buyer: the mail leaves through the SMTP server, the PDF attached.
    clerk.act("/einvoice_document/act/", {"act": "send"})
    assert ("core.send_mail", "done") in _run_jobs(runtime, business.id)
    assert len(smtp.messages) == 1
    _sender, rcpt, message = smtp.messages[0]
    assert rcpt == [f"buyer-{lang}@example.com"]
    attached = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert attached and attached[0].get_content().startswith(b"%PDF")
    assert invoice_number in message["Subject"] or invoice_number in message.get_body().get_content()
    b.refresh()
    assert f"buyer-{lang}@example.com" in clerk.text("#doc-section-1")
    clerk.shot("invoice-sent")

    # 8. Back to the order: deliver the goods, then take the first line back.
    clerk.fonts_ready()
    b.find_element(By.CSS_SELECTOR, f"#doc-related a[href*='/sales_order/details/?id={order_id}']").click()
    clerk.find("#doc-actions")
    clerk.act("/sales_order/transition/", {"transition": "complete"})
    with runtime.session(business.id) as s:
        assert s.get(Order, order_id).state == "completed"
    clerk.shot("delivered")
    clerk.act("/sales_order/return/", fill={f"qty_{line_ids[0]}": "1", "reason": "Khách đổi ý" if lang == "vi"
                                            else "고객 변심"})
    assert number in clerk.flashed()
    with runtime.session(business.id) as s:
        assert [line.qty_returned for line in s.get(Order, order_id).lines] == [1, 0]
    assert invoice_number in clerk.page_text()       # "invoice … is not yet corrected for return …"
    clerk.shot("returned")

    # 9. The credit note for the returned line (issued by the job the return queued).
    assert ("einvoice.credit_return", "done") in _run_jobs(runtime, business.id)
    with runtime.session(business.id) as s:
        credit = s.scalar(select(Document).where(Document.order_id == order_id, Document.type == "credit_note"))
        assert credit is not None and credit.corrects_id == invoice_id
        first = Decimal(scene.products[0][2])
        assert credit.total == first + first / 10, credit.total
        credit_number = credit.display_number
    b.refresh()
    assert not b.find_elements(By.XPATH, f"//div[contains(@class,'alert-warning')][contains(., '{invoice_number}')]")
    clerk.fonts_ready()
    link = b.find_element(By.XPATH, f"//ul[@id='doc-related']//a[contains(., '{credit_number}')]")
    link.click()
    assert credit_number in clerk.text("#doc-number")
    assert invoice_number in clerk.page_text()            # "corrects INV-…"
    assert money(first + first / 10) in clerk.text("#doc-totals")
    assert scene.products[0][1] in clerk.text("#doc-lines")
    assert scene.products[1][1] not in clerk.text("#doc-lines")
    clerk.shot("credit-note")

    # The page's own script was drawn by the served web font (there is no system font).
    assert "loaded" in _web_font_status(b, scene.font_family), _web_font_status(b, scene.font_family)
    assert b.execute_script("return document.fonts.check('16px \"%s\"', arguments[0])" % scene.font_family,
                            scene.sample)
    severe = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


@pytest.mark.parametrize("lang, script_family", [("zh", "tessera-han"), ("ru", "tessera-latin"),
                                                 ("ko", "tessera-hangul"), ("vi", "tessera-latin")])
def test_login_page_draws_every_script_from_the_served_fonts(lang, script_family, server, bare_browser):  # noqa: F811
    """The login page in each language (chosen with its switcher) lists all six language names, so
    Latin, Vietnamese, Cyrillic, Hangul and Han all have to come from the served fonts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    clerk = Clerk(bare_browser, server, lang)
    bare_browser.get(server + "/login")
    old = clerk.find("#language-switcher")
    clerk.fonts_ready()
    bare_browser.find_element(By.CSS_SELECTOR, f"#language-switcher button[value={lang}]").click()
    clerk.wait.until(ec.staleness_of(old))
    assert clerk.find("html").get_attribute("lang") == lang
    names = clerk.text("#language-switcher")
    assert all(name in names for name in ("한국어", "中文", "Русский", "Tiếng Việt")), names
    clerk.fonts_ready()
    for family in ("tessera-latin", "tessera-hangul", "tessera-han"):
        assert "loaded" in _web_font_status(bare_browser, family), (family, _web_font_status(bare_browser, family))
    assert "loaded" in _web_font_status(bare_browser, script_family)
    clerk.shot("login-fonts")

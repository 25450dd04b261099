"""Screenshots of the order page and the invoice page in headless Chromium (var/screenshots/)."""
from __future__ import annotations

from tests.web.conftest import PASSWORD, app, make_user  # noqa: F401  fixtures
from tests.web.test_chromium import CHROMEDRIVER, CHROMIUM, browser, pytestmark, server, shot  # noqa: F401


def test_order_and_invoice_pages_in_chromium(shop, make_user, server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from addons.sales.services import confirm_order, register_payment

    order_id = shop.order(qty=("2", "1"))
    with shop.tx() as s:
        confirm_order(s, order_id)
        register_payment(s, order_id, "150000", "bank_transfer", reference="VCB-0042")
    doc_id = shop.draft()
    shop.issue(doc_id)
    wait = WebDriverWait(browser, 15)
    browser.get(f"{server}/admin/sales_order/details/?id={order_id}")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.NAME, "email").send_keys(make_user(shop.business))
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "doc-stages")))
    browser.set_window_size(1366, 1400)
    shot(browser, "doc-order")
    assert browser.find_element(By.CSS_SELECTOR, ".tessera-stage-current").text == "Processing"
    browser.get(f"{server}/admin/einvoice_document/details/?id={doc_id}")
    wait.until(ec.presence_of_element_located((By.ID, "doc-stages")))
    shot(browser, "doc-invoice")
    assert browser.find_element(By.CSS_SELECTOR, ".tessera-stage-current").text == "Issued"
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not logs, logs


def test_invoice_screens_in_korean_vietnamese_and_chinese(shop, make_user, server, browser, runtime):  # noqa: F811
    """The document page and the new-draft form as a clerk reading ko, vi or zh sees them (screenshots)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from sqlalchemy import update
    from core.models import User

    doc_id = shop.draft()
    shop.issue(doc_id)
    email = make_user(shop.business)
    wait = WebDriverWait(browser, 15)
    browser.set_window_size(1366, 1400)
    expected = {"ko": ("발행됨", "새 초안"), "vi": ("Đã phát hành", "Bản nháp mới"), "zh": ("已开具", "新建草稿")}
    for number, (language, (stage, new_draft)) in enumerate(expected.items()):
        with runtime.transaction(all_businesses=True) as s:
            s.execute(update(User).where(User.email == email).values(locale=language))
        browser.get(f"{server}/admin/einvoice_document/details/?id={doc_id}")
        if number == 0:
            wait.until(ec.presence_of_element_located((By.ID, "login-form")))
            browser.find_element(By.NAME, "email").send_keys(email)
            browser.find_element(By.NAME, "password").send_keys(PASSWORD)
            browser.find_element(By.ID, "login-submit").click()
        wait.until(ec.presence_of_element_located((By.ID, "doc-stages")))
        shot(browser, f"einvoice-document-{language}")
        assert browser.find_element(By.CSS_SELECTOR, ".tessera-stage-current").text == stage
        browser.get(f"{server}/admin/einvoice_document/draft/")
        wait.until(ec.presence_of_element_located((By.NAME, "lines")))
        shot(browser, f"einvoice-new-draft-{language}")
        assert new_draft in browser.find_element(By.TAG_NAME, "h3").text
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not logs, logs

"""The New order screen in headless Chromium: a scanner types a barcode and Enter, twice; save and confirm."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, app, make_user  # noqa: F401  (fixtures)
from tests.web.test_chromium import CHROMEDRIVER, CHROMIUM, browser, server, shot  # noqa: F401  (fixtures)
from tests.web.test_csp import INLINE_HANDLERS_JS, RECORD_VIOLATIONS_JS

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
                                reason="headless Chromium test needs /usr/bin/chromium and /usr/bin/chromedriver")


def _korean_shop(runtime, make_business):
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from addons.warehouse import services as wh
    business = make_business(country="KR", addons=["sales", "warehouse"], name="서울 상점")
    with runtime.transaction(business.id) as s:
        create_partner(s, name="김민준", country="KR", phone="010-1234-5678", city="강남구", region="서울특별시")
        tee = create_product(s, sku="TEE-KR-01", name="Cotton T-shirt", sale_price="12900", tax_class_code="vat10",
                             barcode="8801234567893")
        create_product(s, sku="MUG-KR-02", name="Ceramic mug", sale_price="8500", tax_class_code="vat10")
        main = wh.create_warehouse(s, code="WH-SEOUL", name="Seoul", kind="main").id
        wh.receive(s, main, [(tee.variants[0].id, Decimal(10))], reference="opening")
        variant_id = tee.variants[0].id
    return business, variant_id


def test_scan_twice_totals_update_then_save_and_confirm(runtime, server, browser, make_business,
                                                        make_user):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from addons.sales.models import Order

    business, variant_id = _korean_shop(runtime, make_business)
    email = make_user(business, permissions=["sales.order.read", "sales.order.create", "sales.order.edit"])
    wait = WebDriverWait(browser, 15)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS_JS})
    browser.get(server + "/admin/sales_order/new/")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    scan = wait.until(ec.presence_of_element_located((By.ID, "entry-scan")))
    shot(browser, "order-entry-01-empty")
    assert browser.execute_script(INLINE_HANDLERS_JS) == []

    customer = browser.find_element(By.ID, "customer_code")
    customer.send_keys("김민")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#customer-options option"))
    code = browser.find_element(By.CSS_SELECTOR, "#customer-options option").get_attribute("value")
    customer.clear()
    customer.send_keys(code)

    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.ID, "payment_term")).select_by_value("NET30")
    assert browser.find_element(By.ID, "due-hint").text.endswith("if confirmed today")

    total = browser.find_element(By.ID, "total-total")
    scan.send_keys("8801234567893" + Keys.ENTER)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#entry-lines tbody tr.entry-line"))
    wait.until(lambda d: total.text == "₩14,190")             # 12,900 + 10 % VAT
    scan.send_keys("8801234567893" + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.NAME, "line_qty").get_attribute("value") == "2")
    wait.until(lambda d: total.text == "₩28,380")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#entry-lines tbody tr.entry-line")) == 1
    fee = browser.find_element(By.ID, "shipping_fee")
    fee.send_keys("3000")
    wait.until(lambda d: total.text == "₩31,380")
    assert browser.find_element(By.ID, "total-tax").text == "₩2,580"
    shot(browser, "order-entry-02-scanned")
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "order-entry-02-header")
    assert browser.execute_script("return window.__csp") == []   # the script ran under the CSP, nothing refused

    browser.find_element(By.ID, "save-confirm").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))
    shot(browser, "order-entry-03-confirmed")
    assert "saved: To ship" in browser.page_source   # on net 30 terms it ships before payment
    with runtime.session(business.id) as s:
        order = s.query(Order).one()
        assert (order.state, order.total, order.partner.name) == ("processing", Decimal(31380), "김민준")
        assert (order.payment_term_code, order.due_date - order.confirmed_at.date()) == ("NET30", timedelta(days=30))
        assert [(ln.sku, ln.qty) for ln in order.lines] == [("TEE-KR-01", Decimal(2))]

    browser.get(f"{server}/admin/sales_order/edit/?id={order.id}")
    wait.until(ec.presence_of_element_located((By.ID, "entry-locked")))
    shot(browser, "order-entry-04-locked")
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not logs, logs


def test_the_script_speaks_the_users_language(runtime, server, browser, make_business, make_user):  # noqa: F811
    """The texts order_entry.js shows come from the template's data-msg-* attributes, translated."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    business, _variant_id = _korean_shop(runtime, make_business)
    email = make_user(business, permissions=["sales.order.read", "sales.order.create", "sales.order.edit"])
    wait = WebDriverWait(browser, 15)
    browser.get(server + "/admin/sales_order/new/")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "entry-scan")))
    browser.execute_script("""
        var form = document.createElement('form');
        form.method = 'POST'; form.action = '/language';
        [['locale', 'vi'], ['csrf_token', document.querySelector('[name=csrf_token]').value]].forEach(function (p) {
          var input = document.createElement('input');
          input.type = 'hidden'; input.name = p[0]; input.value = p[1]; form.appendChild(input);
        });
        document.body.appendChild(form); form.submit();""")
    wait.until(lambda d: "Tiếng Việt" in d.page_source)
    browser.get(server + "/admin/sales_order/new/")
    scan = wait.until(ec.presence_of_element_located((By.ID, "entry-scan")))
    Select(browser.find_element(By.ID, "payment_term")).select_by_value("NET30")
    hint = browser.find_element(By.ID, "due-hint").text
    assert hint.startswith("Hạn thanh toán ") and hint.endswith(" nếu xác nhận hôm nay"), hint
    scan.send_keys("KHONG-CO-HANG" + Keys.ENTER)
    note = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#entry-suggestions .list-group-item-warning"))
    assert note[0].text == "Không có sản phẩm nào có thể bán khớp với “KHONG-CO-HANG”"

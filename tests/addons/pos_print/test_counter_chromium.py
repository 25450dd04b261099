"""The counter screen in headless Chromium on a tablet-sized window: open the shift, scan two barcodes (a
scanner types them and Enter), pay cash with change, the receipt reaches the fake printer; find it by its
QR payload typed into the find box, reprint it with a reason; close the shift and its report prints."""
from __future__ import annotations

from pathlib import Path

import pytest

from addons.pos_print import decoder, services
from tests.web.conftest import PASSWORD, app, make_user  # noqa: F401  (fixtures)
from tests.web.test_chromium import CHROMEDRIVER, CHROMIUM, browser, server, shot  # noqa: F401  (fixtures)
from tests.web.test_csp import INLINE_HANDLERS_JS, RECORD_VIOLATIONS_JS

from .conftest import build_pos_shop, run_jobs

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
                                reason="headless Chromium test needs /usr/bin/chromium and /usr/bin/chromedriver")


def test_counter_sale_find_reprint_and_shift(runtime, server, browser, make_user, fake_printer):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    shop = build_pos_shop(runtime, "VN")
    with shop.tx() as session:
        services.create_printer(session, name="Quầy 1", kind="network", host="127.0.0.1", port=fake_printer.port,
                                profile="TM-T20II", has_drawer=True)
        services.receipts.save_settings(session, {"default_printer": "Quầy 1"})
    email = make_user(shop.business, permissions=["pos_print.counter.read", "pos_print.counter.sell",
                                                  "pos_print.receipt.reprint", "pos_print.receipt.read"])
    browser.set_window_size(1024, 1366)                    # a tablet, upright
    wait = WebDriverWait(browser, 15)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS_JS})
    browser.get(server + "/admin/pos_print_counter/")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "open-shift")))
    assert browser.execute_script(INLINE_HANDLERS_JS) == []
    browser.find_element(By.ID, "opening-float").send_keys("200000")
    browser.find_element(By.ID, "open-shift").click()
    wait.until(ec.presence_of_element_located((By.ID, "close-shift")))

    scan = wait.until(ec.presence_of_element_located((By.ID, "counter-scan")))
    assert browser.switch_to.active_element == scan          # the scanner types into it straight away
    for sku in (shop.skus[0], shop.skus[0], shop.skus[1]):
        scan.send_keys(sku + Keys.ENTER)
        wait.until(lambda d: scan.get_attribute("value") == "")
    rows = browser.find_elements(By.CSS_SELECTOR, "#counter-lines tbody tr.counter-line")
    assert len(rows) == 2 and rows[0].find_element(By.NAME, "line_qty").get_attribute("value") == "2"
    scan.send_keys("NO-SUCH-THING" + Keys.ENTER)
    wait.until(lambda d: "NO-SUCH-THING" in d.find_element(By.ID, "counter-hint").text)
    shot(browser, "pos-counter-01-scanned")
    fake_printer.reset()
    browser.find_element(By.ID, "counter-cash").send_keys("300000" + Keys.ENTER)   # Enter pays
    change = wait.until(ec.presence_of_element_located((By.ID, "counter-change")))
    assert change.text == "₫81,100"                          # in the clerk's language (English here)
    shot(browser, "pos-counter-02-paid")
    assert run_jobs(runtime, shop.id) == [("pos_print.print_job", "done")]
    printed = decoder.decode(fake_printer.content())
    [payload] = printed.qr_payloads
    assert "Phở bò tái" in printed.text_lines and printed.drawer_kicks == 1

    find = browser.find_element(By.ID, "counter-find")
    find.send_keys(payload + Keys.ENTER)                    # what a scanner types from the QR code
    wait.until(ec.presence_of_element_located((By.ID, "found-receipt")))
    Select(browser.find_element(By.ID, "reprint-reason")).select_by_value("vat_invoice")
    fake_printer.reset()
    browser.find_element(By.ID, "reprint-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "found-receipt")))
    assert run_jobs(runtime, shop.id) == [("pos_print.print_job", "done")]
    assert "BẢN SAO 1" in decoder.decode(fake_printer.content()).text_lines
    find = browser.find_element(By.ID, "counter-find")
    find.clear()
    find.send_keys(payload[:-2] + "ZZ" + Keys.ENTER)        # an altered payload is refused
    wait.until(ec.presence_of_element_located((By.ID, "find-error")))
    shot(browser, "pos-counter-03-refused")

    counted = browser.find_element(By.ID, "counted-cash")
    counted.send_keys("418900")
    fake_printer.reset()
    browser.find_element(By.ID, "close-shift").click()
    wait.until(ec.presence_of_element_located((By.ID, "open-shift")))
    assert run_jobs(runtime, shop.id) == [("pos_print.print_job", "done")]
    report = decoder.decode(fake_printer.content()).text_lines
    assert any(line.startswith("Tiền mặt") and line.endswith("218.900 ₫") for line in report)
    assert browser.execute_script("return window.__csp") == []

"""The admin in a real browser: headless Chromium against the app served on 127.0.0.1."""
from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT

from .conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = PROJECT_ROOT / "var" / "screenshots"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
                                reason="headless Chromium test needs /usr/bin/chromium and /usr/bin/chromedriver")


@pytest.fixture
def server(app):
    from werkzeug.serving import make_server
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="tessera-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1366,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_login_list_edit_and_action_in_chromium(runtime, server, browser, make_business, make_user):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from tfx_notes.models import Note, Tag

    business = make_business(addons=["tfx_notes"], name="Chromium Shop")
    with runtime.transaction(business.id) as session:
        tag = Tag(name="urgent")
        session.add(tag)
        session.flush()
        session.add_all([Note(title=f"Browser note {i}", body="b", tag_id=tag.id) for i in range(3)])
    email = make_user(business)
    wait = WebDriverWait(browser, 15)

    browser.get(server + "/admin/tfx_notes_note/")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    shot(browser, "01-login")
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.model-list")))
    assert "Browser note 0" in browser.page_source
    assert browser.find_element(By.ID, "current-business").text == "Chromium Shop"
    shot(browser, "02-notes-list")

    with runtime.session(business.id) as session:
        first = session.query(Note).filter_by(title="Browser note 0").one()
    browser.get(f"{server}/admin/tfx_notes_note/edit/?id={first.id}")
    title = wait.until(ec.presence_of_element_located((By.ID, "title")))
    title.clear()
    title.send_keys("Edited in Chromium")
    shot(browser, "03-edit")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit].btn-primary").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.model-list")))
    assert "Edited in Chromium" in browser.page_source

    for box in browser.find_elements(By.CSS_SELECTOR, "input.action-checkbox")[:2]:
        box.click()
    browser.find_element(By.XPATH, "//a[contains(@class,'dropdown-toggle') and contains(., 'With selected')]").click()
    browser.find_element(By.XPATH, "//a[contains(., 'Archive')]").click()
    wait.until(ec.alert_is_present()).accept()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))
    assert "2 notes archived." in browser.page_source
    shot(browser, "04-after-action")

    with runtime.session(business.id) as session:
        assert session.query(Note).filter_by(archived=True).count() == 2
        assert session.get(Note, first.id).title == "Edited in Chromium"

    browser.get(server + "/admin/core_addons/tfx_notes/settings")
    wait.until(ec.presence_of_element_located((By.ID, "settings-form")))
    shot(browser, "05-addon-settings")
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] if hasattr(browser, "get_log") else []
    assert not logs, logs


def test_formatted_orders_and_products_lists_in_chromium(runtime, server, browser, make_user):
    """Issue #10 seen in a browser over the demo data: one status badge, amounts in the currency."""
    import os
    import re

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from core.demo import seed_demo
    business_id = seed_demo(runtime, slug=f"shots-{os.getpid()}")["business_id"]
    from core.models import Business
    with runtime.session(all_businesses=True) as session:
        business = session.get(Business, business_id)
    email = make_user(business)
    wait = WebDriverWait(browser, 15)
    browser.get(server + "/admin/sales_order/")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.model-list")))
    badges = browser.find_elements(By.CSS_SELECTOR, "td.col-state span.badge.tessera-status")
    assert badges and all(b.text in ("New", "Processing", "Completed", "Cancelled") for b in badges)
    totals = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.col-total")]
    assert totals and not any(re.search(r"\d[Ee][+-]\d|\.0000", t) for t in totals), totals[:5]
    shot(browser, "10-orders-list")
    browser.get(server + "/admin/catalog_product/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.model-list")))
    prices = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.col-sale_price")]
    assert prices and not any(re.search(r"\d[Ee][+-]\d|\.0000", p) for p in prices), prices[:5]
    shot(browser, "11-products-list")

"""The home page and top bar in headless Chromium over the demo data: at 1280x800 the menu, the
switchers and logout fit one row; at 390x844 (a phone) the bar collapses to the hamburger. The
screenshots are saved under var/screenshots/ (dashboard-1280.png, dashboard-390*.png)."""
from __future__ import annotations

import os

from . import test_chromium as chromium
from .conftest import PASSWORD

pytestmark = chromium.pytestmark                 # skipped where Chromium is not installed
server, browser, shot = chromium.server, chromium.browser, chromium.shot   # its fixtures and helper

ROW_TOPS = """return Array.from(document.querySelectorAll(
  '#admin-navbar-collapse > .navbar-brand, #admin-navbar-collapse > ul > li'))
  .filter(e => e.offsetParent !== null).map(e => Math.round(e.getBoundingClientRect().top));"""


def test_dashboard_and_top_bar_at_desktop_and_phone_widths(runtime, server, browser, make_user):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from core.demo import seed_demo
    from core.models import Business
    business_id = seed_demo(runtime, slug=f"dash-{os.getpid()}")["business_id"]
    with runtime.session(all_businesses=True) as session:
        business = session.get(Business, business_id)
    email = make_user(business, email=f"a.very.long.clerk.name-{os.getpid()}@example.com")
    wait = WebDriverWait(browser, 15)
    browser.set_window_size(1280, 800)
    browser.get(server + "/admin/")
    wait.until(ec.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "dashboard")))
    bars = browser.find_elements(By.CSS_SELECTOR, "#tile-sales_chart svg rect.tessera-chart-bar")
    assert len(bars) == 30
    for key in ("sales_today", "sales_to_confirm", "sales_receivables", "warehouse_low_stock"):
        assert browser.find_element(By.ID, f"tile-{key}").is_displayed()
    shot(browser, "dashboard-1280")
    tops = browser.execute_script(ROW_TOPS)
    assert len(tops) >= 9 and max(tops) - min(tops) <= 12, tops          # brand, six groups, switchers, logout
    assert not browser.find_element(By.CSS_SELECTOR, ".navbar-toggler").is_displayed()

    browser.set_window_size(390, 844)
    browser.get(server + "/admin/")
    toggler = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".navbar-toggler")))
    assert not browser.find_element(By.ID, "admin-navbar-collapse").is_displayed()
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width                                          # nothing pushes the page sideways
    shot(browser, "dashboard-390")
    toggler.click()
    wait.until(ec.visibility_of_element_located((By.ID, "admin-navbar-collapse")))
    wait.until(lambda d: d.find_element(By.ID, "logout").is_displayed())   # the collapse has finished opening
    groups = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#admin-navbar-collapse a.dropdown-toggle")]
    assert groups[:6] == ["Sales", "Inventory", "Purchasing", "Invoicing", "Contacts", "Settings"], groups
    shot(browser, "dashboard-390-menu")
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] if hasattr(browser, "get_log") else []
    assert not logs, logs

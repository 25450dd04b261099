"""Security headers on every page, and every admin menu page working in Chromium under the CSP.

Why both: the test client proves each response carries the headers; only a real
browser proves the pages still work when the policy forbids inline script (an
``onclick`` attribute or a ``<script>`` without the nonce is refused silently,
and the screen just stops doing what the button says).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.auth import create_user
from core.demo import seed_demo

from .conftest import PASSWORD, Client
from .test_admin_crawl import _links, _model_views
from .test_chromium import CHROMEDRIVER, CHROMIUM, browser, server, shot  # noqa: F401  (fixtures)

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
SCRIPT_TAG = re.compile(r"<script\b[^>]*>")
CSP_MUST = ("script-src 'self' 'nonce-", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'")

# In every page: elements with inline event handler attributes (refused by the CSP).
INLINE_HANDLERS_JS = """
return Array.from(document.querySelectorAll('*')).flatMap(el =>
  Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => el.tagName + '[' + a.name + ']'));
"""
# Recorded from the first script of every document on: each CSP violation the page meets.
RECORD_VIOLATIONS_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
"""


@pytest.fixture(scope="module")
def demo(runtime):
    """The demo business and a superuser working in it (with a second business, so the switcher shows)."""
    from core.business import create_business
    result = seed_demo(runtime, slug=f"csp-{os.getpid()}")
    email = f"csp-{os.getpid()}@example.com"
    with runtime.transaction(all_businesses=True) as session:
        other_id = create_business(session, name="CSP Other", slug=f"csp-other-{os.getpid()}", country="KR").id
    with runtime.transaction(result["business_id"]) as session:
        create_user(session, email, PASSWORD, name="CSP", business_id=result["business_id"], superuser=True)
    return result["business_id"], result["addons"], email, other_id


def _check_headers(response, url, failures):
    for name, value in EXPECTED.items():
        if response.headers.get(name) != value:
            failures.append(f"{url}: {name} is {response.headers.get(name)!r}")
    csp = response.headers.get("Content-Security-Policy", "")
    missing = [part for part in CSP_MUST if part not in csp]
    if missing or "'unsafe-inline'" in csp:
        failures.append(f"{url}: Content-Security-Policy {csp!r} lacks {missing}")
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        failures.append(f"{url}: Permissions-Policy {response.headers.get('Permissions-Policy')!r}")


def test_every_admin_page_sends_the_security_headers(app, demo):
    business_id, addons, email, _ = demo
    client = Client(app.test_client())
    assert client.login(email).status_code == 302
    client.post("/switch-business", {"business_id": str(business_id)})
    failures, nonces = [], set()
    pages = ["/login", "/admin/", "/static/tessera/tessera.js", "/admin/no-such-page/"]
    for url in _model_views(app, addons):
        pages.append(url)
        page = client.get(url).get_data(as_text=True)
        pages += [link for kind in ("new/", "edit/?id=", "details/?id=") for link in _links(page, url + kind)[:1]]
    for url in pages:
        response = client.get(url)
        _check_headers(response, url, failures)
        nonce = response.headers.get("Content-Security-Policy", "").partition("'nonce-")[2].split("'")[0]
        nonces.add(nonce)
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        unnonced = [tag for tag in SCRIPT_TAG.findall(body) if f'nonce="{nonce}"' not in tag]
        if unnonced:
            failures.append(f"{url}: <script> without this response's nonce: {unnonced[:2]}")
    assert len(pages) >= 40, pages
    assert not failures, "\n".join(failures)
    assert len(nonces) == len(pages)  # a fresh nonce per response
    assert "Strict-Transport-Security" not in client.get("/login").headers  # not over plain development HTTP


def test_production_adds_strict_transport_security(runtime):
    import dataclasses
    from core.app import create_app
    from core.config import Config
    values = dict(runtime.config.values, ENV="production", SECRET_KEY="a-long-random-production-secret")
    app = create_app(runtime=dataclasses.replace(runtime, config=Config(values)))
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    _check_headers(response, "/login", failures := [])
    assert not failures, failures


@pytest.mark.skipif(not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
                    reason="needs /usr/bin/chromium and /usr/bin/chromedriver")
def test_every_admin_menu_page_works_in_chromium_under_the_csp(app, demo, server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait
    business_id, addons, email, other_id = demo
    wait = WebDriverWait(browser, 15)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS_JS})
    browser.get(server + "/login")
    shot(browser, "csp-login")
    problems = [f"/login: {v}" for v in browser.execute_script("return window.__csp")]
    problems += [f"/login: inline handler {h}" for h in browser.execute_script(INLINE_HANDLERS_JS)]
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait.until(ec.presence_of_element_located((By.ID, "language-switcher")))
    # The business switcher submits itself on change (tessera.js, not an onchange attribute).
    for target in (other_id, business_id):
        switcher = browser.find_element(By.ID, "business_id")
        Select(switcher).select_by_value(str(target))
        wait.until(ec.staleness_of(switcher))  # the form was submitted and the page reloaded
        chosen = Select(browser.find_element(By.ID, "business_id")).first_selected_option
        assert chosen.get_attribute("value") == str(target)

    urls = _model_views(app, addons)
    for url in urls:
        browser.get(server + url)
        wait.until(ec.presence_of_element_located((By.TAG_NAME, "body")))
        shot(browser, "csp-" + url.strip("/").replace("/", "-"))
        handlers = browser.execute_script(INLINE_HANDLERS_JS)
        if handlers:
            problems.append(f"{url}: inline handlers {sorted(set(handlers))}")
        problems += [f"{url}: {v}" for v in browser.execute_script("return window.__csp")]
    _delete_asks_first(browser, server, wait, problems)
    logged = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert len(urls) >= 20, urls
    assert not problems and not logged, "\n".join(problems + logged)


def _delete_asks_first(browser, server, wait, problems):
    """The row delete button and the mass-action menu still ask before acting (handlers in tessera.js)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    browser.get(server + "/admin/core_role/")
    rows_before = len(browser.find_elements(By.CSS_SELECTOR, "input.action-checkbox"))
    browser.find_element(By.CSS_SELECTOR, "form.icon button[data-tessera-confirm]").click()
    wait.until(ec.alert_is_present()).dismiss()
    assert len(browser.find_elements(By.CSS_SELECTOR, "input.action-checkbox")) == rows_before
    browser.find_element(By.CSS_SELECTOR, "input.action-checkbox").click()
    browser.find_element(By.XPATH, "//a[contains(@class,'dropdown-toggle') and contains(., 'With selected')]").click()
    browser.find_element(By.CSS_SELECTOR, "[data-tessera-action]").click()
    wait.until(ec.alert_is_present()).dismiss()
    shot(browser, "csp-zz-after-dismissed-delete")
    problems += [f"delete/action clicks: {v}" for v in browser.execute_script("return window.__csp")]

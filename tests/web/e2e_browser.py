"""The pieces of the end-to-end browser tests (test_e2e_flow.py): the two shops, a Chromium
with a Latin-1 system font only, an SMTP server on loopback, and a clerk's gestures."""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.core.jobs.helpers import smtp  # noqa: F401  (fixture, re-exported to the flow test)

from .test_chromium import CHROMEDRIVER, CHROMIUM, SHOTS

EXPONENT_RE = re.compile(r"\d[Ee][+-]\d")
LATIN1_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@dataclass(frozen=True)
class Scene:
    """One country's shop: the seller, two products with barcodes, the walk-in customer."""
    lang: str
    country: str
    seller: dict
    products: tuple          # (sku, name, price, barcode)
    tax_class: str
    customer: str
    phone: str
    font_family: str         # the web font that must have drawn the page's own script
    sample: str              # a few characters of that script


SCENES = {
    "vi": Scene("vi", "VN", dict(name="Cửa hàng Sài Gòn", tax_id="0100109106",
                                 legal_name="Công ty TNHH Thương mại Sài Gòn", address="Số 1 Đồng Khởi, Quận 1",
                                 phone="+84 28 3822 0000", email="ketoan@saigon-shop.vn"),
                (("CF-VN-01", "Cà phê sữa đá lon", "495000", "8934567000011"),
                 ("NL-VN-02", "Nón lá Huế", "75000", "8934567000028")),
                "vat10", "Nguyễn Thị Hồng", "0901234567", "tessera-latin", "Nguyễn"),
    "ko": Scene("ko", "KR", dict(name="서울 상점", tax_id="1048145064", legal_name="주식회사 서울상사",
                                 address="세종대로 110", phone="+82 2 120", email="tax@seoul-trading.kr"),
                (("KC-KR-01", "김치 1kg", "12900", "8801234567893"),
                 ("GC-KR-02", "고추장 500g", "8500", "8801234567909")),
                "vat10", "김민지", "010-1234-5678", "tessera-hangul", "김민지"),
}


@pytest.fixture
def bare_browser():
    """Headless Chromium whose only system font is Latin-1: every other script needs the web fonts."""
    import os

    import reportlab
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    scratch = Path(tempfile.mkdtemp(prefix="tessera-e2e-"))
    (scratch / "fonts").mkdir()
    shutil.copy(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", scratch / "fonts")
    conf = scratch / "fonts.conf"
    conf.write_text(LATIN1_FONTS_CONF.format(fonts=scratch / "fonts", cache=scratch / "fc-cache"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={scratch / 'profile'}", "--window-size=1366,1000"):
        options.add_argument(flag)
    service = Service(CHROMEDRIVER, env=dict(os.environ, FONTCONFIG_FILE=str(conf)))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(scratch, ignore_errors=True)


def _shop(runtime, make_business, scene: Scene):
    from addons.catalog.services import create_product
    from addons.warehouse import services as wh
    business = make_business(country=scene.country, addons=["sales", "warehouse", "sales_stock", "einvoice"],
                             languages=("en", scene.lang), **scene.seller)
    with runtime.transaction(business.id) as s:
        variants = [create_product(s, sku=sku, name=name, sale_price=price, tax_class_code=scene.tax_class,
                                   barcode=barcode).variants[0].id for sku, name, price, barcode in scene.products]
        main = wh.create_warehouse(s, code=f"WH-{scene.country}", name="Main", kind="main").id
        wh.receive(s, main, [(v, Decimal(20)) for v in variants], reference="opening")
    return business


def _run_jobs(runtime, business_id) -> list[tuple[str, str]]:
    """Every pending outbox job of the business, run now (what the worker does between two clicks)."""
    from sqlalchemy import select
    from core.jobs import execute
    from core.models import OutboxJob
    outcomes = []
    for _ in range(5):
        with runtime.session(all_businesses=True) as s:
            rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                OutboxJob.business_id == business_id, OutboxJob.state == "pending").order_by(OutboxJob.id)).all()
        if not rows:
            break
        outcomes += [(actor, execute(runtime, actor, job_id)) for job_id, actor in rows]
    return outcomes


class Clerk:
    """The browser, with the few gestures the flow repeats; each step ends in a screenshot."""

    def __init__(self, browser, base, lang):
        from selenium.webdriver.support.ui import WebDriverWait
        self.b, self.base, self.lang, self.n = browser, base, lang, 0
        self.wait = WebDriverWait(browser, 20)

    def shot(self, step):
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.b.execute_script("window.scrollTo(0, 0)")
        self.b.save_screenshot(str(SHOTS / f"e2e-{self.lang}-{self.n:02d}-{step}.png"))

    def find(self, css):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        return self.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def text(self, css):
        return _spaces(self.find(css).text)

    def page_text(self):
        return self.text("body")

    def act(self, url_part, hidden=None, fill=None):
        """Submit the document page's action form posting to ``url_part`` (with that hidden value),
        opening its <details> first when it asks for input, and wait for the page it lands on."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        xpath = f"//form[contains(@action, '{url_part}')]"
        if hidden:
            xpath += "".join(f"[.//input[@name='{k}' and @value='{v}']]" for k, v in hidden.items())
        self.fonts_ready()
        form = self.b.find_element(By.XPATH, xpath)
        holder = form.find_elements(By.XPATH, "ancestor::details[1]")
        if holder and not holder[0].get_attribute("open"):
            holder[0].find_element(By.TAG_NAME, "summary").click()
        for name, value in (fill or {}).items():
            field = form.find_element(By.NAME, name)
            if field.get_attribute("type") == "checkbox":
                if bool(value) != field.is_selected():
                    field.click()
            else:
                field.clear()
                field.send_keys(value)
        old = self.find("body")
        button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
        confirm = button.get_attribute("data-tessera-confirm")
        button.click()
        if confirm:
            self.wait.until(ec.alert_is_present()).accept()
        self.wait.until(ec.staleness_of(old))
        return self.find("body")

    def fonts_ready(self):
        """Wait until the web fonts are in: they swap in late and move the buttons a click aims at."""
        self.b.execute_async_script("var done = arguments[arguments.length - 1];"
                                    " document.fonts.ready.then(function () { done(); });")

    def flashed(self, kind="success"):
        return self.text(f".alert-{kind}")

    def cookies(self):
        return {c["name"]: c["value"] for c in self.b.get_cookies()}


def _web_font_status(browser, family):
    return browser.execute_script(
        "var family = arguments[0], out = []; document.fonts.forEach(function (f) {"
        " if (f.family.replace(/\"/g, '') === family) { out.push(f.status); } }); return out;", family)


def _same(shown: str, expected: str) -> bool:
    """Equal but for the kind of space (WebDriver reads a no-break space as a plain one)."""
    return _spaces(shown) == _spaces(expected)


def _spaces(text: str) -> str:
    return re.sub(r"[ \u202f\xa0]+", " ", text)


def _digits(amount: Decimal) -> str:
    return str(int(amount)) if amount == amount.to_integral() else format(amount, "f").replace(".", "")


def _digits_of(text: str) -> str:
    """The PDF's text with group separators gone, so 544.500 ₫ and ₩14,190 read as digit runs."""
    return re.sub(r"(?<=\d)[.,\s\u202f\xa0](?=\d{3}\b)", "", text)

"""Regenerate the README's screenshots from the demo: ``python docs/screenshots.py``.

Why a script: the screens change (the dashboard, translations), and pictures
taken by hand drift from what the app shows. This builds a throw-away embedded
instance (a SQLite file in a temporary folder, never your own database), seeds
the demo, serves it on 127.0.0.1, logs in as the demo admin in headless
Chromium and saves:

* ``docs/screenshots/dashboard.png``: the admin home page;
* ``docs/screenshots/order.png``: the page of a paid demo order that has an invoice;
* ``docs/screenshots/invoice-pdf.png``: the first page of that invoice's PDF
  (fetched with the browser's session, rendered by ``pdftoppm``).

Needs ``/usr/bin/chromium`` and ``chromedriver`` (Debian ``chromium``,
``chromium-driver``; the admin tests use them too) and ``pdftoppm`` (Debian
``poppler-utils``). Options: ``--out FOLDER``, ``--lang en|ko|vi|zh|ru|es``.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # run from a checkout, like manage.py

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _needs():
    missing = [name for name, found in (("chromium", Path(CHROMIUM).exists()),
                                        ("chromedriver", Path(CHROMEDRIVER).exists()),
                                        ("pdftoppm (poppler-utils)", shutil.which("pdftoppm")))
               if not found]
    if missing:
        raise click.ClickException("screenshots need " + ", ".join(missing) + "; install them first "
                                   "(Debian: apt-get install chromium chromium-driver poppler-utils)")


def _instance(folder: Path):
    """A migrated embedded runtime in ``folder`` with the demo seeded: (runtime, demo result)."""
    from core.addons.migrate import install_all
    from core.demo import seed_demo
    from core.runtime import build_runtime
    runtime = build_runtime({"ENV": "development", "INSTANCE_PATH": str(folder),
                             "DATABASE_URL": f"sqlite:///{folder / 'tessera.db'}", "BROKER_URL": "stub://",
                             "SMTP_URL": f"file://{folder / 'mail'}", "DISABLE_ENTRY_POINTS": True})
    install_all(runtime)
    return runtime, seed_demo(runtime)


def _invoiced_order(runtime, business_id):
    """A paid demo order with an issued invoice and at least two lines: (order id, document id)."""
    from sqlalchemy import func, select

    from addons.einvoice.models import Document
    from addons.sales.models import Order, OrderLine
    with runtime.session(business_id) as s:
        lines = select(OrderLine.order_id).group_by(OrderLine.order_id).having(func.count() >= 2)
        issued = (select(Order.id, Document.id).join(Document, Document.order_id == Order.id)
                  .where(Document.state.in_(("issued", "sent", "delivered", "paid")), Order.id.in_(lines))
                  .order_by(Order.id.desc()).limit(1))
        # An invoice to a named customer shows more than a walk-in receipt; a receipt will do.
        row = (s.execute(issued.where(Document.type.in_(("vat_invoice", "sales_invoice")),
                                      Order.partner_id.is_not(None))).first()
               or s.execute(issued.where(Document.type != "credit_note")).first())
    if row is None:
        raise click.ClickException("the demo has no invoiced order to show")
    return row


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--hide-scrollbars", "--window-size=1366,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "docs" / "screenshots",
              show_default=True, help="Folder the PNG files are written to.")
@click.option("--lang", type=click.Choice(["en", "ko", "vi", "zh", "ru", "es"]), default="en", show_default=True,
              help="Language of the screens.")
def main(out: Path, lang: str):
    """Take dashboard.png, order.png and invoice-pdf.png from a fresh demo."""
    _needs()
    import logging

    import requests
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from werkzeug.serving import make_server

    from core.app import create_app
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request over the progress bar
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tessera-shots-"))
    browser = server = None
    try:
        with click.progressbar(length=5, label="screenshots") as bar:
            runtime, demo = _instance(work)
            order_id, document_id = _invoiced_order(runtime, demo["business_id"])
            server = make_server("127.0.0.1", 0, create_app(runtime=runtime), threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{server.server_port}"
            bar.update(1)

            browser = _browser()
            wait = WebDriverWait(browser, 30)
            browser.get(base + "/admin/")
            wait.until(ec.presence_of_element_located((By.ID, "login-form")))
            browser.find_element(By.NAME, "email").send_keys(demo["email"])
            browser.find_element(By.NAME, "password").send_keys(demo["password"])
            browser.find_element(By.ID, "login-submit").click()
            switcher = wait.until(ec.presence_of_element_located((By.ID, "locale")))
            if Select(switcher).first_selected_option.get_attribute("value") != lang:
                Select(switcher).select_by_value(lang)
                wait.until(ec.staleness_of(switcher))
            wait.until(ec.presence_of_element_located((By.ID, "locale")))
            browser.execute_script("return document.fonts.ready")
            browser.save_screenshot(str(out / "dashboard.png"))
            bar.update(1)

            browser.get(f"{base}/admin/sales_order/details/?id={order_id}")
            wait.until(ec.presence_of_element_located((By.ID, "doc-number")))
            browser.execute_script("return document.fonts.ready")
            browser.save_screenshot(str(out / "order.png"))
            bar.update(1)

            # The login is bound to the browser's session cookie and user agent.
            pdf = requests.get(f"{base}/admin/einvoice_document/pdf/?id={document_id}", timeout=120,
                               cookies={c["name"]: c["value"] for c in browser.get_cookies()},
                               headers={"User-Agent": browser.execute_script("return navigator.userAgent")})
            if pdf.headers.get("Content-Type") != "application/pdf":
                raise click.ClickException(f"the invoice PDF did not download ({pdf.status_code} {pdf.url})")
            (work / "invoice.pdf").write_bytes(pdf.content)
            bar.update(1)
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                            str(work / "invoice.pdf"), str(out / "invoice-pdf")], check=True)
            bar.update(1)
    finally:
        if browser is not None:
            browser.quit()
        if server is not None:
            server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    for name in ("dashboard.png", "order.png", "invoice-pdf.png"):
        click.echo(out / name)


if __name__ == "__main__":
    main()

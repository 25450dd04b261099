"""Hostile values in every printed field: 0 requests, 0 file bytes, 0 code run.

Three layers are exercised separately: the real e-invoice templates (autoescaping),
a template that deliberately marks the payload safe (only the resource policy
stands between the markup and the network/filesystem), and a control render
with xhtml2pdf's permissive policy proving the harness does see a fetch or a
file open when one happens.
"""
from __future__ import annotations

import http.server
import io
import os
import secrets
import sys
import threading
from pathlib import Path

import pytest

from addons.einvoice.rendering.pdf import render_document_pdf
from core.pdf import register_fonts, render_pdf
from tests.addons.einvoice.pdf_helpers import make_document, make_line, pdf_text

_opened: list[str] = []
_connects: list[str] = []
_watching: set[str] = set()


def _audit(event, args):
    """Record file opens and socket connects of watched targets (audit hooks cannot be removed, so gated)."""
    if not _watching:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if any(w in path for w in _watching):
            _opened.append(path)
    elif event == "socket.connect" and len(args) > 1:
        _connects.append(str(args[1]))


sys.addaudithook(_audit)


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server API)
        type(self).hits.append(self.path)
        body = _png((255, 0, 0))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Counter.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def traps(tmp_path):
    """A secret text file, a secret PNG, and where a code-execution payload would write."""
    token = "SECRET-" + secrets.token_hex(12)
    secret_txt = tmp_path / "secret.txt"
    secret_txt.write_text(token)
    secret_png = tmp_path / "secret.png"
    secret_png.write_bytes(_png((1, 2, 3)))
    marker = tmp_path / "pwned-marker"
    _opened.clear()
    _connects.clear()
    _watching.update({str(secret_txt), str(secret_png), "/etc/passwd", str(marker)})
    yield {"token": token, "txt": secret_txt, "png": secret_png, "marker": marker}
    _watching.clear()


def payloads(port: int, traps: dict) -> list[str]:
    marker = traps["marker"]
    return [
        f'<img src="http://127.0.0.1:{port}/img.png">',
        f'<img src="http://localhost:{port}/host.png">',
        '<img src="/etc/passwd">',
        f'<img src="file://{traps["png"]}">',
        f'<img src="{traps["png"]}">',
        f'<img src="../../../../../../..{traps["txt"]}">',
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/link.css">',
        f'<style>@import url(http://127.0.0.1:{port}/import.css); '
        f'body {{ background-image: url(file://{traps["png"]}) }}</style>',
        f'<pdf:font name="evil" src="{traps["txt"]}"/>',
        f'<div style="background-image: url(http://127.0.0.1:{port}/bg.png)">x</div>',
        # CVE-2023-33733 shape: a colour that is Python which would run if evaluated
        f'<font color="[ [ open(\'{marker}\', \'w\').write(\'x\') for x in [1] ] ] and \'red\'">c</font>',
        f'<para><font color="[[[[ftype(ctype(0,0,0,0,3,67,b\'t\\x00d\\x01\\x83\\x01\',(None,\'os\','
        f'\'touch {marker}\'),(\'__import__\',\'system\'),(),\'<stdin>\',\'\',1,b\'\\x12\\x01\'),{{}})() '
        f'for ftype in [type(lambda: None)]] for ctype in [type(getattr(lambda: {{None}}, \'__code__\'))]]'
        f' for x in [1]] for y in [1]] and \'red\'">exploit</font></para>',
        "{{ 7*7 }}{% raw %}",  # template syntax in data is data
    ]


def hostile_document(payload: str):
    currency = "EUR"
    lines = [make_line(i + 1, f"{payload} line {i}", 1, "10.00", "0.19", currency, sku=payload, unit=payload[:40])
             for i in range(2)]
    party = {key: payload for key in ("legal_name", "name", "tax_id", "address", "city", "postal_code", "phone",
                                      "email", "bank_name", "bank_account", "bic")}
    seller = dict(party, country="DE")
    buyer = dict(party, country="NL", kind="company")
    return make_document("en", lines=lines, seller=seller, buyer=buyer, notes=payload, payment_terms=payload,
                         customer_po=payload, correction_reason=payload, buyer_agreement_ref=payload,
                         series=payload, display_number=payload, type="credit_note", payment_method=payload,
                         corrects=make_document("en", display_number=payload))


def assert_nothing_escaped(pdf: bytes, port_hits: list, traps: dict, *, images: int):
    assert port_hits == [], f"HTTP requests made: {port_hits}"
    assert [c for c in _connects if "127.0.0.1" in c or "localhost" in c] == []
    assert _opened == [], f"files opened: {_opened}"
    assert not traps["marker"].exists(), "payload code ran"
    assert traps["token"].encode() not in pdf
    assert traps["token"] not in pdf_text(pdf)
    assert b"root:x:0:0" not in pdf
    from pypdf import PdfReader
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages) == images


def test_hostile_values_in_every_field_of_the_real_templates(server, traps):
    payload = " ".join(payloads(server, traps))
    style = {"footer_text": payload}
    pdf = render_document_pdf(hostile_document(payload), business_style=style, time_limit=120)
    assert_nothing_escaped(pdf, _Counter.hits, traps, images=0)
    text = " ".join(pdf_text(pdf).split())
    assert '<img src="/etc/passwd">' in text  # printed as text, literally
    assert "{{ 7*7 }}" in text  # template syntax in data stays data


def test_policy_blocks_raw_markup_even_when_a_template_marks_it_safe(server, traps, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "allowed.png").write_bytes(_png((0, 128, 0)))
    (folder / "raw.html").write_text(
        '<html><body><p>start</p>{{ payload|safe }}<img src="allowed.png"><p>end</p></body></html>')
    for payload in payloads(server, traps):
        pdf = render_pdf("raw.html", {"payload": payload}, search_paths=[folder], time_limit=60)
        # the one image inside the template folder loads; nothing else does
        assert_nothing_escaped(pdf, _Counter.hits, traps, images=1)
        assert "start" in pdf_text(pdf) and "end" in pdf_text(pdf)


def test_control_the_harness_sees_fetches_and_opens_when_the_policy_is_permissive(server, traps):
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import PERMISSIVE_POLICY

    register_fonts()
    html = (f'<html><body><img src="http://127.0.0.1:{server}/img.png">'
            f'<img src="{traps["png"]}"></body></html>')
    pisa.pisaDocument(html, dest=io.BytesIO(), resource_policy=PERMISSIVE_POLICY)
    assert _Counter.hits, "the counting server must see an unrestricted fetch"
    assert any(str(traps["png"]) in path for path in _opened), "the audit hook must see the file open"


def _png(rgb) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (4, 4), rgb).save(out, format="PNG")
    return out.getvalue()


def test_secret_file_is_outside_every_allowed_root(traps):
    from addons.einvoice.rendering.pdf import TEMPLATES_DIR
    from core.pdf import FONTS_DIR
    for root in (TEMPLATES_DIR, FONTS_DIR):
        assert not Path(traps["txt"]).resolve().is_relative_to(root)

"""A carrier's own label printed as an HTML page (GHN's print pages), made into a PDF.

The page is the carrier's: its layout, its barcodes and QR codes as it gives
them. Its pictures are either inside the page (``data:`` URIs, kept as they are)
or addresses: those on the carrier's own gateway (the configured base URL's
host, or relative to the page) are fetched through ``fetch`` and put inside the
page as ``data:`` URIs; any other address is dropped and never fetched. The
page is then rendered with core's xhtml2pdf policy (``core.pdf``): no network
at all, local reads only in the bundled fonts, a time limit. Scripts are
removed (nothing runs them): a label whose barcode a script would draw prints
without it, which the carrier's page would not do either without a browser.
"""
from __future__ import annotations

import base64
import re
import unicodedata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from core.errors import UserError
from core.i18n import _

from .carriers import CarrierError, OutcomeUnknown

PAGE_CSS = {"a5": "148mm 210mm", "a6": "105mm 148mm", "80mm": "80mm 120mm"}
MAX_PICTURES = 200
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.I | re.S)
_SRC = re.compile(r"""(\bsrc\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)""", re.I | re.S)
_HEAD = re.compile(r"<head[^>]*>", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_HREF = re.compile(r"""\bhref\s*=\s*(["'])(.*?)\1""", re.I | re.S)


def decode(payload: bytes, content_type: str) -> str:
    match = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    try:
        return payload.decode(match.group(1) if match else "utf-8", "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def inline_pictures(html: str, page_url: str, allowed_host: str, fetch) -> str:
    """``html`` with every picture and style sheet of the carrier's host put inside the page
    (pictures as ``data:`` URIs, ``<link rel=stylesheet>`` as ``<style>``) and every other address
    emptied. ``fetch(url)`` returns (bytes, content type)."""
    cache: dict[str, tuple] = {}

    def get(address: str, base: str):
        """(bytes, type) of an address on the carrier's host; None for any other (never fetched)."""
        url = urljoin(base, address.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != allowed_host.lower():
            return None, url
        if url not in cache:
            if len(cache) >= MAX_PICTURES:
                return None, url
            try:
                cache[url] = fetch(url)
            except (CarrierError, OutcomeUnknown):
                cache[url] = None
        return cache[url], url

    def picture(address: str, base: str) -> str:
        if not address.strip() or address.strip().lower().startswith("data:"):
            return address.strip()
        found, _url = get(address, base)
        if not found or not found[0]:
            return ""
        kind = (found[1] or "").split(";")[0].strip() or "image/png"
        return f"data:{kind};base64,{base64.b64encode(found[0]).decode()}"

    def css(text: str, base: str) -> str:
        return _CSS_URL.sub(lambda m: f"url('{picture(m.group(2), base)}')", text)

    def link(match) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        if "stylesheet" not in tag.lower() or href is None:
            return ""                       # icons, preloads...: nothing a PDF needs
        found, url = get(href.group(2), page_url)
        return f"<style>{css(decode(*found), url)}</style>" if found and found[0] else ""

    html = _LINK.sub(link, html)
    html = _SRC.sub(lambda m: f"{m.group(1)}{m.group(2)}{picture(m.group(3), page_url)}{m.group(2)}", html)
    return css(html, page_url)


def join_pdfs(parts: list[bytes]) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def html_to_label_pdf(html: str, size: str, *, time_limit: float = 30.0) -> bytes:
    """The carrier's label page as PDF bytes (pages of ``size`` unless the page sets its own)."""
    from core.pdf import FONTS_DIR, html_to_pdf, resource_policy

    html = unicodedata.normalize("NFC", _SCRIPT.sub("", html))
    page = f"<style>@page {{ size: {PAGE_CSS.get(size, PAGE_CSS['a5'])}; margin: 3mm; }}</style>"
    head = _HEAD.search(html)
    # first in the head, so the carrier's own @page (if any) comes later and wins
    html = html[:head.end()] + page + html[head.end():] if head else page + html
    pdf = html_to_pdf(html, path=str(Path(FONTS_DIR) / "label.html"),
                      policy=resource_policy([FONTS_DIR], time_limit=time_limit))
    if not pdf.startswith(b"%PDF"):
        raise UserError(_("the carrier's label page gave no PDF"))
    return pdf

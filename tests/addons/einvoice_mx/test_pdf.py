"""The PDF of a CFDI: made once stamped, with the fiscal block and SAT's verification QR."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.errors import UserError


def _text(pdf: bytes) -> str:
    import io
    from pypdf import PdfReader
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_waits_for_the_stamp_then_carries_it(mx):
    from addons.einvoice.services.documents import ensure_pdf, get_document
    from addons.einvoice.rendering.qr import qr_payload
    doc_id = mx.issue(mx.draft(language="es"))
    with pytest.raises(UserError, match="not stamped yet"), mx.tx() as s:
        ensure_pdf(s, get_document(s, doc_id))
    mx.run_jobs("einvoice.")            # stamps, then renders the PDF (einvoice.render_pdf)
    row = mx.cfdi(doc_id)
    with mx.session() as s:
        doc = get_document(s, doc_id)
        pdf = doc.pdf
        qr = qr_payload(doc)
    assert pdf is not None
    text = " ".join(_text(pdf).split())
    for needle in ("Folio fiscal (UUID)", row.uuid, "30001000000500003416", "Sello digital del SAT",
                   "Cadena original del complemento de certificación digital del SAT", "Timbre fuera de línea"):
        assert needle in text, needle
    url = urlsplit(qr["payload"])
    assert url.netloc == "verificacfdi.facturaelectronica.sat.gob.mx"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    from lxml import etree
    root = etree.fromstring(row.stamped_xml)
    assert query == {"id": row.uuid, "re": "EKU9003173C9", "rr": "URE180429TM6", "tt": "232.00",
                     "fe": root.get("Sello")[-8:]}


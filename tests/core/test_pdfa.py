"""Every rendered PDF is PDF/A-3b: embedded fonts only, XMP metadata matching the Info
dictionary, an sRGB output intent, and attachments as PDF/A-3 associated files.

No PDF/A validator installs from PyPI or Debian here (veraPDF does not), so these are
the structural checks of ISO 19005-3 that a validator makes first, read back with pypdf.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from lxml import etree
from pypdf import PdfReader

from core.errors import UserError
from core.pdf import render_pdf
from core.pdfa import SRGB_PROFILE, Attachment, to_pdfa3b, unembedded_fonts

# Everything that made ReportLab or xhtml2pdf fall back to their default font:
# the canvas preamble, table cells, an empty block, an anchor, bold and italic runs.
DEFAULTS_HTML = """<html lang="de"><body>
<div></div><p><a name="top"></a>Plain <b>bold</b> <i>italic</i> <b><i>both</i></b></p>
<table><tr><td>cell</td><td></td></tr></table>
</body></html>"""
NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "pdfaid": "http://www.aiim.org/pdfa/ns/id/", "dc": "http://purl.org/dc/elements/1.1/",
      "xmp": "http://ns.adobe.com/xap/1.0/", "pdf": "http://ns.adobe.com/pdf/1.3/"}


@pytest.fixture()
def render(tmp_path):
    def go(html: str = DEFAULTS_HTML, **kw) -> bytes:
        (tmp_path / "doc.html").write_text(html, encoding="utf-8")
        return render_pdf("doc.html", {}, search_paths=[tmp_path], **kw)
    return go


def fonts(reader) -> list:
    return [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]


def test_default_fonts_are_embedded_truetype_never_a_standard_14_font(render):
    reader = PdfReader(io.BytesIO(render()))
    used = fonts(reader)
    assert used and unembedded_fonts(reader) == set()
    for font in used:
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
        assert str(font["/BaseFont"]).split("+")[-1].startswith("DejaVuSans")


def test_a_template_asking_for_an_unembedded_font_is_refused(render):
    with pytest.raises(UserError, match="not embedded: Courier"):
        render("<html><body><p style='font-family: Courier'>mono</p></body></html>")


def test_xmp_declares_pdfa_3b_and_matches_the_info_dictionary(render):
    reader = PdfReader(io.BytesIO(render(title="Rechnung INV-1 <&>", author="Muster GmbH")))
    assert reader.pdf_header == "%PDF-1.7"
    assert len(reader.trailer["/ID"]) == 2
    metadata = reader.trailer["/Root"]["/Metadata"].get_object()
    assert (metadata["/Type"], metadata["/Subtype"]) == ("/Metadata", "/XML")
    assert "/Filter" not in metadata
    xmp = etree.fromstring(metadata.get_data())
    assert xmp.xpath("//pdfaid:part/text()", namespaces=NS) == ["3"]
    assert xmp.xpath("//pdfaid:conformance/text()", namespaces=NS) == ["B"]
    info = reader.metadata
    assert xmp.xpath("//dc:title//rdf:li/text()", namespaces=NS) == [info["/Title"]] == ["Rechnung INV-1 <&>"]
    assert xmp.xpath("//dc:creator//rdf:li/text()", namespaces=NS) == [info["/Author"]]
    assert xmp.xpath("//pdf:Producer/text()", namespaces=NS) == [info["/Producer"]]
    assert xmp.xpath("//xmp:CreatorTool/text()", namespaces=NS) == [info["/Creator"]]
    created = datetime.fromisoformat(xmp.xpath("//xmp:CreateDate/text()", namespaces=NS)[0])
    assert created == info.creation_date.replace(tzinfo=timezone.utc)
    assert set(info) == {"/Title", "/Author", "/Creator", "/Producer", "/CreationDate", "/ModDate"}


def test_srgb_output_intent_carries_the_bundled_icc_profile(render):
    reader = PdfReader(io.BytesIO(render()))
    (intent,) = [i.get_object() for i in reader.trailer["/Root"]["/OutputIntents"]]
    assert (intent["/Type"], intent["/S"]) == ("/OutputIntent", "/GTS_PDFA1")
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.get_data() == SRGB_PROFILE.read_bytes()
    assert profile.get_data()[12:20] == b"mntrRGB "  # a display RGB profile


def test_attachment_is_an_associated_file_with_the_exact_bytes(render):
    xml = "<Invoice>Größe 10 €</Invoice>".encode("utf-8")
    pdf = render(attachments=(Attachment("invoice.xml", xml, description="UBL 2.1 invoice"),))
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    (spec,) = [ref.get_object() for ref in root["/AF"]]
    assert (spec["/F"], spec["/UF"], spec["/AFRelationship"]) == ("invoice.xml", "invoice.xml", "/Alternative")
    assert spec["/EF"].raw_get("/UF") == spec["/EF"].raw_get("/F")  # one indirect stream, never inline
    stream = spec["/EF"]["/F"].get_object()
    assert spec["/EF"]["/UF"].get_object().get_data() == stream.get_data() == xml
    assert stream["/Subtype"] == "/application/xml"
    assert stream["/Params"]["/Size"] == len(xml) and "/ModDate" in stream["/Params"]
    assert reader.attachments == {"invoice.xml": [xml]}
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "invoice.xml" and names[1].get_object() == spec


def test_unknown_relationship_is_refused(render):
    plain = render()
    with pytest.raises(UserError, match="relationship must be one of"):
        to_pdfa3b(plain, title="x", attachments=(Attachment("a.xml", b"<a/>", relationship="Copy"),))

"""PDF/A-3b: PDFs an archive keeps for ten years, able to carry their own e-invoice.

xhtml2pdf and ReportLab write a plain PDF 1.4. This module rewrites it (with
pypdf) into PDF/A-3 level B, ISO 19005-3:

* every font must be embedded: ``unembedded_fonts`` finds any that is not and
  the conversion refuses such a PDF (``core.pdf`` registers the standard
  Helvetica names as the bundled DejaVu so ReportLab's defaults comply);
* the document information dictionary and an XMP metadata stream say the same
  thing, and the XMP declares ``pdfaid:part=3`` / ``pdfaid:conformance=B``;
* an sRGB OutputIntent (``core/color/sRGB.icc``) gives the device colours a
  meaning;
* attachments are embedded files with a MIME type, a modification date and an
  ``/AFRelationship``, listed in the catalogue's ``/AF`` (an EN 16931 invoice
  travels inside its PDF as the ``Alternative`` representation).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from .errors import UserError

# pypdf (with fontTools, arabic_reshaper and its crypto providers behind it) is imported by the
# functions that convert, on the first document: an app that never prints does not pay for it at
# start-up (``core.pdf`` is imported by every addon that can print).

SRGB_PROFILE = Path(__file__).resolve().parent / "color" / "sRGB.icc"
PRODUCER = "Tessera (xhtml2pdf, ReportLab, pypdf)"
RELATIONSHIPS = ("Source", "Data", "Alternative", "Supplement", "Unspecified")


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF; ``relationship`` is its PDF/A-3 ``/AFRelationship``."""
    filename: str
    data: bytes
    mime_type: str = "application/xml"
    description: str = ""
    relationship: str = "Alternative"


def to_pdfa3b(pdf: bytes, *, title: str, author: str = "", attachments: tuple[Attachment, ...] = ()) -> bytes:
    """``pdf`` rewritten as PDF/A-3b with its metadata, output intent and ``attachments``."""
    from pypdf import PdfReader, PdfWriter
    reader = PdfReader(io.BytesIO(pdf))
    missing = unembedded_fonts(reader)
    if missing:
        raise UserError(f"PDF/A needs every font embedded; not embedded: {', '.join(sorted(missing))} "
                        f"(use the bundled fonts of core.pdf.font_stack in the template)")
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = "%PDF-1.7"
    _set_metadata(writer, title=title, author=author, stamp=stamp)
    _add_output_intent(writer)
    for attachment in attachments:
        _attach(writer, attachment, stamp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def unembedded_fonts(reader) -> set[str]:
    """Base names of the fonts any page (or form XObject on it) uses without embedding them."""
    missing: set[str] = set()
    seen: set[int] = set()

    def visit(resources) -> None:
        if resources is None or id(resources) in seen:
            return
        seen.add(id(resources))
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            if not _embedded(font):
                missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return missing


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":  # glyphs are content streams of the font itself
        return True
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _set_metadata(writer, *, title: str, author: str, stamp: datetime) -> None:
    """Info dictionary and XMP with the same values, as PDF/A requires of every Info key present."""
    pdf_date = stamp.strftime("D:%Y%m%d%H%M%S+00'00'")
    info = {"/Title": title, "/Creator": "Tessera", "/Producer": PRODUCER,
            "/CreationDate": pdf_date, "/ModDate": pdf_date}
    if author:
        info["/Author"] = author
    writer.metadata = info
    writer.xmp_metadata = xmp_packet(title=title, author=author, stamp=stamp)
    from pypdf.generic import NameObject
    stream = writer.root_object["/Metadata"].get_object()
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")


def xmp_packet(*, title: str, author: str, stamp: datetime) -> bytes:
    """The XMP metadata packet of a PDF/A-3b file (only standard schemas, so no extension schema)."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    creator = (f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>"
               if author else "")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   {creator}
   <xmp:CreatorTool>Tessera</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode("utf-8")


def _add_output_intent(writer) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject, TextStringObject
    profile = StreamObject()
    profile.set_data(SRGB_PROFILE.read_bytes())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"), NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/DestOutputProfile"): writer._add_object(profile),
    })
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])


def _attach(writer, attachment: Attachment, stamp: datetime) -> None:
    """Embed ``attachment`` with what PDF/A-3 asks of an associated file (F, UF, Subtype, ModDate, AF)."""
    if attachment.relationship not in RELATIONSHIPS:
        raise UserError(f"attachment {attachment.filename}: relationship must be one of {', '.join(RELATIONSHIPS)}")
    from pypdf.generic import ArrayObject, NameObject, NumberObject, TextStringObject
    embedded = writer.add_attachment(attachment.filename, attachment.data)
    embedded.alternative_name = TextStringObject(attachment.filename)
    embedded.subtype = NameObject("/" + attachment.mime_type)
    embedded.modification_date = stamp
    embedded.size = NumberObject(len(attachment.data))
    if attachment.description:
        embedded.description = TextStringObject(attachment.description)
    embedded.associated_file_relationship = NameObject("/" + attachment.relationship)
    filespec = embedded.pdf_object
    files = filespec["/EF"]
    files[NameObject("/UF")] = files.raw_get("/F")  # the same indirect stream: a stream is never inline
    associated = writer.root_object.setdefault(NameObject("/AF"), ArrayObject())
    associated.append(filespec.indirect_reference)

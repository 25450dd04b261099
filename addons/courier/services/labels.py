"""Shipping labels: one PDF for any selection of shipments, A5, A6 or 80 mm.

Where the carrier prints labels (``Carrier.prints_labels``) its own PDF is used;
otherwise (the manual carrier, or a carrier whose print call gives nothing)
Tessera draws one page per parcel with a Code 128 barcode of the tracking
number (ReportLab's barcode, which xhtml2pdf already brings). Every print
counts on the shipment (``label_prints``, in the audit log).
"""
from __future__ import annotations

import io

from core.errors import UserError
from core.formatting import amount as fmt_amount
from core.i18n import _, in_language
from core.models import Business
from core.pdf import register_fonts

from .. import states
from ..carriers import instantiate
from ..html_label import join_pdfs
from .shipments import find_shipment, runtime_of, snapshot

MM = 72 / 25.4
PAGE_SIZES = {"a5": (148 * MM, 210 * MM), "a6": (105 * MM, 148 * MM), "80mm": (80 * MM, 120 * MM)}
FONT, BOLD = "TesseraLatin", "TesseraLatin-Bold"


def check_size(size: str) -> str:
    if size not in states.LABEL_SIZES:
        raise UserError(_("size: %(value)r is not one of %(choices)s", value=size,
                          choices=", ".join(states.LABEL_SIZES)))
    return size


def print_labels(session, refs, size: str) -> bytes:
    """The labels of the shipments named by ``refs`` (numbers, tracking numbers or ids), as one PDF.

    Counts the print on each shipment in ``session`` (the caller commits): a request prints in
    its own transaction, never in a second one beside it.
    """
    check_size(size)
    if not refs:
        raise UserError(_("shipments: name at least one"))
    runtime, business_id = runtime_of(session), session.info["business_id"]
    rows = [find_shipment(session, ref) for ref in refs]
    for row in rows:
        if row.request_state != "done" or row.state == states.CANCELLED:
            raise UserError(_("shipment %(number)s has no label: it is not created at the carrier",
                              number=row.number))
    business = session.get(Business, business_id)
    sender = {"name": business.legal_name or business.name, "phone": business.phone or "",
              "address": business.address or ""}
    # Labels are read by the courier's staff: in the business's (first) language, not the clerk's.
    language = (business.languages or ["en"])[0]
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.carrier, []).append(row)
    parts = []
    for code, group in groups.items():
        carrier = instantiate(runtime, session, business_id, code)
        data = [(snapshot(r), r.order.number, carrier.name, r) for r in group]
        pdf = carrier.label([d[0] for d in data], size) if carrier.prints_labels else None
        if pdf is None:
            with in_language(language, manifests=runtime.registry.manifests.values()):
                pdf = draw_labels(data, size, sender, language)
        parts.append(pdf)
    for row in rows:
        row.label_prints += 1
    session.flush()
    return parts[0] if len(parts) == 1 else join_pdfs(parts)


def draw_labels(items, size: str, sender: dict, language: str = "en") -> bytes:
    """Tessera's own label: one page per parcel."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    width, height = PAGE_SIZES[size]
    scale = width / PAGE_SIZES["a6"][0]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setTitle("Labels")
    margin = 5 * MM
    for data, order_number, carrier_label, row in items:
        count = len(data.parcels)
        for index, parcel in enumerate(data.parcels, start=1):
            box = "x".join(str(v) for v in (parcel.length_cm, parcel.width_cm, parcel.height_cm))
            tracking = parcel.tracking_number or data.tracking_number or data.number
            y = height - margin
            canvas.setFont(BOLD, 11 * scale)
            y -= 11 * scale
            canvas.drawString(margin, y, f"{carrier_label} · {row.service_label or data.service}"[:60])
            barcode = Code128(tracking, barHeight=16 * MM * scale, barWidth=max(0.6, 1.0 * scale), humanReadable=False)
            fit = min(1.0, (width - 2 * margin) / barcode.width)
            y -= barcode.height + 4
            canvas.saveState()
            canvas.translate(margin, y)
            canvas.scale(fit, 1)
            barcode.drawOn(canvas, 0, 0)
            canvas.restoreState()
            canvas.setFont(BOLD, 13 * scale)
            y -= 14 * scale
            canvas.drawString(margin, y, tracking)
            lines = [(BOLD, _("To: %(name)s  %(phone)s", name=data.receiver.get("name", ""),
                              phone=data.receiver.get("phone", "")))]
            address = ", ".join(data.receiver.get(k) for k in ("street", "ward", "district", "province")
                                if data.receiver.get(k))
            lines += [(FONT, part) for part in _wrap(address, int(48 / scale * (width / PAGE_SIZES["a6"][0])))]
            lines += [(FONT, _("From: %(name)s  %(phone)s", name=sender["name"], phone=sender["phone"]))]
            lines += [(FONT, part) for part in _wrap(sender["address"], 60)]
            lines += [(BOLD, _("COD: %(amount)s", amount=fmt_amount(data.cod_amount, data.currency, language))),
                      (FONT, _("Parcel %(index)s of %(count)s · %(weight)s g · %(size)s cm", index=index,
                               count=count, weight=parcel.weight_g, size=box)),
                      (FONT, _("Shipment %(number)s · order %(order)s", number=data.number, order=order_number)),
                      (FONT, str(states.REQUIRED_NOTE_LABELS.get(data.required_note, data.required_note)))]
            lines = [(font, str(text)) for font, text in lines]
            for font, text in lines:
                y -= 10 * scale
                if y < margin:
                    break
                canvas.setFont(font, 8 * scale)
                canvas.drawString(margin, y, text[:90])
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = (text or "").split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > max(20, width):
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines[:4]

"""Screens that are not lists: the signing certificate upload, and a draft's Vietnamese details.

*Settings › Vietnamese signing certificate* (``einvoice_vn_certificate``): the certificate in use
(subject, serial, validity; never the file or its password) and a form taking the PKCS#12 file and
its password (a masked input). ``services.certificate.upload_certificate`` opens it with the
password, checks it is valid now and names this business's tax code, and stores both as encrypted
secret settings; a file or password that does not open is refused with the service's message and
nothing is stored. Permissions ``einvoice_vn.certificate.read`` / ``.edit``.

The draft's Vietnamese details (``einvoice_vn_details``: the drafts and their details; the form is
on einvoice's document page, ``document_actions`` in ``admin.py``, posting here): the buyer's 12-digit personal id, the payment text and each
line's nature (goods, promotion, discount, note), through ``services.details.set_details``.
Permission ``einvoice_vn.details.edit``.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose

from core.admin import SecureView, run_service
from core.errors import UserError
from core.i18n import _, _l

from .services import certificate, details
from .taxcodes import NATURE_CODES

NATURE_LABELS = {"goods": _l("Goods or service"), "promotion": _l("Promotion (free of charge)"),
                 "discount": _l("Trade discount"), "note": _l("Note (no amount)")}
assert set(NATURE_LABELS) == set(NATURE_CODES)


class CertificateView(SecureView):
    addon = "einvoice_vn"
    permission = "einvoice_vn.certificate"

    def action_for(self, name):
        return "edit" if request.method == "POST" else "read"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        from core.web.context import db
        if request.method == "POST":
            upload = request.files.get("p12")
            data = upload.read() if upload is not None and upload.filename else b""
            password = request.form.get("password", "")
            done, info = run_service(lambda s: certificate.upload_certificate(s, data, password))
            if done:
                from core.web.formatting import date_
                flash(_("Certificate of %(subject)s stored (valid until %(until)s)", subject=info["subject"],
                        until=date_(info["valid_to"].date())), "success")
                return redirect(url_for(".index"))
        current, problem = None, None
        try:
            pair = certificate.signer(db())
        except UserError as exc:  # stored, but expired or unreadable now
            pair, problem = None, str(exc)
        if pair is not None:
            from .signing import describe
            current = describe(pair[1])
        return self.render("einvoice_vn/web/certificate.html", current=current, problem=problem)


class DetailsView(SecureView):
    addon = "einvoice_vn"
    permission = "einvoice_vn.details"

    def action_for(self, name):
        return "edit" if request.method == "POST" else "read"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "GET":
            return self._drafts()
        form = request.form
        document_id = form.get("document_id", "")
        back = form.get("back") or ""
        back = back if back.startswith("/") and not back.startswith("//") else url_for("einvoice_document.index_view")
        natures = {}
        for key, value in form.items():
            if key.startswith("nature_") and key[7:].isdigit() and value and value != "goods":
                natures[key[7:]] = value

        def go(s):
            if not document_id.isdigit():
                raise UserError(_("document: choose the draft to change"))
            return details.set_details(s, int(document_id), buyer_personal_id=form.get("buyer_personal_id") or None,
                                       buyer_contact=form.get("buyer_contact") or None, line_natures=natures,
                                       payment_text=form.get("payment_text") or None)
        run_service(go, _("Vietnamese invoice details saved"))
        return redirect(back)

    def _drafts(self):
        """The drafts (newest first) with their Vietnamese details; each is set on its document page."""
        from sqlalchemy import select
        from addons.einvoice.models import Document
        from core.web.context import db
        from .models import VnDetails
        rows = db().execute(select(Document, VnDetails).outerjoin(VnDetails, VnDetails.document_id == Document.id)
                            .where(Document.state == "draft").order_by(Document.id.desc()).limit(100)).all()
        drafts = [{"id": doc.id, "label": doc.label, "buyer": (doc.buyer or {}).get("name") or "",
                   "personal_id": extra.buyer_personal_id if extra else "",
                   "payment": extra.payment_text if extra else "",
                   "natures": ", ".join(f"{pos}: {NATURE_LABELS[n]}" for pos, n in sorted(
                       (extra.line_natures or {}).items(), key=lambda item: int(item[0]))) if extra else ""}
                  for doc, extra in rows]
        return self.render("einvoice_vn/web/details.html", drafts=drafts)

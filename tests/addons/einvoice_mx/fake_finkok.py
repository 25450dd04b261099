"""A fake Finkok on 127.0.0.1 that answers the documented SOAP shapes (https://wiki.finkok.com).

stamp.wsdl: ``stamp`` (a base64 sealed CFDI; the stamped XML, UUID, Fecha,
CodEstatus, SatSeal, NoCertificadoSAT and Incidencias), ``stamped`` (the
earlier stamp, or incidencia 603 "El CFDI no contiene un timbre previo").
A CFDI stamped before is answered by ``stamp`` with incidencia 307 "El CFDI
contiene un timbre previo" (Finkok keys the CFDI by its seal). cancel.wsdl:
``cancel_signature`` (Folios/Folio with EstatusUUID 201 and
EstatusCancelacion; 202 for one asked before) and ``get_sat_status`` (the sat
node: CodigoEstatus, EsCancelable, Estado, EstatusCancelacion).

Quirks to test with: ``hang_after_stamp`` (stamp, then answer after the
client's timeout), ``fail_5xx`` (HTTP 500 before doing anything), and
``acceptance`` (what SAT says of each cancellation: "Cancelado sin
aceptación", or "En proceso" that later moves to ``decision``).
"""
from __future__ import annotations

import base64
import threading
import time
import uuid as uuidlib
from datetime import datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from lxml import etree

APPS = "apps.services.soap.core.views"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ACUSE = escape('<Acuse Fecha="2026-12-01T10:00:00"/>')
NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "can": "http://cancelacfd.sat.gob.mx"}


def _envelope(op: str, service: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><senv:Envelope xmlns:senv="{SOAP}" xmlns:s0="{APPS}" '
            f'xmlns:tns="http://facturacion.finkok.com/{service}"><senv:Body><tns:{op}Response><tns:{op}Result>'
            f'{body}</tns:{op}Result></tns:{op}Response></senv:Body></senv:Envelope>').encode()


def _incidencia(code: str, message: str, uuid: str = "") -> str:
    return (f"<s0:Incidencias><s0:Incidencia><s0:IdIncidencia>1</s0:IdIncidencia><s0:Uuid>{uuid}</s0:Uuid>"
            f"<s0:CodigoError>{code}</s0:CodigoError><s0:WorkProcessId>x</s0:WorkProcessId>"
            f"<s0:MensajeIncidencia>{message}</s0:MensajeIncidencia></s0:Incidencia></s0:Incidencias>")


class FakeFinkok:
    def __init__(self, signer, username="user@test", password="secret"):
        self.signer, self.username, self.password = signer, username, password
        self.stamps: dict[str, tuple[str, bytes]] = {}      # Sello -> (UUID, stamped XML)
        self.calls: list[str] = []
        self.cancellations: dict[str, dict] = {}
        self.hang_after_stamp = 0.0
        self.fail_5xx = 0
        self.acceptance = "Cancelado sin aceptación"
        self.decision = "Cancelado con aceptación"
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake.fail_5xx:
                    fake.fail_5xx -= 1
                    return self._send(500, b"<html>Internal Server Error</html>")
                op = etree.fromstring(body).find(f"{{{SOAP}}}Body")[0]
                name = etree.QName(op).localname
                fake.calls.append(name)
                args = {etree.QName(c).localname: c for c in op}
                if args["username"].text != fake.username or args["password"].text != fake.password:
                    return self._send(200, _envelope(name, "stamp", "<s0:CodEstatus>Usuario o contraseña "
                                                                    "inválidos</s0:CodEstatus><s0:Incidencias/>"))
                answer, hang = getattr(fake, f"_{name}")(args)
                if hang:
                    time.sleep(hang)
                self._send(200, answer)

            def _send(self, status, data):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: the stamp exists all the same

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # ---------------------------------------------------------------- stamp.wsdl

    def _stamped_answer(self, op, uuid, xml):
        return _envelope(op, "stamp", f"<s0:xml>{escape(xml.decode())}</s0:xml><s0:UUID>{uuid}</s0:UUID>"
                                      f"<s0:Fecha>2026-12-01T10:00:00</s0:Fecha><s0:CodEstatus>Comprobante timbrado "
                                      f"satisfactoriamente</s0:CodEstatus><s0:SatSeal>x</s0:SatSeal>"
                                      f"<s0:Incidencias/><s0:NoCertificadoSAT>{self.signer.certificate_number}"
                                      f"</s0:NoCertificadoSAT>")

    def _stamp(self, args):
        from satcfdi.cfdi import CFDI
        from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital
        xml = base64.b64decode(args["xml"].text)
        cfdi = CFDI.from_string(xml)
        with self.lock:
            if cfdi["Sello"] in self.stamps:
                uuid = self.stamps[cfdi["Sello"]][0]
                return _envelope("stamp", "stamp", _incidencia("307", "El CFDI contiene un timbre previo", uuid)), 0
            uuid = str(uuidlib.uuid4()).upper()
            fecha = datetime.now(ZoneInfo("America/Mexico_City")).replace(tzinfo=None, microsecond=0)
            cfdi["Complemento"] = {"TimbreFiscalDigital": TimbreFiscalDigital(
                proveedor=_Pac(self.signer), uuid=uuid, fecha_timbrado=fecha, sello_cfd=cfdi["Sello"])}
            stamped = cfdi.xml_bytes(include_schema_location=True)
            self.stamps[cfdi["Sello"]] = (uuid, stamped)
        return self._stamped_answer("stamp", uuid, stamped), self.hang_after_stamp

    def _quick_stamp(self, args):
        """Same request and answer as ``stamp``; Finkok sends the CFDI to SAT afterwards."""
        answer, hang = self._stamp(args)
        return answer.replace(b"stampResponse", b"quick_stampResponse").replace(b"stampResult",
                                                                                b"quick_stampResult"), hang

    def _stamped(self, args):
        from satcfdi.cfdi import CFDI
        cfdi = CFDI.from_string(base64.b64decode(args["xml"].text))
        found = self.stamps.get(cfdi["Sello"])
        if found is None:
            return _envelope("stamped", "stamp", _incidencia("603", "El CFDI no contiene un timbre previo")), 0
        return self._stamped_answer("stamped", *found), 0

    # ---------------------------------------------------------------- cancel.wsdl

    def _cancel_signature(self, args):
        request = etree.fromstring(base64.b64decode(args["xml"].text))
        folio = request.find("can:Folios/can:Folio", NS)
        uuid, motive = folio.get("UUID"), folio.get("Motivo")
        known = any(u == uuid for u, _xml in self.stamps.values())
        if not known:
            body = "<s0:CodEstatus>UUID No Encontrado</s0:CodEstatus>"
            return _envelope("cancel_signature", "cancel", body), 0
        previous = uuid in self.cancellations
        status = self.cancellations.setdefault(uuid, {"status": self.acceptance, "motive": motive,
                                                      "replacement": folio.get("FolioSustitucion")})["status"]
        body = (f"<s0:Folios><s0:Folio><s0:EstatusUUID>{'202' if previous else '201'}</s0:EstatusUUID>"
                f"<s0:EstatusCancelacion>{status}</s0:EstatusCancelacion><s0:UUID>{uuid}</s0:UUID></s0:Folio>"
                f"</s0:Folios><s0:Acuse>{ACUSE}</s0:Acuse>"
                f"<s0:Fecha>2026-12-01T10:00:00</s0:Fecha><s0:RfcEmisor>{request.get('RfcEmisor')}</s0:RfcEmisor>")
        return _envelope("cancel_signature", "cancel", body), 0

    def decide(self):
        """The receiver answers every pending cancellation (``decision``)."""
        for entry in self.cancellations.values():
            if entry["status"] == "En proceso":
                entry["status"] = self.decision

    def _get_sat_status(self, args):
        uuid = args["uuid"].text
        entry = self.cancellations.get(uuid)
        status = entry["status"] if entry else ""
        estado = "Cancelado" if status.startswith("Cancelado") or status == "Plazo vencido" else "Vigente"
        body = (f"<s0:sat><s0:CodigoEstatus>S - Comprobante obtenido satisfactoriamente.</s0:CodigoEstatus>"
                f"<s0:EsCancelable>Cancelable con aceptación</s0:EsCancelable><s0:Estado>{estado}</s0:Estado>"
                f"<s0:EstatusCancelacion>{status}</s0:EstatusCancelacion></s0:sat>")
        return _envelope("get_sat_status", "cancel", body), 0


class _Pac:
    def __init__(self, signer):
        self._signer = signer
        self.rfc_pac = "FIN1203015JA"
        self.certificate_number = signer.certificate_number

    def sign_sha256(self, data):
        return self._signer.sign_sha256(data)

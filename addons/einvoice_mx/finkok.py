"""Finkok, a PAC with a public SOAP API (https://wiki.finkok.com), through satcfdi's Finkok client.

Services used (``<url>/servicios/soap/stamp.wsdl`` and ``cancel.wsdl``):
``stamp`` (a sealed CFDI in, the TimbreFiscalDigital out; or ``quick_stamp``,
same shapes, per the setting ``finkok_method``), ``stamped`` (the
stamp of a CFDI stamped earlier: how a lost answer is recovered),
``cancel_signature`` (a cancellation request sealed with the CSD) and
``get_sat_status`` (SAT's Estado, EsCancelable, EstatusCancelacion).
satcfdi (``satcfdi/pacs/finkok.py``) builds the SOAP envelopes, the sealed
Cancelacion and parses stamp answers; this adapter adds what a job needs:
the base URL from the settings (tests point it at a fake server), a timeout,
timeouts and 5xx as ``OutcomeUnknown``, and Finkok's code 307 ("El CFDI
contiene un timbre previo") answered by fetching the earlier stamp with
``stamped`` instead of sending again. Code 603 from ``stamped`` means Finkok
never stamped the CFDI.
"""
from __future__ import annotations

from decimal import Decimal

from lxml import etree

from addons.einvoice.providers import OutcomeUnknown

from .providers import MxStampProvider, PacRefused

ALREADY_STAMPED = "307"
NOT_STAMPED = "603"


def _client(conf: dict):
    import requests
    from satcfdi.exceptions import ResponseError
    from satcfdi.pacs import Environment
    from satcfdi.pacs.finkok import Finkok

    class Client(Finkok):
        def __init__(self):
            super().__init__(conf["finkok_username"], conf["finkok_password"], Environment.TEST)
            self._base, self._timeout = conf["finkok_url"].rstrip("/"), conf["pac_timeout"]

        @property
        def host(self):
            return self._base

        def _validate_stamp_response(self, root):
            super()._validate_stamp_response(root)
            if root.find(".//apps:xml", self.namespaces) is None:
                # No incidencia and no stamp: Finkok says why in CodEstatus (a bad user or password, say).
                raise ResponseError(f"- {_text(root, 'CodEstatus') or 'no stamp in the answer'}")

        def _perform_request(self, url, envelope):
            try:
                response = requests.post(url, data=etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
                                         headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=self._timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise OutcomeUnknown(f"Finkok did not answer: {exc.__class__.__name__}") from exc
            if response.status_code >= 500:
                raise OutcomeUnknown(f"Finkok answered HTTP {response.status_code}")
            if response.status_code >= 400:
                raise PacRefused(f"Finkok answered HTTP {response.status_code}")
            try:
                return etree.fromstring(response.content)
            except etree.XMLSyntaxError as exc:
                raise OutcomeUnknown(f"Finkok's answer is not XML: {exc}") from exc

    return Client()


def _raw_cfdi(xml: bytes):
    from satcfdi.cfdi import CFDI

    class RawCfdi(CFDI):
        def xml_bytes(self, *args, **kw):
            return xml
    return RawCfdi()


def _code(message: str) -> str:
    return message.split(" - ", 1)[0].strip()


def _text(root, name: str) -> str | None:
    found = root.xpath(f".//*[local-name()='{name}']")
    return found[0].text if found and found[0].text is not None else None


class FinkokProvider(MxStampProvider):
    code = "finkok"
    label = "Mexico CFDI through the PAC Finkok"

    def _conf(self, business_id: int) -> dict:
        from .services.build import settings
        with self.runtime.session(business_id) as session:
            conf = settings(session)
        if not conf["finkok_username"] or not conf["finkok_password"]:
            raise PacRefused("Finkok user and password are not set (Settings > Addons > Mexico CFDI)")
        return conf

    def stamp(self, business_id: int, signed_xml: bytes) -> bytes:
        from satcfdi.exceptions import ResponseError
        conf = self._conf(business_id)
        client = _client(conf)
        try:
            return getattr(client, conf["finkok_method"])(_raw_cfdi(signed_xml)).xml
        except ResponseError as exc:
            if _code(str(exc)) == ALREADY_STAMPED:
                stamped = self._stamped(client, signed_xml)
                if stamped is not None:
                    return stamped
            raise PacRefused(f"Finkok: {exc}") from None

    def recover(self, business_id: int, signed_xml: bytes) -> bytes | None:
        return self._stamped(_client(self._conf(business_id)), signed_xml)

    def _stamped(self, client, signed_xml: bytes) -> bytes | None:
        from satcfdi.exceptions import ResponseError
        try:
            return client.stamped(_raw_cfdi(signed_xml)).xml
        except ResponseError as exc:
            if _code(str(exc)) == NOT_STAMPED:
                return None
            raise PacRefused(f"Finkok: {exc}") from None

    def cancel_cfdi(self, business_id: int, facts: dict) -> dict:
        from satcfdi.create.cancela import cancelacion
        client = _client(self._conf(business_id))
        folio = cancelacion.Folio(facts["uuid"], facts["motive"], facts.get("replacement"))
        request = cancelacion.Cancelacion(facts["signer"], folio)
        root = client._perform_request(client.get_service_url("cancel"), client._build_xml_envelope(request, "cancel"))
        status_uuid, status = _text(root, "EstatusUUID"), _text(root, "EstatusCancelacion")
        cod = _text(root, "CodEstatus")
        if status_uuid not in ("201", "202"):
            raise PacRefused(f"Finkok refused the cancellation: {status_uuid or cod or 'no status'}")
        return {"estatus_cancelacion": status or None, "ack": _text(root, "Acuse")}

    def sat_status(self, business_id: int, facts: dict) -> dict:
        client = _client(self._conf(business_id))
        ns = client.namespaces["cancel"]
        op = etree.Element(etree.QName(ns, "get_sat_status"))
        client._add_auth(op, ns)
        for name, value in (("taxpayer_id", facts["emisor_rfc"]), ("rtaxpayer_id", facts["receptor_rfc"]),
                            ("uuid", facts["uuid"]), ("total", f"{Decimal(facts['total']):.2f}")):
            etree.SubElement(op, etree.QName(ns, name)).text = value
        root = client._perform_request(client.get_service_url("cancel"), client._build_envelope(op))
        error = _text(root, "error")
        if error:
            raise PacRefused(f"Finkok get_sat_status: {error}")
        return {"estado": _text(root, "Estado"), "es_cancelable": _text(root, "EsCancelable"),
                "estatus_cancelacion": _text(root, "EstatusCancelacion")}

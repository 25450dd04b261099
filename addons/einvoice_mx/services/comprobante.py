"""satcfdi's CFDI 4.0 Comprobante with our Anexo 20 arithmetic instead of its own.

satcfdi builds the nodes, the XML (attribute order, schema locations), the
cadena original and the Sello; its ``compute`` rounds taxes with a running
carry (its RoundTracker). SAT's filling guide asks for each tax ``Base x
TasaOCuota`` rounded on its own, and the comprobante sums of those, so the
amounts come from ``totals`` and ``compute`` only places them.
"""
from __future__ import annotations

from satcfdi.create.cfd import cfdi40

from ..totals import Totals


class Comprobante(cfdi40.Comprobante):
    def __init__(self, *args, totals: Totals, **kwargs):
        self._totals = totals
        super().__init__(*args, **kwargs)

    def compute(self):
        t = self._totals
        self["SubTotal"], self["Descuento"], self["Total"] = t.subtotal, t.descuento or None, t.total
        impuestos = {}
        if t.retenciones:
            impuestos["Retenciones"] = t.retenciones
            impuestos["TotalImpuestosRetenidos"] = t.total_retenidos
        if t.traslados:
            impuestos["Traslados"] = t.traslados
            if t.total_trasladados is not None:
                impuestos["TotalImpuestosTrasladados"] = t.total_trasladados
        self["Impuestos"] = impuestos or None

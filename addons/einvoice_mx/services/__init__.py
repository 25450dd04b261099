"""Services of the Mexican CFDI addon, one module per flow; none commits.

``fiscal`` (SAT fields of products and partners), ``csd`` (the certificate and
key), ``build`` and ``comprobante`` (the Comprobante of an einvoice document),
``signing`` (sign at issue), ``stamping`` (record a PAC's stamp and SAT's
cancellation answers), ``cancel`` (motives 01-04), ``payments`` (payment
complements), ``global_invoice`` (factura global), ``enable`` (``on_enable``).
"""

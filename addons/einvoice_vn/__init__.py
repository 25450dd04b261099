"""Vietnam e-invoices: templates and symbols, the tax authority's XML, XMLDSig, Viettel S-Invoice and MISA meInvoice."""

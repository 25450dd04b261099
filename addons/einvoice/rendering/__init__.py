"""E-invoice rendering: what a document looks like outside the database.

``pdf`` (HTML templates to PDF), ``ubl`` (UBL 2.1 / EN 16931 / Peppol XML) and
``ubl_validate`` (the official schemas and rules), ``qr`` (payment and
verification payloads), ``labels`` (document wording per language),
``wording`` (titles, tax id labels and units that also depend on the regime or
the party), ``formatting`` (amounts, rates, dates in the buyer's locale),
``columns`` (lines-table widths that never wrap a number), ``mail_text`` (e-mail
wording per language), ``common`` (reading a document the same way everywhere).
Renderers take a document-shaped object and import no services, so a preview
needs no database.
"""

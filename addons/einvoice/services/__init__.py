"""E-invoice services: one module per flow, each a function of a session and plain values that never commits.

``documents`` (drafts, lifecycle, stored PDF), ``issue`` (issuing and its
checks), ``numbering`` (series, fiscal numbers, gap report), ``orders``
(documents from sales orders), ``corrections`` (credit notes, adjustments,
replacements, cancelling), ``submission`` (provider exchanges), ``sending``
(e-mail to the buyer), ``enable`` (``on_enable``).
"""

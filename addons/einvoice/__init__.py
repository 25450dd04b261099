"""E-invoice addon: fiscal documents from orders or by hand, gapless numbering, e-mail, providers.

Imports go one way, down this picture; nothing imports upwards, not even inside a
function (``tests/addons/einvoice/test_layers.py`` checks it):

    admin  page  forms  cli  jobs  events  demo  dashboard  thin callers: screens (page: the document page), commands,
                                                            jobs, handlers, home-page tiles
                        |
    services/    documents  issue  numbering  orders  corrections  submission  sending  enable
                        |
    rendering/   pdf  ubl  ubl_validate  qr  labels  mail_text  common      providers (ABC, registry, offline)
                        |
    models   immutability (ORM guard)   totals (pure: line nets, taxes, tax breakdown)

Regime addons (``einvoice_vn``, ``einvoice_mx``, ``einvoice_kr``) plug in without
editing this addon: a provider class under ``[[providers]] kind = "einvoice"``,
their own series, PDF templates and QR builders. README.md, "Extension points",
lists each one.
"""

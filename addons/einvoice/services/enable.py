"""Enabling the addon for a business: a series per document type, so issuing works at once."""
from __future__ import annotations

from . import numbering


def on_enable(session, business_id: int) -> None:
    numbering.ensure_default_series(session)

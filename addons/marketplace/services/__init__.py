"""Marketplace services: the one package callers import (admin, CLI, jobs, events, demo).

One module per flow, importing one way: ``shops`` (platforms, OAuth, tokens,
calling) <- ``orders`` (ingestion, statuses) <- ``push`` (pushes), ``stock`` <-
``listings``; ``shipping`` beside them. Functions that call a platform take the
runtime and the business id, so no transaction stays open during the call;
the others take a session bound to the business, raise a UserError naming the
field, and never commit.
"""
from __future__ import annotations


def on_enable(session, business_id: int) -> None:
    """Nothing to seed: shops are connected one by one (``marketplace connect``)."""
    return None

"""API fixtures: the shared app and two shops, A and B, each with an all-scopes token (module scope)."""
from __future__ import annotations

import pytest

from .helpers import app_for, make_world, token_for


@pytest.fixture(scope="module")
def api_client(runtime):
    return app_for(runtime).test_client()


@pytest.fixture(scope="module")
def shop_a(runtime):
    return make_world(runtime)


@pytest.fixture(scope="module")
def shop_b(runtime):
    return make_world(runtime)


@pytest.fixture(scope="module")
def token_a(runtime, shop_a):
    return token_for(runtime, shop_a.business)


@pytest.fixture(scope="module")
def token_b(runtime, shop_b):
    return token_for(runtime, shop_b.business)

"""``[[webhooks]]`` in a manifest: read, checked (shape, payload in api.py, a published event)."""
from __future__ import annotations

import textwrap

import pytest

from core.addons.check_shape import misplaced_kinds
from core.addons.errors import AddonError
from core.addons.manifest import read_manifest


def manifest(tmp_path, webhooks: str):
    folder = tmp_path / "hooky"
    folder.mkdir()
    (folder / "addon.toml").write_text(textwrap.dedent('''
        name = "hooky"
        version = "1.0.0"
        summary = "x"
        [events]
        publishes = ["hooky.thing_done"]
    ''') + textwrap.dedent(webhooks))
    return read_manifest(folder / "addon.toml", "hooky")


def test_webhooks_are_read_and_their_payload_belongs_in_api(tmp_path):
    m = manifest(tmp_path, '''
        [[webhooks]]
        event = "thing.done"
        on = "hooky.thing_done"
        payload = ".services:thing_payload"
    ''')
    assert [(w.event, w.on, w.payload) for w in m.webhooks] == [("thing.done", "hooky.thing_done",
                                                                 ".services:thing_payload")]
    assert misplaced_kinds(m) == ["webhooks thing.done payload '.services:thing_payload': a webhook payload belongs "
                                  "in api.py (or a api/ package), not in services; move it there; "
                                  "write payload = '.api:thing_payload'"]


@pytest.mark.parametrize("body,field", [
    ('[[webhooks]]\nevent = "Thing Done"\non = "hooky.thing_done"\npayload = ".api:p"\n', "webhooks[0].event"),
    ('[[webhooks]]\nevent = "thing.done"\non = "hooky.thing_done"\n', "webhooks[0]"),
    ('[[webhooks]]\nevent = "thing.done"\non = "hooky.thing_done"\npayload = "not an import"\n',
     "webhooks[0].payload"),
])
def test_bad_webhooks_name_the_field(tmp_path, body, field):
    with pytest.raises(AddonError) as refused:
        manifest(tmp_path, body)
    assert any(f"'{field}'" in p or f" {field} " in p or field in p for p in refused.value.problems)


def test_the_built_in_webhook_events(runtime):
    from core.api.webhooks import known_events
    assert known_events(runtime.registry) == ["invoice.issued", "order.cancelled", "order.confirmed", "order.created",
                                              "order.paid", "shipment.delivered", "shipment.returned",
                                              "stock.changed"]

"""``manage.py einvoice_mx ...`` and ``einvoice export --format cfdi``: JSON contracts and one-line errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli, cli_env, run_manage

from . import sat_rules
from .conftest import RFC, build_mx_shop
from .csd_helpers import PASSWORD, make_csd

STATUS_KEYS = {"uuid", "state", "tipo", "document", "serie", "folio", "emisor_rfc", "receptor_rfc", "total", "pac",
               "certificate_number", "sat_certificate_number", "stamped_at", "cancel_motive", "replacement_uuid",
               "acceptance", "sat_status", "cancel_status", "cancelled_at"}


@pytest.fixture(scope="module")
def cli(runtime, tmp_path_factory):
    """The command line on the session's database (migrated once for the whole run)."""
    return Cli(cli_env(runtime.db.engine.url.render_as_string(hide_password=False),
                       instance=tmp_path_factory.mktemp("mx-cli-instance")))


@pytest.fixture(scope="module")
def shop(runtime):
    return build_mx_shop(runtime, csd=False)


def _stamped(shop):
    doc_id = shop.issue(shop.draft())
    shop.run_jobs("einvoice.submit")
    return doc_id, shop.cfdi(doc_id).uuid


def test_csd_upload_and_list(cli, shop, tmp_path):
    cer, key = make_csd(RFC, "ESCUELA KEMPER URGATE", "30001000000500004444")
    (tmp_path / "a.cer").write_bytes(cer)
    (tmp_path / "a.key").write_bytes(key)
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    slug = shop.business.slug
    assert "cannot be opened with this password" in cli.fails(
        "einvoice_mx", "csd-upload", "--cer", tmp_path / "a.cer", "--key", tmp_path / "a.key", "--business", slug,
        input="nope\n")
    shown = cli.json("einvoice_mx", "csd-upload", "--cer", tmp_path / "a.cer", "--key", tmp_path / "a.key",
                     "--password-file", tmp_path / "pw", "--business", slug)
    assert shown["certificate_number"] == "30001000000500004444" and shown["rfc"] == RFC
    listed = cli.json("einvoice_mx", "csd-list", "--business", slug)
    assert [row["certificate_number"] for row in listed] == ["30001000000500004444"]
    assert set(listed[0]) == {"certificate_number", "rfc", "legal_name", "valid_from", "valid_to", "active",
                              "expired"}


def test_status_cancel_and_export(cli, shop, tmp_path):
    slug = shop.business.slug
    doc_id, uuid = _stamped(shop)
    status = cli.json("einvoice_mx", "status", uuid, "--business", slug)
    assert set(status) == STATUS_KEYS and status["state"] == "stamped" and status["uuid"] == uuid
    assert "motive 01 needs the UUID" in cli.fails("einvoice_mx", "cancel", uuid, "--motive", "01", "--business", slug)
    assert "error: " in cli.fails("einvoice_mx", "cancel", uuid, "--motive", "05", "--business", slug)
    cancelled = cli.json("einvoice_mx", "cancel", uuid, "--motive", "02", "--business", slug)
    assert set(cancelled) == STATUS_KEYS and cancelled["state"] == "cancel_requested"
    assert cancelled["cancel_motive"] == "02"
    assert "only a stamped CFDI" in cli.fails("einvoice_mx", "cancel", uuid, "--motive", "02", "--business", slug)
    shop.run_jobs("einvoice_mx.")
    assert cli.json("einvoice_mx", "status", uuid, "--business", slug)["acceptance"] == "without_acceptance"
    out = tmp_path / "cfdi"
    exported = cli.json("einvoice", "export", "--format", "cfdi", "--out", out, "--business", slug)
    names = {Path(row["file"]).name for row in exported}
    assert f"{uuid}.xml" in names
    for row in exported:
        sat_rules.assert_valid(Path(row["file"]).read_bytes())
    assert "--format 'nope': one of ubl, cfdi" in cli.fails("einvoice", "export", "--format", "nope", "--out", out,
                                                             "--business", slug)


def test_errors_are_one_line(cli, shop):
    slug = shop.business.slug
    assert "not a fiscal UUID" in cli.fails("einvoice_mx", "status", "nope", "--business", slug)
    assert "no stamped CFDI" in cli.fails("einvoice_mx", "status", "00000000-0000-0000-0000-000000000000",
                                          "--business", slug)
    assert "clave_prod_serv" in cli.fails("einvoice_mx", "product-sat", shop.skus[0], "--clave-prod-serv", "1",
                                          "--clave-unidad", "H87", "--business", slug)
    assert "regimen_fiscal" in cli.fails("einvoice_mx", "partner-sat", str(shop.customer_id), "--legal-name", "X",
                                         "--regimen", "999", "--postcode", "86991", "--business", slug)
    ok = cli.json("einvoice_mx", "partner-sat", str(shop.customer_id), "--legal-name", "Universidad Robotica Española",
                  "--regimen", "603", "--postcode", "86991", "--uso", "G01", "--business", slug)
    assert (ok["legal_name"], ok["regimen_fiscal"], ok["uso_cfdi"]) == ("UNIVERSIDAD ROBOTICA ESPAÑOLA", "603", "G01")


def test_status_in_a_fresh_process(cli, runtime):
    """A real ``python manage.py`` (models loaded as a new process loads them, not as the tests did)."""
    import json
    other = build_mx_shop(runtime)
    _doc_id, uuid = _stamped(other)
    done = run_manage("einvoice_mx", "status", uuid, "--business", other.business.slug, "--json", env=cli.env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["uuid"] == uuid

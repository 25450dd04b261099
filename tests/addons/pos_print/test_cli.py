"""``manage.py pos_print receipt|reprint|find|printers|test-page``: the contracts, --json, one-line errors."""
from __future__ import annotations

import pytest

from addons.pos_print import decoder
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS


@pytest.fixture(scope="module")
def cli(runtime, tmp_path_factory):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path_factory.mktemp("cli")))


def test_cli_contracts(vn_shop, cli, fake_printer, tmp_path):
    slug = vn_shop.business.slug
    number = vn_shop.paid_order()
    out = tmp_path / "r.bin"
    data = cli.json("pos_print", "receipt", number, "--out", out, "--business", slug)
    assert set(data) == {"code", "bytes"} and data["bytes"] == len(out.read_bytes())
    content = out.read_bytes()
    assert data["code"] in "\n".join(decoder.decode(content).text_lines)
    plain = cli("pos_print", "receipt", number, "--out", tmp_path / "again.bin", "--business", slug)
    assert plain.stdout.strip() == data["code"] and (tmp_path / "again.bin").read_bytes() == content

    found = cli.json("pos_print", "find", decoder.decode(content).qr_payloads[0], "--business", slug)
    assert (found["code"], found["order"], found["reprints"]) == (data["code"], number, 0)
    forged = cli("pos_print", "find", f"TSR1:{slug}:{data['code']}:AAAAAAAAAAAAAAAA", "--business", slug, ok=False)
    assert forged.exit_code == 1 and forged.stderr.startswith("error: code: this QR code")
    assert "Traceback" not in forged.stderr

    copy = tmp_path / "c.bin"
    refused = cli("pos_print", "reprint", data["code"], "--reason", "other", "--out", copy, "--business", slug,
                  ok=False)
    assert "note" in refused.stderr and "--note TEXT" in refused.stderr and not copy.exists()
    made = cli.json("pos_print", "reprint", data["code"], "--reason", "customer_request", "--out", copy,
                    "--business", slug)
    assert made["copy"] == 1 and made["bytes"] == len(copy.read_bytes())
    assert "BẢN SAO 1" in decoder.decode(copy.read_bytes()).text_lines
    assert cli.json("pos_print", "find", data["code"], "--business", slug)["reprints"] == 1

    cli("pos_print", "printers", "--business", slug)
    with vn_shop.tx() as session:
        from addons.pos_print import services
        services.create_printer(session, name="CLI printer", kind="network", host="127.0.0.1",
                                port=fake_printer.port, paper_width=58)
    printers = cli.json("pos_print", "printers", "--business", slug)
    mine = [p for p in printers if p["name"] == "CLI printer"]
    assert mine and (mine[0]["chars"], mine[0]["dots"], mine[0]["address"]) == (32, 384,
                                                                                f"127.0.0.1:{fake_printer.port}")
    page = cli.json("pos_print", "test-page", "CLI printer", "--business", slug)
    assert page["state"] == "queued" and page["bytes"] > 0
    missing = cli("pos_print", "test-page", "Nope", "--business", slug, ok=False)
    assert missing.stderr.startswith("error: printer: no printer named Nope")


def test_cli_jobs_retry_pin_and_reprints(vn_shop, cli, runtime, tmp_path):
    from core.auth import create_user
    slug = vn_shop.business.slug
    with vn_shop.tx() as session:
        from addons.pos_print import services
        services.create_printer(session, name="Nowhere", kind="network", host="127.0.0.1", port=9)
    number = vn_shop.paid_order()
    cli("pos_print", "receipt", number, "--printer", "Nowhere", "--out", tmp_path / "r.bin", "--business", slug)
    from .conftest import run_jobs
    run_jobs(runtime, vn_shop.id)
    failed = [j for j in cli.json("pos_print", "jobs", "--state", "failed", "--business", slug)
              if j["printer"] == "Nowhere"]
    assert failed and "cannot open the printer" in failed[0]["error"]
    again = cli.json("pos_print", "retry", str(failed[0]["id"]), "--business", slug)
    assert (again["retry_of"], again["attempt"], again["state"]) == (failed[0]["id"], 2, "queued")
    refused = cli("pos_print", "retry", str(again["job"]), "--business", slug, ok=False)
    assert refused.stderr.startswith("error: print job") and "only a failed job" in refused.stderr

    with runtime.transaction(vn_shop.id) as session:
        create_user(session, f"sup-{vn_shop.id}@example.com", "supervisor-pass-1", business_id=vn_shop.id,
                    role="Administrator")
    assert cli.json("pos_print", "set-pin", f"sup-{vn_shop.id}@example.com", "--pin", "2468",
                    "--business", slug) == {"user": f"sup-{vn_shop.id}@example.com", "pin": "set"}
    with vn_shop.session() as session:
        code = services.receipt_for_order(session, services.receipts.find_order(session, number).id).code
    made = cli.json("pos_print", "reprint", code, "--reason", "return", "--pin", "2468", "--out",
                    tmp_path / "c.bin", "--business", slug)
    assert made["copy"] == 1
    wrong = cli("pos_print", "reprint", code, "--reason", "return", "--pin", "1111", "--out", tmp_path / "d.bin",
                "--business", slug, ok=False)
    assert "not the PIN" in wrong.stderr and not (tmp_path / "d.bin").exists()
    listed = cli.json("pos_print", "reprints", "--business", slug)
    assert any(r["code"] == code and r["reason"] == "return" for r in listed)
    assert "--day" in cli("pos_print", "reprints", "--day", "yesterday", "--business", slug, ok=False).stderr

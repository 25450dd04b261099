"""Print jobs on the fake network printer: printed, dropped mid-receipt (failed, never resent), retried by a
clerk as a new attempt, an offline printer, a printer that never confirms, status, test page, file printers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from addons.pos_print import decoder, services
from addons.pos_print.models import PrintJob
from core.errors import UserError
from core.models import OutboxJob

from .conftest import run_jobs


@pytest.fixture(scope="module")
def net(vn_shop, fake_printer):
    with vn_shop.tx() as session:
        printer = services.create_printer(session, name="Counter", kind="network", host="127.0.0.1",
                                          port=fake_printer.port, profile="TM-T20II", has_drawer=True)
        return printer.id


def _print(shop, name="Counter"):
    number = shop.paid_order()
    with shop.tx() as session:
        receipt, job = services.print_receipt(session, services.receipts.find_order(session, number).id,
                                              printer_name=name)
        return receipt.code, receipt.content, job.id


def _job(shop, job_id):
    with shop.session() as session:
        job = session.get(PrintJob, job_id)
        return job.state, job.error, job.bytes_sent, job.attempt, job.retry_of_id


def test_receipt_printed_on_the_network_printer(vn_shop, net, fake_printer):
    fake_printer.reset()
    code, content, job_id = _print(vn_shop)
    assert _job(vn_shop, job_id)[0] == "queued"
    assert run_jobs(vn_shop.runtime, vn_shop.id) == [("pos_print.print_job", "done")]
    state, error, sent, *_ = _job(vn_shop, job_id)
    assert (state, error, sent) == ("printed", None, len(content))
    assert fake_printer.content() == content
    out = decoder.decode(fake_printer.content())
    assert out.drawer_kicks == 1 and out.cuts == 1      # a cash sale opens the drawer


def test_dropped_connection_fails_and_is_never_resent(vn_shop, net, fake_printer):
    fake_printer.reset()
    fake_printer.drop_after = 700
    code, content, job_id = _print(vn_shop)
    run_jobs(vn_shop.runtime, vn_shop.id)
    state, error, sent, attempt, _ = _job(vn_shop, job_id)
    assert state == "failed" and attempt == 1
    assert "confirm" in error or "lost" in error
    assert len(fake_printer.received) == 1 and len(fake_printer.received[0]) == 700
    # the outbox job is finished: nothing will send it again by itself
    with vn_shop.runtime.session(all_businesses=True) as session:
        outbox = session.scalars(select(OutboxJob).where(OutboxJob.business_id == vn_shop.id,
                                                         OutboxJob.args["print_job_id"].as_integer() == job_id)).one()
        assert outbox.max_attempts == 1 and outbox.state == "done"
    assert run_jobs(vn_shop.runtime, vn_shop.id) == []
    from core.jobs import execute
    assert execute(vn_shop.runtime, "pos_print.print_job", outbox.id) == "ignored"
    assert len(fake_printer.received) == 1
    # a clerk retries: a new recorded attempt with the same bytes
    fake_printer.reset()
    with vn_shop.tx() as session:
        retry = services.retry_print(session, job_id)
        retry_id = retry.id
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="already sent again"):
            services.retry_print(session, job_id)
    run_jobs(vn_shop.runtime, vn_shop.id)
    assert _job(vn_shop, retry_id) == ("printed", None, len(content), 2, job_id)
    assert fake_printer.content() == content
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="only a failed job"):
            services.retry_print(session, retry_id)


def test_printer_that_never_confirms_is_a_failure(vn_shop, net, fake_printer):
    """python-escpos' sendall succeeds into the kernel's buffer; without the printer's answer it is not printed."""
    import dataclasses
    from addons.pos_print import devices
    fake_printer.reset()
    fake_printer.silent = True
    with vn_shop.session() as session:
        conn = dataclasses.replace(services.connection(session, services.get_printer(session, net)), timeout=0.5)
    with pytest.raises(devices.PrintFailed, match="did not confirm") as info:
        devices.deliver(conn, b"\x1b@hello\n")
    assert info.value.bytes_sent == 8


def test_offline_printer_fails_with_the_reason(vn_shop):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                          # nothing listens there any more
    with vn_shop.tx() as session:
        services.create_printer(session, name="Off", kind="network", host="127.0.0.1", port=port)
    code, content, job_id = _print(vn_shop, "Off")
    run_jobs(vn_shop.runtime, vn_shop.id)
    state, error, sent, *_ = _job(vn_shop, job_id)
    assert state == "failed" and sent == 0 and "cannot open the printer" in error


def test_status_and_test_page(vn_shop, net, fake_printer):
    fake_printer.reset()
    fake_printer.paper = b"\x1e"                       # near end
    with vn_shop.tx() as session:
        job = services.queue_test_page(session, net)
        job_id = job.id
    run_jobs(vn_shop.runtime, vn_shop.id)
    assert _job(vn_shop, job_id)[0] == "printed"
    out = decoder.decode(fake_printer.content())
    assert "Tiếng Việt: Phở bò, Đà Nẵng" in out.text_lines and out.qr_payloads == ["TEST:Counter"]
    assert out.cuts == 1 and out.max_columns() <= 48
    assert services.check_status(vn_shop.runtime, vn_shop.id, net) == ("online", "low")
    with vn_shop.session() as session:
        printer = services.get_printer(session, net)
        assert (printer.status, printer.paper) == ("online", "low") and printer.status_at is not None


def test_file_printer_writes_only_in_the_spool_folder(vn_shop):
    from pathlib import Path
    with vn_shop.tx() as session:
        for bad in ("../etc/passwd", "/tmp/x.bin", ""):
            with pytest.raises(UserError, match="file_name"):
                services.create_printer(session, name=f"Bad {bad}", kind="file", file_name=bad)
    with vn_shop.tx() as session:
        services.create_printer(session, name="Spool", kind="file", file_name="spool-test.bin")
    code, content, job_id = _print(vn_shop, "Spool")
    run_jobs(vn_shop.runtime, vn_shop.id)
    assert _job(vn_shop, job_id)[0] == "printed"
    path = Path(vn_shop.runtime.config["INSTANCE_PATH"]) / "pos_print_spool" / "spool-test.bin"
    assert path.read_bytes().endswith(content)


def test_printer_fields_are_checked(vn_shop):
    with vn_shop.tx() as session:
        with pytest.raises(UserError) as info:
            services.create_printer(session, name="", kind="network", host="", profile="NoSuchModel",
                                    paper_width=70, drawer_pin=3)
    message = str(info.value)
    for field in ("name", "host", "profile", "paper_width", "drawer_pin"):
        assert field + ":" in message
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="code_page"):
            services.create_printer(session, name="X", kind="network", host="h", profile="TM-T88IV",
                                    code_page="CP1258")


def test_job_left_sent_by_a_lost_worker_is_failed_then_retried_by_a_clerk(vn_shop, net, fake_printer):
    from datetime import timedelta
    from core.db import utcnow
    fake_printer.reset()
    code, content, job_id = _print(vn_shop)
    with vn_shop.tx() as session:                          # the worker marked it sent, then died
        job = session.get(PrintJob, job_id)
        job.state, job.sent_at = "sent", utcnow() - timedelta(hours=1)
    assert services.run_print_job(vn_shop.runtime, vn_shop.id, job_id) == "sent"   # never sent twice by itself
    assert fake_printer.received == []
    with vn_shop.tx() as session:
        retry_id = services.retry_print(session, job_id).id
    state, error, *_ = _job(vn_shop, job_id)
    assert state == "failed" and "outcome unknown" in error
    run_jobs(vn_shop.runtime, vn_shop.id)
    assert _job(vn_shop, retry_id)[0] == "printed" and fake_printer.content() == content


def test_usb_printer_without_its_driver_fails_with_the_reason(vn_shop):
    import importlib.util
    if importlib.util.find_spec("usb") is not None:
        pytest.skip("pyusb is installed here; this checks the message a worker without it gives")
    with vn_shop.tx() as session:
        services.create_printer(session, name="USB", kind="usb", usb_vendor="04b8", usb_product="0202")
    code, content, job_id = _print(vn_shop, "USB")
    run_jobs(vn_shop.runtime, vn_shop.id)
    state, error, sent, *_ = _job(vn_shop, job_id)
    assert (state, sent) == ("failed", 0) and "pyusb" in error

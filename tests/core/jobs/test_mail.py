"""Mail: rendered per language, stored, sent by a job through a real SMTP server on loopback."""
from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from core.errors import UserError
from core.mail import queue_mail, render
from core.models import MailMessage

from .helpers import Inbox, drain, free_port, job_row, jobs_of, smtp  # noqa: F401  (smtp: fixture)

PDF = b"%PDF-1.4\n% a tiny but real-looking attachment \xe2\x82\xa9\n"


def mail_row(runtime, mail_id):
    with runtime.session(all_businesses=True) as s:
        return s.get(MailMessage, mail_id)


def send_all(runtime, business_id):
    return drain(runtime, [j.id for j in jobs_of(runtime, business_id, "core.send_mail")])


@pytest.mark.parametrize("language, subject, greeting", [
    ("ko", "영수증 R-7 안내", "김민지 고객님"),
    ("en", "Your receipt R-7", "Dear 김민지"),
    ("ko-KR", "영수증 R-7 안내", "김민지 고객님"),
])
def test_mail_with_attachment_in_the_recipient_language(runtime, make_business, smtp, language, subject,
                                                        greeting):
    business = make_business(country="KR")
    with runtime.transaction(business.id) as s:
        mail = queue_mail(s, "minji@example.kr", "tfx_jobs/receipt", {"name": "김민지", "number": "R-7"}, language,
                          attachments=[("receipt-R-7.pdf", "application/pdf", PDF)],
                          reply_to="shop@example.kr", reference="receipt:7")
        assert smtp.messages == []  # nothing leaves inside the transaction
    assert [state for _, state in send_all(runtime, business.id)] == ["done"]
    (sender, rcpts, msg), = smtp.messages
    assert rcpts == ["minji@example.kr"] and "noreply@localhost" in sender
    assert msg["Subject"] == subject and msg["Reply-To"] == "shop@example.kr"
    assert msg["Message-ID"] == f"<tessera.{business.id}.{mail.id}@localhost>"
    assert greeting in msg.get_body(("plain",)).get_content()
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "receipt-R-7.pdf" and att.get_content_type() == "application/pdf"
    assert att.get_content() == PDF
    html = msg.get_body(("html",))
    # Korean has no HTML template: the English one is the fallback, plain text stays Korean
    assert html is not None and "Dear 김민지" in html.get_content()
    row = mail_row(runtime, mail.id)
    assert (row.state, row.error, row.language) == ("sent", None, language[:2])
    assert row.sent_at is not None and row.reference == "receipt:7"


@pytest.mark.parametrize("subject", [
    "Nhắc nhở: hóa đơn INV-0001 của bạn sẽ đến hạn vào ngày 08/12/2026 — còn một tuần nữa, xin cảm ơn quý khách",
    "안녕하세요 홍길동 고객님, 청구서 INV-0001 (₩1,250,000)의 결제 기한이 2026년 12월 8일입니다 — 일주일 남았습니다",
    "A plain ASCII subject that is long enough to be folded over two lines of a mail header, as RFC 5322 says",
])
def test_a_long_subject_keeps_every_space_when_folded(subject):
    """CPython's folder drops the space where it breaks between two encoded words; ours must not."""
    from types import SimpleNamespace
    from core.mail import build_message
    mail = SimpleNamespace(subject=subject, to="a@example.vn", reply_to=None, business_id=1, id=2, language="vi",
                           body_text="x", body_html=None, attachments=[])
    raw = build_message(mail, "Shop <shop@example.vn>").as_bytes()
    head = raw.split(b"\n\n")[0].split(b"\n")
    assert len(head) > 5 and max(len(line) for line in head) <= 78  # folded, within RFC 5322's line length
    assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == subject


def test_html_is_autoescaped_text_is_not(runtime):
    subject, text, html = render(runtime.registry, "tfx_jobs/receipt", {"name": "<b>Bob</b>", "number": "1"}, "en")
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html and "<b>Bob</b>" not in html
    assert "<b>Bob</b>" in text and subject == "Your receipt 1"
    # an unknown language falls back to English; core's own template is found too
    assert render(runtime.registry, "tfx_jobs/receipt", {"name": "A", "number": "2"}, "ru")[0] == "Your receipt 2"
    assert render(runtime.registry, "core/notice", {"title": "Hi", "body": "x", "business_name": "B"}, "ko")[1] \
        .startswith("안녕하세요")


def test_rolled_back_mail_is_never_sent(runtime, make_business, smtp):
    business = make_business()
    with pytest.raises(RuntimeError):
        with runtime.transaction(business.id) as s:
            queue_mail(s, "a@example.com", "tfx_jobs/receipt", {"name": "A", "number": "3"}, "en")
            raise RuntimeError("order failed")
    assert jobs_of(runtime, business.id) == [] and send_all(runtime, business.id) == []
    assert smtp.messages == []


def test_smtp_failure_is_recorded_and_retried(runtime, make_business, monkeypatch, fast_retries):
    business = make_business()
    dead_port = free_port()  # nothing listens here
    monkeypatch.setitem(runtime.config.values, "SMTP_URL", f"smtp://127.0.0.1:{dead_port}")
    with runtime.transaction(business.id) as s:
        mail = queue_mail(s, "b@example.com", "tfx_jobs/receipt", {"name": "B", "number": "4"}, "en")
    job = jobs_of(runtime, business.id, "core.send_mail")[0]
    from core.jobs import execute
    assert execute(runtime, "core.send_mail", job.id) == "pending"
    row = mail_row(runtime, mail.id)
    assert row.state == "failed" and "attempt 1: ConnectionRefusedError" in row.error
    assert "ConnectionRefusedError" in job_row(runtime, job.id).last_error
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=dead_port)
    controller.start()
    try:
        # the commit-time message and the retry's: one sends, the other finds it done
        assert sorted(state for _, state in drain(runtime, [job.id])) == ["done", "ignored"]
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    row = mail_row(runtime, mail.id)
    assert (row.state, row.error) == ("sent", None)


def test_bad_mail_input_is_refused(runtime, make_business):
    business = make_business()
    with runtime.transaction(business.id) as s:
        with pytest.raises(UserError, match="not an e-mail address"):
            queue_mail(s, "not an address", "tfx_jobs/receipt", {"name": "A", "number": "1"}, "en")
        with pytest.raises(UserError, match="no subject.txt"):
            queue_mail(s, "a@example.com", "tfx_jobs/missing", {}, "en")
        with pytest.raises(UserError, match="attachment"):
            queue_mail(s, "a@example.com", "tfx_jobs/receipt", {"name": "A", "number": "1"}, "en",
                       attachments=[("x.pdf", "application/pdf", "not bytes")])
    assert jobs_of(runtime, business.id) == []


def test_without_an_smtp_url_mail_is_written_to_the_instance_folder(runtime, make_business, monkeypatch, tmp_path):
    """The embedded default has no mail server: each message becomes an .eml file, marked sent."""
    monkeypatch.setitem(runtime.config.values, "SMTP_URL", "")
    monkeypatch.setitem(runtime.config.values, "INSTANCE_PATH", str(tmp_path))
    business = make_business(country="KR")
    with runtime.transaction(business.id) as s:
        mail = queue_mail(s, "minji@example.kr", "tfx_jobs/receipt", {"name": "김민지", "number": "R-8"}, "ko",
                          attachments=[("receipt-R-8.pdf", "application/pdf", PDF)])
    send_all(runtime, business.id)
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "minji@example.kr"
    assert message["Subject"] == "영수증 R-8 안내"
    assert [part.get_filename() for part in message.iter_attachments()] == ["receipt-R-8.pdf"]
    assert mail_row(runtime, mail.id).state == "sent"

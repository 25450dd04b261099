"""The printable reminder letter: a PDF in the customer's language, when the policy's letter setting is on."""
from __future__ import annotations

import io
import json
import unicodedata
from datetime import timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

from .conftest import TODAY
from .test_runs import cli


def text_of(pdf: bytes) -> str:
    from pypdf import PdfReader
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return unicodedata.normalize("NFC", " ".join(text.split()))


@pytest.fixture(scope="module")
def lettered(runtime):
    """A Vietnamese customer's firm reminder (+14 days, fee 20 000, 12 % interest) whose policy prints letters."""
    from addons.dunning.models import Level, Policy, Reminder
    from .conftest import make_books
    b = make_books(runtime)
    with b.tx() as s:
        policy = s.scalar(select(Policy).where(Policy.is_default.is_(True)))
        policy.interest_percent, policy.attach_letter = Decimal(12), True
        s.scalar(select(Level).where(Level.policy_id == policy.id, Level.days == 14)).fee = Decimal(20000)
    customer = b.customer(name="Trần Văn Bình", language="vi", country="VN")
    number = b.invoice(customer, "365000", due=TODAY - timedelta(days=20))
    assert json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)["sent"] == 1
    with b.session() as s:
        reminder = s.scalar(select(Reminder))
        assert (reminder.fee, reminder.interest) == (Decimal(20000), Decimal(2400))  # 365000 x 12 % / 365 x 20
        return b, number, reminder.id


def test_letter_lists_the_invoices_amounts_due_dates_fee_and_interest_in_the_customers_language(lettered):
    from addons.dunning.services.letter import letter_pdf
    b, number, reminder_id = lettered
    with b.session() as s:
        name, pdf = letter_pdf(s, reminder_id)
    assert name == f"reminder-{reminder_id}-{TODAY.isoformat()}.pdf" and pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "Xin chào Trần Văn Bình" in text and "Nhắc thanh toán" in text
    assert number in text and "365.000" in text and "20.000" in text and "2.400" in text
    assert "387.400" not in text  # the fee and interest are stated, never added to what the invoices owe
    from addons.dunning.wording import day_in
    assert day_in(TODAY - timedelta(days=20), "vi") in text  # the due date, written the Vietnamese way
    assert "Số ngày quá hạn" in text and "Phí nhắc nợ" in text


def test_letter_downloads_from_the_reminders_page_and_the_cli(lettered, make_user, client_for, tmp_path):
    b, number, reminder_id = lettered
    c = client_for(make_user(b.business, permissions=["dunning.reminder.read"]))
    listing = c.get("/admin/dunning_reminder/").get_data(as_text=True)
    assert f"/admin/dunning_reminder/letter/{reminder_id}" in listing
    response = c.c.get(f"/admin/dunning_reminder/letter/{reminder_id}")  # binary: the raw client
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert number in text_of(response.data)
    outsider = client_for(make_user(b.business, permissions=["dunning.receivable.read"]))
    assert outsider.c.get(f"/admin/dunning_reminder/letter/{reminder_id}").status_code == 403
    out = tmp_path / "letter.pdf"
    data = json.loads(cli(b, "letter", str(reminder_id), "--output", str(out), "--json").output)
    assert data == {"reminder": reminder_id, "file": str(out), "bytes": out.stat().st_size}
    assert number in text_of(out.read_bytes())


def test_no_letter_when_the_policy_prints_none(lettered):
    from addons.dunning.models import Policy
    from core.cli_main import cli as main
    b, number, reminder_id = lettered
    with b.tx() as s:
        s.scalar(select(Policy).where(Policy.is_default.is_(True))).attach_letter = False
    try:
        result = CliRunner().invoke(main, ["--database-url", b.runtime.db.url, "dunning", "letter", str(reminder_id),
                                           "--output", "/dev/null", "--business", b.business.slug])
        assert result.exit_code == 1
        assert "error: reminder: its policy prints no letters" in result.output
        assert "Traceback" not in result.output
    finally:
        with b.tx() as s:
            s.scalar(select(Policy).where(Policy.is_default.is_(True))).attach_letter = True

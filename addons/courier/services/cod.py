"""COD reconciliation: a carrier's payout statement against the shipments it names.

The statement is a CSV or XLSX file as the carrier's portal exports it: one row
per parcel with its tracking number, the COD collected and the fees, and the
transfer's fee, amount and date (repeated on every row, or on the first). The
import checks Σ COD − Σ fees − transfer fee = the amount transferred, lists
every mismatch (unknown tracking number, COD not the expected amount, parcel not
delivered, COD already registered), and registers a COD payment on the order of
every matching line, completing orders that are then settled. It is all or
nothing: a statement that does not add up registers nothing, and the whole
statement is one transaction. The file's digest is stored, so importing the same
statement again registers nothing.
"""
from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from addons.sales.services import get_order, register_payment
from core.errors import UserError
from core.i18n import _
from core.numbers import parse_decimal
from core.text import decode_utf8

from .. import states
from ..models import CodLine, CodStatement, Shipment
from .tracking import complete_if_settled

CARRIERS = ("ghn", "viettelpost")
# The manual carrier too: own delivery staff hand over the cash they collected with a list like a payout.
STATEMENT_CARRIERS = CARRIERS + ("manual",)
# Column headers as the portals name them (folded: lower case, single spaces), per field.
HEADERS = {
    "tracking_number": ("tracking_number", "tracking number", "mã vận đơn", "mã đơn ghn", "mã đơn hàng",
                        "order_code", "mã đơn", "số hiệu"),
    "cod": ("cod", "cod_amount", "tiền thu hộ", "tiền thu hộ (cod)", "thu hộ", "cod collected", "money_collection"),
    "fee": ("fee", "fees", "tổng phí", "phí dịch vụ", "cước phí", "total_fee", "tổng cước"),
    "transfer_fee": ("transfer_fee", "transfer fee", "phí chuyển khoản", "phí chuyển tiền"),
    "transferred": ("transferred", "amount transferred", "số tiền chuyển khoản", "thực nhận", "tiền chuyển khoản",
                    "tổng tiền chuyển"),
    "transfer_date": ("transfer_date", "transfer date", "ngày chuyển khoản", "ngày chuyển tiền", "ngày thanh toán"),
}
REQUIRED = ("tracking_number", "cod", "fee")
MAX_ROWS = 50_000


def _fold(text) -> str:
    return " ".join(str(text or "").strip().lower().split())


def read_rows(filename: str, data: bytes) -> list[list]:
    """The statement's rows (header first) from a CSV or XLSX file."""
    if filename.lower().endswith(".xlsx"):
        try:
            from openpyxl import load_workbook
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:   # openpyxl raises many kinds for a damaged file
            raise UserError(_("%(file)s: not a readable XLSX file (%(error)s)", file=filename,
                              error=type(exc).__name__)) from None
        rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    elif filename.lower().endswith(".csv"):
        text = decode_utf8(data, filename)
        dialect = csv.excel_tab if text.count("\t") > text.count(",") and text.count("\t") > text.count(";") \
            else type("semicolon", (csv.excel,), {"delimiter": ";"}) if text.count(";") > text.count(",") else csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
    else:
        raise UserError(_("%(file)s: give a .csv or .xlsx file", file=filename))
    rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
    if len(rows) < 2:
        raise UserError(_("%(file)s: no lines under the header", file=filename))
    if len(rows) > MAX_ROWS:
        raise UserError(_("%(file)s: more than %(n)s lines; split the statement", file=filename, n=MAX_ROWS))
    return rows


def _columns(header: list, filename: str) -> dict[str, int]:
    folded = [_fold(cell) for cell in header]
    found = {}
    for key, names in HEADERS.items():
        for i, cell in enumerate(folded):
            if cell in names:
                found[key] = i
                break
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        raise UserError(_("%(file)s: no column for %(fields)s (headers: %(headers)s)", file=filename,
                          fields=", ".join(missing), headers=", ".join(str(c) for c in header if c)))
    return found


def _amount(value, field: str, line: int) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, float):
        value = repr(value)
    try:
        return parse_decimal(str(value).replace(" ", ""), field=field, places=4)
    except UserError as exc:
        raise UserError(_("line %(line)s: %(error)s", line=line, error=exc)) from None


def _date(value, line: int) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()[:10]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UserError(_("line %(line)s: transfer_date: %(value)r is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                      line=line, value=text))


def import_statement(session, carrier: str, filename: str, data: bytes, *, dry_run: bool = False,
                     progress=None) -> dict:
    """Check (and unless ``dry_run`` register) one payout statement; the summary the CLI prints."""
    if carrier not in STATEMENT_CARRIERS:
        raise UserError(_("carrier: %(value)r is not one of %(choices)s", value=carrier, choices=", ".join(STATEMENT_CARRIERS)))
    name = Path(filename).name[:255]
    digest = hashlib.sha256(data).hexdigest()
    rows = read_rows(name, data)
    cols = _columns(rows[0], name)
    lines, transfer = [], {"transfer_fee": None, "transferred": None, "transfer_date": None}
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda key: row[cols[key]] if key in cols and cols[key] < len(row) else None  # noqa: E731
        tracking = str(cell("tracking_number") or "").strip()
        lines.append({"line": number, "tracking_number": tracking, "cod": _amount(cell("cod"), "cod", number),
                      "fee": _amount(cell("fee"), "fee", number)})
        for key in ("transfer_fee", "transferred"):
            if cell(key) not in (None, "") and transfer[key] is None:
                transfer[key] = _amount(cell(key), key, number)
        if cell("transfer_date") not in (None, "") and transfer["transfer_date"] is None:
            transfer["transfer_date"] = _date(cell("transfer_date"), number)
    cod_total = sum((line["cod"] for line in lines), Decimal(0))
    fee_total = sum((line["fee"] for line in lines), Decimal(0))
    transfer_fee = transfer["transfer_fee"] or Decimal(0)
    transferred = transfer["transferred"]
    expected_transfer = cod_total - fee_total - transfer_fee
    summary = {"statement": name, "carrier": carrier, "dry_run": dry_run, "lines": len(lines), "matched": 0,
               "registered": 0, "cod_total": cod_total, "fee_total": fee_total, "transfer_fee": transfer_fee,
               "transferred": transferred if transferred is not None else expected_transfer,
               "transfer_date": transfer["transfer_date"], "balanced": True, "already_imported": False,
               "mismatches": []}
    if transferred is not None and transferred != expected_transfer:
        summary["balanced"] = False
        summary["mismatches"].append({"line": None, "tracking_number": None, "problem": _(
            "the statement does not add up: COD %(cod)s - fees %(fees)s - transfer fee %(tfee)s = %(want)s, "
            "but %(got)s was transferred", cod=cod_total, fees=fee_total, tfee=transfer_fee,
            want=expected_transfer, got=transferred)})
    if session.scalar(select(CodStatement.id).where(CodStatement.carrier == carrier,
                                                    CodStatement.digest == digest)) is not None:
        summary["already_imported"] = True
        return summary
    numbers = [line["tracking_number"] for line in lines if line["tracking_number"]]
    shipments = {s.tracking_number: s for s in session.scalars(select(Shipment).where(
        Shipment.carrier == carrier, Shipment.tracking_number.in_(numbers)))} if numbers else {}
    matched, seen = [], set()
    for line in lines:
        problem = _check_line(line, shipments.get(line["tracking_number"]), seen)
        if problem:
            summary["mismatches"].append({"line": line["line"], "tracking_number": line["tracking_number"],
                                          "problem": problem})
        else:
            matched.append(line)
        seen.add(line["tracking_number"])
    summary["matched"] = len(matched)
    if dry_run or not summary["balanced"]:
        return summary
    statement = CodStatement(carrier=carrier, digest=digest, filename=name, transfer_date=transfer["transfer_date"],
                             currency=next((s.currency for s in shipments.values()), "VND"), cod_total=cod_total,
                             fee_total=fee_total, transfer_fee=transfer_fee, transferred=summary["transferred"],
                             lines_count=len(lines), registered=0)
    session.add(statement)
    session.flush()
    matched_numbers = {line["tracking_number"] for line in matched}
    for line in lines:
        shipment = shipments.get(line["tracking_number"]) if line["tracking_number"] in matched_numbers else None
        cod_line = CodLine(statement_id=statement.id, tracking_number=line["tracking_number"][:64] or "-",
                           shipment_id=shipment.id if shipment else None, cod=line["cod"], fee=line["fee"])
        if shipment is not None and line["cod"] > 0:
            order = get_order(session, shipment.order_id)
            payment = register_payment(session, order.id, line["cod"], "cod",
                                       paid_on=transfer["transfer_date"] or date.today(),
                                       reference=f"{carrier} {shipment.tracking_number}")
            session.flush()
            cod_line.payment_id = payment.id
            shipment.cod_paid, shipment.cod_payment_id = line["cod"], payment.id
            complete_if_settled(session, order.id)
            summary["registered"] += 1
        elif shipment is not None:
            shipment.cod_paid = Decimal(0)
        statement.lines.append(cod_line)
        if progress is not None:
            progress(1)
    statement.registered = summary["registered"]
    session.flush()
    return summary


def _check_line(line: dict, shipment: Shipment | None, seen: set) -> str | None:
    if not line["tracking_number"]:
        return _("no tracking number")
    if line["tracking_number"] in seen:
        return _("the tracking number is on the statement twice")
    if shipment is None:
        return _("unknown tracking number")
    if shipment.state != states.DELIVERED:
        return _("parcel not delivered (it is %(state)s)", state=states.STATE_LABELS[shipment.state])
    if shipment.cod_payment_id is not None or shipment.cod_paid is not None:
        return _("COD of this parcel is already registered")
    if line["cod"] != shipment.cod_amount:
        return _("COD %(got)s is not the expected %(want)s", got=line["cod"], want=shipment.cod_amount)
    return None

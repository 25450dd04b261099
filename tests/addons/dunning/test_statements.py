"""Bank statements: CAMT.053 (.02 and .08 samples) and CSV; matching; never twice; all or nothing."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from core.errors import UserError

from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

from .conftest import TODAY
from .test_runs import cli

SAMPLES = Path(__file__).parent / "samples"
XSD = Path(__file__).parent / "xsd"  # the official ISO 20022 schemas (origin in xsd/README.md)
_SCHEMAS: dict = {}


def schema(version: str) -> etree.XMLSchema:
    if version not in _SCHEMAS:
        _SCHEMAS[version] = etree.XMLSchema(etree.parse(str(XSD / f"camt.053.001.{version}.xsd")))
    return _SCHEMAS[version]


def assert_schema_valid(content: bytes) -> None:
    """Every CAMT.053 file a test imports is first checked against the ISO 20022 XSD of its version."""
    root = etree.fromstring(content)
    version = etree.QName(root).namespace.rsplit(".", 1)[-1]
    xsd = schema(version)
    assert xsd.validate(root), f"camt.053.001.{version}: " + "; ".join(str(e) for e in xsd.error_log)


def sample(name, **values) -> bytes:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(key, str(value))
    content = text.encode()
    if name.startswith("camt053"):
        assert_schema_valid(content)
    return content


def test_the_schemas_are_the_official_ones_and_refuse_a_misordered_entry():
    """The vendored XSDs are ISO 20022's (their namespace and the generator's header) and validation bites:
    NtryDtls before the mandatory BkTxCd, a placeholder amount, a missing Ccy are all refused."""
    for version in ("02", "08"):
        head = (XSD / f"camt.053.001.{version}.xsd").read_text(encoding="utf-8")[:600]
        assert f'targetNamespace="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"' in head
    good = sample("camt053.001.02.xml", AMOUNT_A="150000", AMOUNT_BATCH="877000", AMOUNT_B="100000",
                  INVOICE_A="INV-X-1", INVOICE_B="INV-X-2", CUSTOMER_B="Some Co")
    bk = (b"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn>"
          b"</BkTxCd>\n")
    for broken in (good.replace(b"        " + bk, b"", 1), good.replace(b">150000<", b">AMOUNT_A<", 1),
                   good.replace(b'<Amt Ccy="VND">2500000', b"<Amt>2500000", 1)):
        assert broken != good
        with pytest.raises(AssertionError, match="camt.053.001.02"):
            assert_schema_valid(broken)


def test_camt053_v02_parser_reads_booked_credits_only():
    from addons.dunning.camt import parse
    parsed = parse(sample("camt053.001.02.xml", AMOUNT_A="150000", AMOUNT_BATCH="877000", AMOUNT_B="100000",
                          INVOICE_A="INV-X-1", INVOICE_B="INV-X-2", CUSTOMER_B="Some Co"), None)
    assert parsed.format == "camt053" and parsed.statement_ref == "0071001234567-2026-11-02"
    assert [(l.amount, l.currency, l.reference, l.counterparty) for l in parsed.lines] == [
        (Decimal(150000), "VND", "Thanh toan hoa don INV-X-1", "CONG TY TNHH AN PHAT"),
        (Decimal(100000), "VND", "chuyen khoan thang 10 E2E-778812", "Some Co"),
        (Decimal(777000), "VND", "RF18539007547034", "NGUOI LA")]
    assert [l.key for l in parsed.lines] == ["ref:VN12VCB00071001234567:FT2630500011",
                                             "ref:VN12VCB00071001234567:BT2630500020-1",
                                             "ref:VN12VCB00071001234567:BT2630500020-2"]
    assert {l.booked_on for l in parsed.lines} == {TODAY - timedelta(days=1)}


def test_camt053_v08_parser_reads_batch_amounts_and_skips_debits_reversals_pending():
    from addons.dunning.camt import parse
    parsed = parse(sample("camt053.001.08.xml", ORDER_C="SO-1", AMOUNT_C="250000.00"), None)
    assert parsed.statement_ref == "DE89370400440532013000-2026-306"
    assert [(l.amount, l.reference, l.counterparty) for l in parsed.lines] == [
        (Decimal("250000.00"), "SO-1", "Muster Handel GmbH"),
        (Decimal(200000), "Rechnung vom Oktober", "Firma Beispiel AG"),
        (Decimal(150000), "Kundennummer 4711", "Max Mustermann")]
    assert [l.key for l in parsed.lines] == ["ref:DE89370400440532013000:2026110100001-EREF",
                                             "ref:DE89370400440532013000:2026110100002-BTCH/1",
                                             "ref:DE89370400440532013000:2026110100002-BTCH-2"]
    assert {l.booked_on for l in parsed.lines} == {TODAY - timedelta(days=1)}


@pytest.mark.parametrize("content, message", [
    (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.052.001.02'/>", "not a CAMT.053"),
    (b"<Document", "not a well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'><BkToCstmrStmt/></Document>",
     "no Stmt"),
])
def test_camt053_refuses_what_is_not_a_statement(content, message):
    from addons.dunning.camt import parse
    with pytest.raises(UserError, match=message):
        parse(content, "camt053")


def test_import_matches_by_reference_order_and_amount_and_never_twice(books):
    from addons.dunning.models import StatementLine
    from addons.dunning.services import statements
    from addons.sales.models import Order
    a = books.customer(name="CONG TY TNHH AN PHAT")
    b = books.customer(name="Binh Minh Trading")
    c = books.customer(name="Muster Handel GmbH")
    inv_a = books.invoice(a, "150000")
    books.invoice(b, "99999")
    inv_b = books.invoice(b, "100000")
    order_c, inv_c = books.order_invoice(c)
    with books.session() as s:
        order_number = s.get(Order, order_c).number
        total_c = s.get(Order, order_c).total
    v02 = sample("camt053.001.02.xml", AMOUNT_A="150000", AMOUNT_BATCH="877000", AMOUNT_B="100000",
                 INVOICE_A=inv_a, INVOICE_B=inv_b, CUSTOMER_B="Binh Minh Trading")
    with books.tx() as s:
        result = statements.import_statement(s, v02, filename="stmt.xml")
    assert [(m["invoices"], m["by"]) for m in result["matched"]] == [([inv_a], "reference"), ([inv_b], "amount")]
    assert [u["amount"] for u in result["unmatched"]] == ["777000"]
    assert books.receivable(inv_a).state == "paid" and books.receivable(inv_b).state == "paid"
    v08 = sample("camt053.001.08.xml", ORDER_C=order_number, AMOUNT_C=total_c)
    with books.tx() as s:
        result = statements.import_statement(s, v08, filename="stmt8.xml", fmt="camt053")
    assert result["matched"][0]["invoices"] == [inv_c] and books.receivable(inv_c).state == "paid"
    with books.session() as s:
        assert s.get(Order, order_c).payment_status == "paid"  # paid through the order
        lines = s.scalar(select(func.count(StatementLine.id)))
    # the same files again: every line is a duplicate, nothing is matched twice
    with books.tx() as s:
        again = statements.import_statement(s, v02, filename="stmt.xml")
        again8 = statements.import_statement(s, v08, filename="stmt8.xml")
    assert (again["duplicates"], again["matched"], again8["duplicates"], again8["matched"]) == (3, [], 3, [])
    with books.session() as s:
        assert s.scalar(select(func.count(StatementLine.id))) == lines


def test_csv_import_is_all_or_nothing_and_dry_run_writes_nothing(books, tmp_path):
    from addons.dunning.models import StatementLine
    customer = books.customer(name="Hoa Sen Co")
    number = books.invoice(customer, "64000")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"date,amount,currency,reference,counterparty\n{TODAY},64000,VND,{number},Hoa Sen Co\n"
                   f"{TODAY},12x,VND,oops,Someone\n", encoding="utf-8")
    result = cli_raw(books, "import-statement", str(bad), "--json")
    assert result.exit_code == 1 and "line 3: amount" in result.output
    assert books.receivable(number).state == "open"
    good = tmp_path / "good.csv"
    good.write_text(f"date,amount,currency,reference,counterparty\n{TODAY},64000,VND,Pay {number},Hoa Sen Co\n",
                    encoding="utf-8")
    dry = json.loads(cli(books, "import-statement", str(good), "--format", "csv", "--dry-run", "--json").output)
    assert dry["dry_run"] is True and dry["matched"][0]["invoices"] == [number]
    assert books.receivable(number).state == "open"
    with books.session() as s:
        assert s.scalar(select(func.count(StatementLine.id)).where(StatementLine.reference.contains(number))) == 0
    real = json.loads(cli(books, "import-statement", str(good), "--json").output)
    assert real["matched"][0]["invoices"] == [number] and books.receivable(number).state == "paid"
    again = json.loads(cli(books, "import-statement", str(good), "--json").output)
    assert again["duplicates"] == 1 and again["matched"] == []


def test_unmatched_line_is_matched_by_hand(books):
    from addons.dunning.models import StatementLine
    from addons.dunning.services import statements
    customer = books.customer(name="Tan Phu Co")
    number = books.invoice(customer, "88000")
    with books.tx() as s:
        statements.import_statement(s, f"date,amount,currency,reference,counterparty\n{TODAY},50000,VND,"
                                       f"tien hang,Mr Tan\n".encode(), fmt="csv")
        line_id = s.scalar(select(StatementLine.id).where(StatementLine.counterparty == "Mr Tan"))
    with books.tx() as s:
        assert statements.match_line(s, line_id, number) == [number]
    assert books.receivable(number).open_amount == Decimal(38000)
    with pytest.raises(UserError, match="line: already matched"):
        with books.tx() as s:
            statements.match_line(s, line_id, number)


def cli_raw(books, *args):
    from click.testing import CliRunner
    from core.cli_main import cli as main
    return CliRunner().invoke(main, ["--database-url", books.runtime.db.url, "dunning", *args,
                                     "--business", books.business.slug])


def test_the_admin_upload_reads_a_schema_valid_camt053_dry_run_then_for_real(fresh_books, make_user, client_for):
    import io
    from addons.dunning.models import StatementLine
    b = fresh_books
    a = b.customer(name="CONG TY TNHH AN PHAT")
    inv_a = b.invoice(a, "150000")
    content = sample("camt053.001.02.xml", AMOUNT_A="150000", AMOUNT_BATCH="877000", AMOUNT_B="100000",
                     INVOICE_A=inv_a, INVOICE_B="NOT-AN-INVOICE", CUSTOMER_B="Nobody Known")
    web = client_for(make_user(b.business, permissions=["dunning.statement.read", "dunning.statement.import"]))
    web.get("/admin/dunning_statement_import/")

    def upload(data: bytes, **form):
        return web.post("/admin/dunning_statement_import/", {"file": (io.BytesIO(data), "stmt.xml"), **form},
                        content_type="multipart/form-data").get_data(as_text=True)

    dry = upload(content, format="camt053", dry_run="1")
    assert inv_a in dry and b.receivable(inv_a).state == "open"
    with b.session() as s:
        assert s.scalar(select(func.count(StatementLine.id))) == 0
    upload(content, format="camt053")
    assert b.receivable(inv_a).state == "paid"
    with b.session() as s:
        assert s.scalar(select(func.count(StatementLine.id))) == 3
    broken = upload(content.replace(b">150000<", b">15O000<", 1), format="camt053")
    assert "Stmt[1]/Ntry[1]/Amt" in broken  # a bad amount names the element; nothing written
    with b.session() as s:
        assert s.scalar(select(func.count(StatementLine.id))) == 3

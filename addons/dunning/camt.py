"""Reading bank statements: ISO 20022 CAMT.053 (BankToCustomerStatement) and a simple CSV.

Pure parsing, no database: a file becomes a list of ``Line`` (booked credits
only) or a UserError naming the line or element at fault. The CAMT reader
follows the ISO 20022 message definition of camt.053.001.02 and .08 (the
element names are the same abbreviations in every version; .08 nests the
status in ``Sts/Cd`` and a party's name in ``Dbtr/Pty/Nm``): per ``Stmt`` the
account (``Acct/Id/IBAN`` or ``Othr/Id``), per ``Ntry`` the amount with its
``Ccy``, ``CdtDbtInd`` (only ``CRDT`` is money in), ``RvslInd`` (reversals are
skipped), ``Sts`` (only ``BOOK``), ``BookgDt/Dt`` (or ``DtTm``), and per
``NtryDtls/TxDtls`` (a batch entry has several) the amount, ``Refs``
(``AcctSvcrRef``, ``EndToEndId``), ``RltdPties/Dbtr`` and the remittance
information (``RmtInf/Ustrd``, ``RmtInf/Strd/CdtrRefInf/Ref``). The XML parser
resolves no entities, loads no DTD and opens no network or file.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.errors import UserError
from core.i18n import _
from core.numbers import parse_decimal

CSV_COLUMNS = ("date", "amount", "currency", "reference", "counterparty")
MAX_LINES = 50000


@dataclass(frozen=True)
class Line:
    """One credit on the account: what matching needs, and a key that is the same on every import."""
    key: str
    booked_on: date
    amount: Decimal
    currency: str
    reference: str
    counterparty: str


@dataclass(frozen=True)
class Parsed:
    format: str
    statement_ref: str | None
    lines: list


def _digest(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def _keys(raw: list[tuple]) -> list[str]:
    """A line without a bank reference is keyed by its content and its rank among identical lines, so two
    equal transfers on one day stay two lines, and the same file read again gives the same keys."""
    seen: dict = {}
    out = []
    for account, bank_ref, *content in raw:
        if bank_ref:
            out.append(f"ref:{account}:{bank_ref}"[:200])
            continue
        base = _digest(account, *content)
        seen[base] = seen.get(base, 0) + 1
        out.append(f"sum:{base}:{seen[base]}")
    return out


def _currency(text: str, where: str) -> str:
    code = (text or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise UserError(_("%(where)s: %(code)s is not a currency code (ISO 4217, e.g. EUR)", where=where,
                          code=repr(text)))
    return code


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        raise UserError(_("%(where)s: %(value)s is not a date (YYYY-MM-DD)", where=where,
                          value=repr(text))) from None


# ---------------------------------------------------------------- CAMT.053

def _parser():
    from lxml import etree   # lxml imported when a statement is read, not at start-up
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True)


def _text(node, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _ns(path: str) -> str:
    return "/".join("{*}" + part for part in path.split("/"))


def parse_camt053(content: bytes) -> Parsed:
    from lxml import etree
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise UserError(_("file: not a well-formed XML document (%(error)s)", error=str(exc))) from None
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith("urn:iso:std:iso:20022:tech:xsd:camt.053."):
        raise UserError(_("file: not a CAMT.053 statement (namespace %(ns)s)", ns=repr(namespace)))
    statements = root.findall(_ns("BkToCstmrStmt/Stmt"))
    if not statements:
        raise UserError(_("file: the statement has no Stmt element"))
    raw, refs = [], []
    for s_index, stmt in enumerate(statements, start=1):
        account = (_text(stmt, _ns("Acct/Id/IBAN")) or _text(stmt, _ns("Acct/Id/Othr/Id"))).replace(" ", "")
        refs.append(_text(stmt, _ns("Id")))
        for n_index, entry in enumerate(stmt.findall(_ns("Ntry")), start=1):
            where = f"Stmt[{s_index}]/Ntry[{n_index}]"
            if _text(entry, _ns("CdtDbtInd")) != "CRDT" or _text(entry, _ns("RvslInd")).lower() == "true":
                continue
            status = _text(entry, _ns("Sts/Cd")) or _text(entry, _ns("Sts"))
            if status and status != "BOOK":
                continue
            booked = _day(_text(entry, _ns("BookgDt/Dt")) or _text(entry, _ns("BookgDt/DtTm")),
                          where + "/BookgDt")
            amount_node = entry.find(_ns("Amt"))
            if amount_node is None:
                raise UserError(_("%(where)s: no Amt", where=where))
            entry_ref = _text(entry, _ns("AcctSvcrRef")) or _text(entry, _ns("NtryRef"))
            details = entry.findall(_ns("NtryDtls/TxDtls"))
            if not details:
                details = [None]
            for t_index, tx in enumerate(details, start=1):
                here = where + (f"/TxDtls[{t_index}]" if tx is not None else "")
                node = None
                if tx is not None and len(details) > 1:
                    node = tx.find(_ns("AmtDtls/TxAmt/Amt"))
                    if node is None:
                        node = tx.find(_ns("Amt"))
                    if node is None:
                        raise UserError(_("%(where)s: a batch entry's transaction has no amount", where=here))
                at = here if node is not None else where  # the element the amount is read from
                node = node if node is not None else amount_node
                amount = parse_decimal(node.text or "", field=at + "/Amt", minimum=0)
                currency = _currency(node.get("Ccy", ""), at + "/Amt/@Ccy")
                parts = [_text(p, ".") for p in (tx.findall(_ns("RmtInf/Ustrd")) if tx is not None else [])]
                if tx is not None:
                    parts += [_text(p, ".") for p in tx.findall(_ns("RmtInf/Strd/CdtrRefInf/Ref"))]
                    e2e = _text(tx, _ns("Refs/EndToEndId"))
                    if e2e and e2e.upper() != "NOTPROVIDED":
                        parts.append(e2e)
                if not parts:
                    parts.append(_text(entry, _ns("AddtlNtryInf")))
                counterparty = ""
                if tx is not None:
                    counterparty = (_text(tx, _ns("RltdPties/Dbtr/Nm")) or _text(tx, _ns("RltdPties/Dbtr/Pty/Nm")))
                tx_ref = _text(tx, _ns("Refs/AcctSvcrRef")) if tx is not None else ""
                bank_ref = tx_ref or (f"{entry_ref}/{t_index}" if entry_ref and len(details) > 1 else entry_ref)
                raw.append((account, bank_ref, booked.isoformat(), amount, currency,
                            " ".join(dict.fromkeys(p for p in parts if p)), counterparty))
    if len(raw) > MAX_LINES:
        raise UserError(_("file: more than %(n)s lines; split the statement", n=MAX_LINES))
    keys = _keys(raw)
    lines = [Line(key=k, booked_on=date.fromisoformat(r[2]), amount=r[3], currency=r[4], reference=r[5][:2000],
                  counterparty=r[6][:200]) for k, r in zip(keys, raw)]
    return Parsed("camt053", ",".join(r for r in refs if r)[:120] or None, lines)


# ---------------------------------------------------------------- CSV

def parse_csv(content: bytes) -> Parsed:
    """Columns date, amount, currency, reference, counterparty (a header line naming them; any order).

    Negative amounts are money out and are skipped, like CAMT debits."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise UserError(_("file: not valid UTF-8 (line %(line)s)", line=line)) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:3] if c not in header]
    if missing:
        raise UserError(_("file: the header must name %(columns)s (missing: %(missing)s)",
                          columns=", ".join(CSV_COLUMNS), missing=", ".join(missing)))
    reader.fieldnames = header
    raw = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            raise UserError(_("file: more than %(n)s lines; split the statement", n=MAX_LINES))
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        where = _("line %(n)s", n=number)
        if "\x00" in "".join(v for v in row.values() if isinstance(v, str)):
            raise UserError(_("%(where)s: contains a NUL byte", where=where))
        amount = parse_decimal((row.get("amount") or "").strip(), field=f"{where}: amount")
        if amount <= 0:
            continue
        raw.append(("csv", "", _day(row.get("date") or "", f"{where}: date").isoformat(), amount,
                    _currency(row.get("currency") or "", f"{where}: currency"),
                    " ".join((row.get("reference") or "").split())[:2000],
                    " ".join((row.get("counterparty") or "").split())[:200]))
    keys = _keys(raw)
    lines = [Line(key=k, booked_on=date.fromisoformat(r[2]), amount=r[3], currency=r[4], reference=r[5],
                  counterparty=r[6]) for k, r in zip(keys, raw)]
    return Parsed("csv", None, lines)


def parse(content: bytes, fmt: str | None, filename: str = "") -> Parsed:
    """``fmt`` camt053 or csv; without one, guessed from the content (XML or not)."""
    if fmt not in (None, "", "camt053", "csv"):
        raise UserError(_("format: %(fmt)s is not one of camt053, csv", fmt=repr(fmt)))
    if not fmt:
        fmt = "camt053" if content.lstrip()[:1] == b"<" or filename.lower().endswith(".xml") else "csv"
    return parse_camt053(content) if fmt == "camt053" else parse_csv(content)

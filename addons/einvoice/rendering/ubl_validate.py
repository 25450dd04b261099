"""Validate UBL 2.1 invoices and credit notes the way a Peppol access point does.

Three layers, all from the official files in the shared standards folder
(``TESSERA_STANDARDS_DIR``, default ``<project>/../shared/standards``):

1. the OASIS UBL 2.1 XSD (lxml), chosen by the root element;
2. the CEN EN 16931 UBL rules, compiled Schematron (XSLT 2.0, run by saxonche);
3. the Peppol BIS Billing 3.0 rules, same form.

A problem is an XSD error or an SVRL ``failed-assert`` flagged ``fatal`` or
``error``; warnings are not problems. Compiling the rule sets takes seconds,
so it is done once per process and kept.
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

from core.config import PROJECT_ROOT
from core.errors import UserError

SVRL = "http://purl.oclc.org/dsdl/svrl"
ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "UBL-Invoice-2.1.xsd",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "UBL-CreditNote-2.1.xsd",
}
EN16931_RULES = ("EN16931", "rules/ubl/en16931/EN16931-UBL-validation-1.3.16.xslt")
PEPPOL_RULES = ("PEPPOL", "rules/ubl/peppol/PEPPOL-EN16931-UBL.xslt")
PEPPOL_CUSTOMIZATION = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILES = ("auto", "en16931", "peppol")
BLOCKING_FLAGS = frozenset({"fatal", "error"})
_saxon_lock = threading.Lock()


def standards_dir() -> Path:
    """The shared standards folder; a clear error when it is not there."""
    folder = Path(os.environ.get("TESSERA_STANDARDS_DIR") or PROJECT_ROOT.parent / "shared" / "standards")
    if not (folder / "rules" / "ubl").is_dir():
        raise UserError(f"UBL validation needs the standards folder (rules/ubl) at {folder}; "
                        f"set TESSERA_STANDARDS_DIR to the shared/standards checkout")
    return folder


@lru_cache(maxsize=4)
def _schema(folder: str, filename: str) -> etree.XMLSchema:
    path = Path(folder) / "rules" / "ubl" / "xsd" / "maindoc" / filename
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


@lru_cache(maxsize=1)
def _processor():
    from saxonche import PySaxonProcessor
    return PySaxonProcessor(license=False)


@lru_cache(maxsize=4)
def _rules(folder: str, relative: str):
    compiler = _processor().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(Path(folder) / relative))


def _parse(xml: bytes) -> etree._ElementTree:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(_bytes_io(xml), parser)
    except etree.XMLSyntaxError as exc:
        raise UserError(f"not well-formed XML: {exc}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # UBL has no DTD; a DOCTYPE here can only be an entity trick (XXE, billion laughs).
        raise UserError("XML with a DOCTYPE is refused: UBL documents have none")
    return tree


def _bytes_io(xml):
    import io
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    return io.BytesIO(bytes(xml))


def xsd_problems(tree: etree._ElementTree, folder: Path) -> list[str]:
    """UBL-XSD problems of ``tree``; an unknown root element is one."""
    root = tree.getroot()
    filename = ROOTS.get(root.tag)
    if filename is None:
        return [f"UBL-XSD: root element {root.tag} is neither a UBL 2.1 Invoice nor a CreditNote"]
    schema = _schema(str(folder), filename)
    if schema.validate(tree):
        return []
    return [f"UBL-XSD: line {e.line}: {e.message}" for e in schema.error_log]


def rule_problems(xml: bytes, folder: Path, rule_sets) -> list[str]:
    """Fatal/error assertions of the EN 16931 and Peppol rule sets, as 'RULE-ID [set]: text (location)'."""
    problems = []
    with _saxon_lock:  # one SaxonC processor per process; its executables are not documented thread-safe
        document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
        for label, relative in rule_sets:
            report = _rules(str(folder), relative).transform_to_string(xdm_node=document)
            problems += _failed_asserts(report, label)
    return problems


def _failed_asserts(report: str, label: str) -> list[str]:
    svrl = etree.fromstring(report.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    found = []
    for node in svrl.iter(f"{{{SVRL}}}failed-assert"):
        flag = (node.get("flag") or "error").lower()
        if flag not in BLOCKING_FLAGS:
            continue
        text = " ".join("".join(node.itertext()).split())
        found.append(f"{node.get('id') or '?'} [{label}/{flag}]: {text} ({node.get('location', '')})")
    return found


def validate_ubl(xml: bytes, profile: str = "auto") -> list[str]:
    """Every blocking problem of a UBL invoice/credit note; an empty list means it passes.

    ``profile``: "en16931" (XSD + EN 16931), "peppol" (XSD + EN 16931 + Peppol
    BIS 3) or "auto" (Peppol rules when the document's CustomizationID claims
    Peppol BIS Billing 3.0, as everything ``build_ubl`` writes does). The XML
    is parsed without entities or network access. Rules run only on an
    XSD-valid document, as access points do: rule results on a document of
    the wrong shape are noise.
    """
    if profile not in PROFILES:
        raise UserError(f"UBL profile {profile!r}: expected one of {', '.join(PROFILES)}")
    folder = standards_dir()
    tree = _parse(xml)
    problems = xsd_problems(tree, folder)
    if problems:
        return problems
    if profile == "auto":
        claimed = tree.findtext("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
                                "CustomizationID") or ""
        profile = "peppol" if PEPPOL_CUSTOMIZATION in claimed else "en16931"
    rule_sets = (EN16931_RULES, PEPPOL_RULES) if profile == "peppol" else (EN16931_RULES,)
    canonical = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return rule_problems(canonical, folder, rule_sets)

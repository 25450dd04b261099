"""SAT's XSDs (as bundled by satcfdi) compiled once per process, to check every CFDI before it is stored.

``CFDI.xml_bytes(validate=True)`` compiles the schemas (the c_ClaveProdServ
catalog alone is 5 MB) on every call; this is the same check with the compiled
schema kept per set of schema files.
"""
from __future__ import annotations

import functools
import os

from lxml import etree

from core.errors import UserError


@functools.lru_cache(maxsize=16)
def _schema(locations: tuple[str, ...]) -> etree.XMLSchema:
    from satcfdi.transform import SCHEMA_ROOT
    from satcfdi.utils import parser
    root = etree.fromstring('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
                            base_url=os.path.join(SCHEMA_ROOT, "schema.xsd"), parser=parser)
    for location in locations:
        etree.SubElement(root, "{http://www.w3.org/2001/XMLSchema}import",
                         attrib={"namespace": "", "schemaLocation": location})
    return etree.XMLSchema(root)


def checked_xml(comprobante) -> bytes:
    """The CFDI's XML (with its schemaLocation), after SAT's schemas accept it; UserError naming the problem."""
    from satcfdi.transform import SchemaCollector, cfdi_schemas
    collector = SchemaCollector()
    cfdi_schemas[comprobante.tag](collector, comprobante)
    element = comprobante.to_xml(include_schema_location=True)
    schema = _schema(tuple(collector.base))
    if not schema.validate(element):
        raise UserError(f"the CFDI does not pass SAT's schema: {schema.error_log.last_error.message}")
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")

"""CSV import and export of products and variants.

One row is one variant; rows sharing ``product_sku`` are one product, whose
fields come from its first row (a later row that repeats them must agree). An
empty cell means "keep" for an existing product and "default" for a new one.

Import is all or nothing: every row is applied inside a SAVEPOINT (one nested
savepoint per product, so one bad product does not hide the errors of the
next), each failure is recorded with its line number and reason, and if any row
failed — or this is a dry run — the outer savepoint is rolled back, so nothing of
the import is written. The report says what was (or would be) created and updated.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import describe_integrity_error
from core.errors import UserError
from core.i18n import _

from . import services as s
from .models import MAX_ATTRIBUTES, Product, Variant

LANGS = s.LANGUAGES
PRODUCT_COLUMNS = ["product_sku", "name", "category", "brand", "unit", "tax_class", "sale_price", "cost_price",
                   "weight_g", "length_mm", "width_mm", "height_mm", "active", "images", "description"] + \
                  [f"name_{lang}" for lang in LANGS]
VARIANT_COLUMNS = ["variant_sku", "barcode", "variant_price", "variant_cost_price"] + \
                  [f"{kind}{i}" for i in range(1, MAX_ATTRIBUTES + 1) for kind in ("attribute", "value")]
COLUMNS = PRODUCT_COLUMNS + VARIANT_COLUMNS
REQUIRED = ("product_sku",)
MAX_ERRORS_IN_MESSAGE = 20


@dataclass
class ImportReport:
    rows: int = 0
    dry_run: bool = False
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    errors: list = field(default_factory=list)  # [(line, reason)]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict:
        return {"rows": self.rows, "dry_run": self.dry_run, "written": self.written,
                "products_created": self.products_created, "products_updated": self.products_updated,
                "variants_created": self.variants_created, "variants_updated": self.variants_updated,
                "errors": [{"line": line, "reason": reason} for line, reason in self.errors]}


class CsvImportError(UserError):
    """The import had bad rows; nothing was written. ``report`` lists every one."""

    def __init__(self, report: ImportReport):
        self.report = report
        shown = "; ".join(f"line {line}: {reason}" for line, reason in report.errors[:MAX_ERRORS_IN_MESSAGE])
        more = len(report.errors) - MAX_ERRORS_IN_MESSAGE
        super().__init__(f"import failed, nothing written ({len(report.errors)} bad row(s)): {shown}"
                         + (f"; and {more} more" if more > 0 else ""))


def read_rows(text: str) -> tuple[list[tuple[int, dict]], list]:
    """Parse CSV text into (line, row) pairs; header problems are line-1 errors."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    problems = []
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        problems.append((1, _("unknown column(s) %(columns)s (known: %(known)s)", columns=", ".join(unknown),
                              known=", ".join(COLUMNS))))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append((1, _("missing column(s) %(columns)s", columns=", ".join(missing))))
    if len(set(header)) != len(header):
        problems.append((1, _("a column appears twice")))
    rows = []
    if problems:
        return rows, problems
    line = 1
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append((line, _("more cells than columns")))
            continue
        clean = {k: (val or "").strip() for k, val in row.items()}
        if any(clean.values()):
            rows.append((line, clean))
    return rows, problems


def count_rows(text: str) -> int:
    rows, _ = read_rows(text)
    return len(rows)


def import_products(session, text: str, *, dry_run: bool = False, progress=None) -> ImportReport:
    """Import CSV ``text``; raises CsvImportError (nothing written) if any row fails.

    ``progress(n)`` is called after each row (the CLI's progress bar).
    """
    report = ImportReport(dry_run=dry_run)
    rows, problems = read_rows(text)
    report.rows = len(rows)
    report.errors.extend(problems)
    if problems:
        raise CsvImportError(report)
    if not rows:
        report.errors.append((1, _("no rows to import")))
        raise CsvImportError(report)
    groups: dict[str, list] = {}
    for line, row in rows:
        groups.setdefault(row.get("product_sku", ""), []).append((line, row))
    _check_file(groups, report)
    outer = session.begin_nested()
    try:
        for product_sku, group in groups.items():
            failed = {line for line, _ in report.errors}
            if any(line in failed for line, _ in group):
                _tick(progress, len(group))
                continue
            inner = session.begin_nested()
            current, done = group[0][0], 0
            try:
                product, fresh = _apply_product(session, group[0][1], report)
                for line, row in group:
                    current = line
                    _apply_variant(session, product, row, report, fresh)
                    done += 1
                    _tick(progress, 1)
                inner.commit()
            except (UserError, IntegrityError) as exc:
                inner.rollback()
                reason = describe_integrity_error(exc) if isinstance(exc, IntegrityError) else str(exc)
                report.errors.append((current, reason))
                _tick(progress, len(group) - done)
    except BaseException:
        outer.rollback()
        raise
    if report.errors or dry_run:
        outer.rollback()
    else:
        outer.commit()
    report.errors.sort()
    if report.errors:
        raise CsvImportError(report)
    return report


def _tick(progress, n):
    if progress is not None and n:
        progress(n)


def _check_file(groups: dict, report: ImportReport) -> None:
    """Problems visible in the file alone: missing SKUs, disagreeing product fields, repeated variants."""
    seen_variants: dict[str, int] = {}
    for product_sku, group in groups.items():
        first_line, first = group[0]
        for line, row in group:
            if not product_sku:
                report.errors.append((line, _("product_sku: required")))
                continue
            for column in PRODUCT_COLUMNS[1:] + [f"attribute{i}" for i in range(1, MAX_ATTRIBUTES + 1)]:
                if line != first_line and row.get(column) and row.get(column) != first.get(column, ""):
                    report.errors.append((line, _("%(column)s %(value)s differs from line %(line)s (%(first)s) for "
                                                  "product %(sku)s", column=column, value=repr(row[column]),
                                                  line=first_line, first=repr(first.get(column, "")),
                                                  sku=product_sku)))
                    break
            variant_sku = row.get("variant_sku") or product_sku
            if variant_sku in seen_variants:
                report.errors.append((line, _("variant_sku %(sku)s already appears on line %(line)s",
                                              sku=repr(variant_sku), line=seen_variants[variant_sku])))
            else:
                seen_variants[variant_sku] = line
        names = _attribute_names(first)
        if not names and len(group) > 1:
            report.errors.append((group[1][0], _("product %(sku)s has no attributes, so it has one variant; "
                                                 "give attribute1/value1... to list several", sku=product_sku)))


def _attribute_names(row) -> list[str]:
    return [row.get(f"attribute{i}", "") for i in range(1, MAX_ATTRIBUTES + 1) if row.get(f"attribute{i}")]


def _values(row, names) -> dict:
    values = {}
    for i, name in enumerate(names, start=1):
        value = row.get(f"value{i}", "")
        if not value:
            raise UserError(_("value%(n)s: required for attribute %(name)s", n=i, name=repr(name)))
        values[name] = value
    extra = [f"value{i}" for i in range(len(names) + 1, MAX_ATTRIBUTES + 1) if row.get(f"value{i}")]
    if extra:
        raise UserError(_("%(columns)s given without an attribute name", columns=", ".join(extra)))
    return values


def _bool(text, column):
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "y"):
        return True
    if lowered in ("0", "false", "no", "n"):
        return False
    raise UserError(_("%(column)s: %(value)s must be true or false", column=column, value=repr(text)))


def _product_values(session, row, creating: bool) -> dict:
    """Service fields from a row: given cells only (plus defaults when creating)."""
    out = {}
    simple = {"name": "name", "unit": "unit", "tax_class": "tax_class_code", "sale_price": "sale_price",
              "cost_price": "cost_price", "weight_g": "weight_g", "length_mm": "length_mm",
              "width_mm": "width_mm", "height_mm": "height_mm", "description": "description"}
    for column, key in simple.items():
        if row.get(column):
            out[key] = row[column]
    if row.get("active"):
        out["active"] = _bool(row["active"], "active")
    if row.get("images"):
        out["images"] = [p.strip() for p in row["images"].split("|") if p.strip()]
    translations = {lang: row[f"name_{lang}"] for lang in LANGS if row.get(f"name_{lang}")}
    if translations:
        out["translations"] = translations
    if row.get("category"):
        out["category_id"] = s.category_by_path(session, row["category"], create=True).id
    if row.get("brand"):
        out["brand_id"] = s.brand_by_name(session, row["brand"], create=True).id
    if creating:
        if "name" not in out:
            raise UserError(_("name: required for a new product"))
        if "sale_price" not in out:
            raise UserError(_("sale_price: required for a new product"))
    return out


def _apply_product(session, row, report: ImportReport) -> tuple[Product, bool]:
    """Create or update the row's product; True when it was just created as a simple product
    (its default variant then counts as created, not updated)."""
    sku = row["product_sku"]
    names = _attribute_names(row)
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        values = _product_values(session, row, creating=True)
        if names:
            product = s.create_product_shell(session, names, sku=sku, **values)
        else:
            product = s.create_product(session, sku=sku, barcode=row.get("barcode") or None, **values)
            report.variants_created += 1
        report.products_created += 1
        return product, not names
    if list(product.attribute_names or []) != names:
        raise UserError(_("attributes %(names)s differ from the existing product %(sku)s (%(existing)s)",
                          names=", ".join(names) or _("(none)"), sku=sku,
                          existing=", ".join(product.attribute_names or []) or _("none")))
    values = _product_values(session, row, creating=False)
    if not names and row.get("barcode"):
        values["barcode"] = row["barcode"]
    s.update_product(session, product.id, **values)
    report.products_updated += 1
    return product, False


def _variant_changes(row) -> dict:
    changes = {}
    if row.get("variant_price"):
        changes["price"] = row["variant_price"]
    if row.get("variant_cost_price"):
        changes["cost_price"] = row["variant_cost_price"]
    return changes


def _apply_variant(session, product: Product, row, report: ImportReport, fresh: bool) -> None:
    names = product.attribute_names or []
    if not names:
        variant = product.variants[0]
        changes = _variant_changes(row)
        if row.get("variant_sku") and row["variant_sku"] != variant.sku:
            raise UserError(_("variant_sku %(value)s: a product without attributes has one variant with the "
                              "product's SKU (%(sku)s)", value=repr(row["variant_sku"]), sku=product.sku))
        if changes:
            s.update_variant(session, variant.id, **changes)
        if not fresh:
            report.variants_updated += 1
        return
    values = _values(row, names)
    variant_sku = row.get("variant_sku") or ""
    if not variant_sku:
        raise UserError(_("variant_sku: required for a product with attributes"))
    existing = session.scalar(select(Variant).where(Variant.sku == variant_sku))
    if existing is None:
        s.add_variant(session, product.id, sku=variant_sku, values=values, barcode=row.get("barcode") or None,
                      price=row.get("variant_price") or None, cost_price=row.get("variant_cost_price") or None)
        report.variants_created += 1
        return
    if existing.product_id != product.id:
        raise UserError(_("variant_sku %(value)s belongs to product %(sku)s", value=repr(variant_sku),
                          sku=existing.product.sku))
    if existing.attributes != values:
        raise UserError(_("variant %(sku)s is %(values)s, the row says %(row)s; attribute values of an existing "
                          "variant are not changed by import", sku=variant_sku, values=" / ".join(existing.values),
                          row=" / ".join(values.values())))
    changes = _variant_changes(row)
    if row.get("barcode"):
        changes["barcode"] = row["barcode"]
    if changes:
        s.update_variant(session, existing.id, **changes)
    report.variants_updated += 1


# ---------------------------------------------------------------- export

def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def export_rows(session, *, active_only: bool = False):
    """Yield one dict per variant, in product SKU order; the import reads it back unchanged."""
    query = select(Product).order_by(Product.sku)
    if active_only:
        query = query.where(Product.active.is_(True))
    for product in session.scalars(query).unique():
        base = {
            "product_sku": product.sku, "name": product.name,
            "category": product.category.path if product.category else "",
            "brand": product.brand.name if product.brand else "", "unit": product.unit,
            "tax_class": product.tax_class_code or "", "sale_price": _fmt(product.sale_price),
            "cost_price": _fmt(product.cost_price), "weight_g": _fmt(product.weight_g),
            "length_mm": _fmt(product.length_mm), "width_mm": _fmt(product.width_mm),
            "height_mm": _fmt(product.height_mm), "active": "true" if product.active else "false",
            "images": "|".join(product.images or []), "description": product.description or "",
        }
        for lang in LANGS:
            base[f"name_{lang}"] = (product.translations or {}).get(lang, "")
        for variant in product.variants:
            row = dict(base, variant_sku=variant.sku, barcode=variant.barcode or "",
                       variant_price=_fmt(variant.price), variant_cost_price=_fmt(variant.cost_price))
            for i in range(1, MAX_ATTRIBUTES + 1):
                names = product.attribute_names or []
                row[f"attribute{i}"] = names[i - 1] if i <= len(names) else ""
                row[f"value{i}"] = (variant.values[i - 1] if i <= len(variant.values) else "")
            yield row


def export_products(session, out=None, *, active_only: bool = False) -> str | None:
    """Write the catalog as CSV to ``out`` (a text file), or return it as a string."""
    buffer = out if out is not None else io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in export_rows(session, active_only=active_only):
        writer.writerow(row)
    return None if out is not None else buffer.getvalue()

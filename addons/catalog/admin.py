"""Catalog screens: products (with margin), variants, categories, brands, tax classes,
channel price lists, and the CSV import/export page.

Creates and edits go through the services (the same validation as the CSV import
and the API). Lists sort only on indexed columns and page without a COUNT(*).
"""
from __future__ import annotations


from flask import Response, flash, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from wtforms import StringField

from core.admin import SecureModelView, ServiceForms, SecureView
from core.errors import UserError
from core.i18n import _, _l
from core.text import decode_utf8
from core.web.context import db

from . import csvio, services
from .models import CHANNELS, Brand, Category, PriceList, PriceListItem, Product, TaxClass, Variant



def parse_attributes(text: str | None) -> dict | None:
    """'colour=Red,Blue; size=S,M' -> {"colour": ["Red", "Blue"], "size": ["S", "M"]}."""
    if not text or not text.strip():
        return None
    out = {}
    for part in [p for p in text.split(";") if p.strip()]:
        name, sep, values = part.partition("=")
        if not sep:
            raise UserError(_("attributes: write 'name=value1,value2; name2=...' (got %(part)s)",
                              part=repr(part.strip())))
        out[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return out


class ProductView(ServiceForms, SecureModelView):
    addon = "catalog"
    permission = "catalog.product"
    service_update = staticmethod(services.update_product)
    column_list = ("sku", "name", "category", "brand", "tax_class", "sale_price", "cost_price", "margin",
                   "margin_pct", "active")
    column_labels = {"sku": _l("SKU"), "name": _l("Name"), "translations": _l("Names by language"),
                     "category": _l("Category"), "brand": _l("Brand"), "tax_class": _l("Tax class"),
                     "sale_price": _l("Sale price"), "cost_price": _l("Cost"), "margin": _l("Margin"),
                     "margin_pct": _l("Margin %"), "active": _l("Active"), "barcode": _l("Barcode"),
                     "unit": _l("Unit"), "weight_g": _l("Weight (g)"), "length_mm": _l("Length (mm)"),
                     "width_mm": _l("Width (mm)"), "height_mm": _l("Height (mm)"), "description": _l("Description"),
                     "attribute_names": _l("Attributes"), "variants": _l("Variants"), "images": _l("Images"),
                     "created_at": _l("Created"), "updated_at": _l("Updated"),
                     "category.name": _l("Category"), "brand.name": _l("Brand"), "tax_class.code": _l("Tax class")}
    code_columns = {"unit": "unit"}
    column_default_sort = ("name", False)
    column_sortable_list = ("sku", "name")        # (business_id, sku) and (business_id, name) indexes
    column_searchable_list = ("sku", "name", "barcode")
    column_filters = (BooleanEqualFilter(Product.active, _l("Active")), "category.name", "brand.name", "tax_class.code")
    form_columns = ("sku", "name", "barcode", "category", "brand", "tax_class", "unit", "sale_price", "cost_price",
                    "weight_g", "length_mm", "width_mm", "height_mm", "description", "active", "attributes")
    form_extra_fields = {"attributes": StringField(
        _l("Attributes (new products)"), description=_l("Up to three, e.g. colour=Red,Blue; size=S,M — every "
                                                        "combination becomes a variant. Empty: one default variant."))}
    column_details_list = ("sku", "name", "translations", "barcode", "category", "brand", "tax_class", "unit",
                           "sale_price", "cost_price", "margin", "margin_pct", "attribute_names", "variants",
                           "weight_g", "length_mm", "width_mm", "height_mm", "images", "description", "active",
                           "created_at", "updated_at")

    def form_values(self, form) -> dict:
        values = super().form_values(form)
        tax_class_id = values.pop("tax_class_id", None)
        values["tax_class_code"] = db().get(TaxClass, tax_class_id).code if tax_class_id else None
        return values

    def create_model(self, form):
        def create(session):
            values = self.form_values(form)
            attributes = parse_attributes(values.pop("attributes", None))
            return services.create_product(session, attributes=attributes, **values)
        model = self._save(create)
        return model if model is not None else False

    def update_model(self, form, model):
        def update(session):
            values = self.form_values(form)
            if (values.pop("attributes", None) or "").strip():
                raise UserError(_("attributes are set when a product is created; add variants by CSV import"))
            return services.update_product(session, model.id, **values)
        return self._save(update) is not None


class VariantView(ServiceForms, SecureModelView):
    addon = "catalog"
    permission = "catalog.product"
    allow_create = allow_delete = False        # products make their variants
    service_update = staticmethod(services.update_variant)
    column_list = ("sku", "product", "value1", "value2", "value3", "barcode", "price", "cost_price", "active")
    column_labels = {"sku": _l("SKU"), "product": _l("Product"), "barcode": _l("Barcode"), "active": _l("Active"),
                     "value1": _l("Attribute 1"), "value2": _l("Attribute 2"), "value3": _l("Attribute 3"),
                     "price": _l("Price (empty: product's)"), "cost_price": _l("Cost (empty: product's)")}
    column_default_sort = ("sku", False)
    column_sortable_list = ("sku",)
    column_searchable_list = ("sku", "barcode")
    column_filters = (BooleanEqualFilter(Variant.active, _l("Active")),)
    form_columns = ("sku", "barcode", "price", "cost_price", "active")


class CategoryView(ServiceForms, SecureModelView):
    addon = "catalog"
    permission = "catalog.setup"
    allow_edit = False
    service_create = staticmethod(services.create_category)
    column_list = ("name", "parent")
    column_labels = {"name": _l("Name"), "parent": _l("Parent category")}
    column_default_sort = ("name", False)
    column_searchable_list = ("name",)
    form_columns = ("name", "parent")


class BrandView(SecureModelView):
    addon = "catalog"
    permission = "catalog.setup"
    column_list = ("name",)
    column_labels = {"name": _l("Name")}
    column_default_sort = ("name", False)
    column_searchable_list = ("name",)
    form_columns = ("name",)


class TaxClassView(ServiceForms, SecureModelView):
    addon = "catalog"
    permission = "catalog.setup"
    allow_edit = False        # a rate used on issued documents is never changed; add a new class
    service_create = staticmethod(services.create_tax_class)
    column_list = ("code", "name", "rate", "exempt")
    column_labels = {"code": _l("Code"), "name": _l("Name"), "rate": _l("Rate"), "exempt": _l("Exempt")}
    column_default_sort = ("code", False)
    form_columns = ("code", "name", "rate", "exempt")


class PriceListView(ServiceForms, SecureModelView):
    addon = "catalog"
    permission = "catalog.setup"
    allow_edit = False
    service_create = staticmethod(services.create_price_list)
    column_list = ("name", "channel", "active")
    column_labels = {"name": _l("Name"), "channel": _l("Channel"), "active": _l("Active")}
    form_columns = ("name", "channel")
    form_choices = {"channel": [(c, c) for c in CHANNELS]}


class PriceListItemView(SecureModelView):
    addon = "catalog"
    permission = "catalog.setup"
    allow_edit = False
    column_list = ("price_list", "variant", "price")
    column_labels = {"price_list": _l("Price list"), "variant": _l("Variant"), "price": _l("Price"),
                     "variant.sku": _l("Variant SKU"), "price_list.channel": _l("Channel")}
    column_searchable_list = ("variant.sku",)
    column_filters = ("price_list.channel",)
    form_columns = ("price_list", "variant", "price")
    form_ajax_refs = {"variant": {"fields": ("sku",), "page_size": 20}}

    def create_model(self, form):
        session = db()
        try:
            item = services.set_list_price(session, form.price_list.data.channel, form.variant.data.id,
                                           form.price.data)
            session.commit()
        except (UserError, AttributeError) as exc:
            session.rollback()
            flash(str(exc) if isinstance(exc, UserError) else _("price list and variant are required"), "error")
            return False
        return item


class ImportView(SecureView):
    """Upload a CSV (dry run or real) and see the per-line report; download the export."""
    addon = "catalog"
    permission = "catalog.product"

    def action_for(self, name):
        if name == "export":
            return "export"
        return "import" if request.method == "POST" else "read"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        report, error = None, None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("choose a CSV file to import"), "error")
            else:
                try:
                    text = decode_utf8(upload.read(), upload.filename)
                except UserError as exc:
                    text = None
                    flash(str(exc), "error")
                if text is not None:
                    session = db()
                    try:
                        report = csvio.import_products(session, text, dry_run=bool(request.form.get("dry_run")))
                        session.commit()
                    except csvio.CsvImportError as exc:
                        session.rollback()
                        report, error = exc.report, str(exc)
                    except UserError as exc:
                        session.rollback()
                        flash(str(exc), "error")
        return self.render("catalog/import.html", report=report, error=error, columns=csvio.COLUMNS)

    @expose("/export")
    def export(self):
        text = csvio.export_products(db())
        return Response(text, mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=products.csv"})


def register(admin, ctx):
    admin.add_view(ProductView(Product, ctx.session, name=_l("Products"), endpoint="catalog_product"),
                   menu="inventory")
    admin.add_view(VariantView(Variant, ctx.session, name=_l("Variants"), endpoint="catalog_variant"),
                   menu="inventory")
    admin.add_view(CategoryView(Category, ctx.session, name=_l("Product categories"), endpoint="catalog_category"),
                   menu="inventory")
    admin.add_view(BrandView(Brand, ctx.session, name=_l("Brands"), endpoint="catalog_brand"), menu="inventory")
    admin.add_view(TaxClassView(TaxClass, ctx.session, name=_l("Tax classes"), endpoint="catalog_tax_class"),
                   menu="settings")
    admin.add_view(PriceListView(PriceList, ctx.session, name=_l("Price lists"), endpoint="catalog_price_list"),
                   menu="sales")
    admin.add_view(PriceListItemView(PriceListItem, ctx.session, name=_l("Channel prices"),
                                     endpoint="catalog_price_list_item"), menu="sales")
    admin.add_view(ImportView(name=_l("Import / export products"), endpoint="catalog_import"), menu="inventory")

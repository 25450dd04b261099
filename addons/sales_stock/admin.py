"""Which warehouse serves an order: listed, and changed while the order is New.

Changes go through ``services.set_order_warehouse``, which refuses once the
order is confirmed (its stock is then reserved where it is). The order is
picked by number through an ajax lookup, because the orders table is large.
"""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import BooleanEqualFilter

from core.admin import SecureModelView, ServiceForms
from core.i18n import _l

from . import services
from .models import OrderWarehouse


def _change(session, _link_id, order_id, warehouse_id):
    return services.set_order_warehouse(session, order_id, warehouse_id)


class OrderWarehouseView(ServiceForms, SecureModelView):
    addon = "sales_stock"
    permission = "sales_stock.order_warehouse"
    allow_delete = False
    service_create = staticmethod(services.set_order_warehouse)
    service_update = staticmethod(_change)
    column_list = ("order", "warehouse", "reserved")
    column_sortable_list = ()
    column_filters = (BooleanEqualFilter(OrderWarehouse.reserved, _l("Stock reserved")),)
    form_columns = ("order", "warehouse")
    form_ajax_refs = {"order": {"fields": ("number",), "page_size": 20}}
    column_labels = {"order": _l("Order"), "warehouse": _l("Warehouse"), "reserved": _l("Stock reserved")}


def register(admin, ctx):
    admin.add_view(OrderWarehouseView(OrderWarehouse, ctx.session, name=_l("Order warehouses"),
                                      endpoint="sales_stock_order_warehouse"), menu="inventory")

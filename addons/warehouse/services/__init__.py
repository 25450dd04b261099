"""Warehouse services: the one import path for callers (sales_stock, admin, CLI, jobs, demo).

One module per flow: ``stock`` (balances and the move ledger: receive, reserve,
release, deliver, transfer, adjust, scrap, check), ``purchasing`` (purchase
orders and receipts), ``counts`` (stock counts), ``transfers`` (transfer
documents), ``reorder`` (reorder points) and ``warehouses`` (the warehouses
themselves). They import one way (stock < purchasing < reorder; stock < counts,
transfers, warehouses) and never this package; it
re-exports them so callers write ``from addons.warehouse import services``.
All of them validate, raise UserError, and never commit.
"""
from __future__ import annotations

from .counts import (apply_count, cancel_count, create_count, get_count, import_counts, record_counts,  # noqa: F401
                     start_count, variance_report)
from .purchasing import (add_purchase_line, cancel_purchase_order, create_purchase_order,  # noqa: F401
                         get_purchase_order, preferred_supplier, receive_purchase_order, send_purchase_order,
                         set_supplier_product, update_purchase_line)
from .reorder import (below_reorder_points, draft_purchase_for_shortfall, draft_reorder_purchases,  # noqa: F401
                      low_stock, set_reorder_point)
from .stock import (adjust, check_balances, default_order, default_warehouse, deliver, get_warehouse, quantity,  # noqa: F401
                    receive, release, reserve, restock, scrap, stock_levels, transfer, warehouse_by_code)
from .transfers import (cancel_transfer, confirm_transfer, create_transfer, get_transfer,  # noqa: F401
                        lines_from_text, transfer_by_number, transfer_moves)
from .warehouses import FIELDS, create_warehouse, set_allow_negative_stock, update_warehouse  # noqa: F401

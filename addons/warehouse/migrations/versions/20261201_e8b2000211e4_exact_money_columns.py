"""exact money columns

Revision ID: e8b2000211e4
Revises: dd71f62debfd
Create Date: 2026-12-01 10:00:00

Amounts, quantities and rates move to core.money's exact storage: NUMERIC on
PostgreSQL (widened where the one quantity type is wider), scaled 64-bit
integers on SQLite (see core.money_migration).
"""
from typing import Sequence, Union

from alembic import op

from core import money_migration

revision: str = 'e8b2000211e4'
down_revision: Union[str, Sequence[str], None] = 'dd71f62debfd'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# {table: {column: (precision, scale)}} as of this revision
COLUMNS = {
    'warehouse_purchase_line': {'quantity': (18, 4), 'received_qty': (18, 4), 'unit_cost': (18, 4)},
    'warehouse_reorder_point': {'min_qty': (18, 4), 'max_qty': (18, 4)},
    'warehouse_stock_balance': {'on_hand': (18, 4), 'reserved': (18, 4)},
    'warehouse_stock_count_line': {'expected_qty': (18, 4), 'counted_qty': (18, 4), 'applied_delta': (18, 4)},
    'warehouse_stock_move': {'on_hand_delta': (18, 4), 'reserved_delta': (18, 4), 'unit_cost': (18, 4)},
    'warehouse_supplier_product': {'unit_cost': (18, 4), 'min_qty': (18, 4)},
    'warehouse_receipt_line': {'quantity': (18, 4), 'unit_cost': (18, 4)},
}
# CHECKs whose literals mean something else on scaled integers: (SQLite after, before)
SQLITE_CHECKS = {
}


def upgrade() -> None:
    money_migration.upgrade(op, COLUMNS, SQLITE_CHECKS)


def downgrade() -> None:
    money_migration.downgrade(op, COLUMNS, SQLITE_CHECKS)

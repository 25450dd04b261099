"""exact money columns

Revision ID: 2792909e0c34
Revises: af0b46032b9b
Create Date: 2026-12-01 10:00:00

Amounts, quantities and rates move to core.money's exact storage: NUMERIC on
PostgreSQL (widened where the one quantity type is wider), scaled 64-bit
integers on SQLite (see core.money_migration).
"""
from typing import Sequence, Union

from alembic import op

from core import money_migration

revision: str = '2792909e0c34'
down_revision: Union[str, Sequence[str], None] = 'af0b46032b9b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# {table: {column: (precision, scale)}} as of this revision
COLUMNS = {
    'sales_payment_term': {'discount_percent': (5, 2)},
    'sales_order': {
        'term_discount_percent': (5, 2), 'subtotal': (18, 4), 'discount_total': (18, 4), 'tax_total': (18, 4),
        'shipping_fee': (18, 4), 'total': (18, 4), 'cod_amount': (18, 4), 'amount_paid': (18, 4),
        'amount_refunded': (18, 4), 'early_discount': (18, 4), 'amount_credited': (18, 4),
    },
    'sales_order_line': {
        'qty': (18, 4), 'unit_price': (18, 4), 'discount_percent': (5, 2), 'tax_rate': (8, 6),
        'net_amount': (18, 4), 'tax_amount': (18, 4), 'total_amount': (18, 4), 'qty_delivered': (18, 4),
        'qty_returned': (18, 4),
    },
    'sales_payment': {'amount': (18, 4)},
    'sales_return': {'refund_amount': (18, 4), 'credit_amount': (18, 4)},
    'sales_return_line': {'qty': (18, 4), 'amount': (18, 4)},
}
# CHECKs whose literals mean something else on scaled integers: (SQLite after, before)
SQLITE_CHECKS = {
    'sales_payment_term': {
        'ck_sales_payment_term_discount': (
            'discount_percent >= 0 AND discount_percent < 10000',
            'discount_percent >= 0 AND discount_percent < 100'),
    },
    'sales_order_line': {
        'ck_sales_order_line_discount': (
            'discount_percent >= 0 AND discount_percent <= 10000',
            'discount_percent >= 0 AND discount_percent <= 100'),
    },
}

# Sales quantities were NUMERIC(14, 3); they widen to the one quantity type (18, 4). Tax rates were
# NUMERIC(6, 4); they widen to six decimals (8.875 % is 0.08875).
PREVIOUS = {
    'sales_order_line': {'qty': (14, 3), 'qty_delivered': (14, 3), 'qty_returned': (14, 3), 'tax_rate': (6, 4)},
    'sales_return_line': {'qty': (14, 3)},
}


def upgrade() -> None:
    money_migration.upgrade(op, COLUMNS, SQLITE_CHECKS)


def downgrade() -> None:
    money_migration.downgrade(op, COLUMNS, SQLITE_CHECKS, previous=PREVIOUS)

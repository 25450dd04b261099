"""exact money columns

Revision ID: e56d2863441d
Revises: 3b67f6946dad
Create Date: 2026-12-01 10:00:00

Amounts, quantities and rates move to core.money's exact storage: NUMERIC on
PostgreSQL (widened where the one quantity type is wider), scaled 64-bit
integers on SQLite (see core.money_migration).
"""
from typing import Sequence, Union

from alembic import op

from core import money_migration

revision: str = 'e56d2863441d'
down_revision: Union[str, Sequence[str], None] = '3b67f6946dad'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# {table: {column: (precision, scale)}} as of this revision
COLUMNS = {
    'einvoice_document': {
        'early_discount_percent': (5, 2), 'exchange_rate': (18, 8), 'subtotal': (18, 4), 'tax_total': (18, 4),
        'total': (18, 4),
    },
    'einvoice_document_line': {
        'quantity': (18, 4), 'unit_price': (18, 4), 'discount_percent': (5, 2), 'tax_rate': (8, 6),
        'net_amount': (18, 4), 'tax_amount': (18, 4),
    },
}
# CHECKs whose literals mean something else on scaled integers: (SQLite after, before)
SQLITE_CHECKS = {
    'einvoice_document_line': {
        'ck_einvoice_document_line_discount': (
            'discount_percent >= 0 AND discount_percent <= 10000',
            'discount_percent >= 0 AND discount_percent <= 100'),
    },
}

# Tax rates were NUMERIC(6, 4); they widen to six decimals (8.875 % is 0.08875).
PREVIOUS = {'einvoice_document_line': {'tax_rate': (6, 4)}}


def upgrade() -> None:
    money_migration.upgrade(op, COLUMNS, SQLITE_CHECKS)


def downgrade() -> None:
    money_migration.downgrade(op, COLUMNS, SQLITE_CHECKS, previous=PREVIOUS)

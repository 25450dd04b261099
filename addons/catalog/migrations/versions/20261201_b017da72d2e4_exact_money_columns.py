"""exact money columns

Revision ID: b017da72d2e4
Revises: 492f4cfe8950
Create Date: 2026-12-01 10:00:00

Amounts, quantities and rates move to core.money's exact storage: NUMERIC on
PostgreSQL (widened where the one quantity type is wider), scaled 64-bit
integers on SQLite (see core.money_migration).
"""
from typing import Sequence, Union

from alembic import op

from core import money_migration

revision: str = 'b017da72d2e4'
down_revision: Union[str, Sequence[str], None] = '492f4cfe8950'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# {table: {column: (precision, scale)}} as of this revision
COLUMNS = {
    'catalog_tax_class': {'rate': (8, 6)},
    'catalog_product': {'cost_price': (18, 4), 'sale_price': (18, 4)},
    'catalog_variant': {'price': (18, 4), 'cost_price': (18, 4)},
    'catalog_price_list_item': {'price': (18, 4)},
}
# CHECKs whose literals mean something else on scaled integers: (SQLite after, before)
SQLITE_CHECKS = {
    'catalog_tax_class': {'ck_catalog_tax_class_rate': ('rate >= 0 AND rate < 1000000', 'rate >= 0 AND rate < 1')},
}

# Tax rates were NUMERIC(6, 4); they widen to six decimals (8.875 % is 0.08875).
PREVIOUS = {'catalog_tax_class': {'rate': (6, 4)}}


def upgrade() -> None:
    money_migration.upgrade(op, COLUMNS, SQLITE_CHECKS)


def downgrade() -> None:
    money_migration.downgrade(op, COLUMNS, SQLITE_CHECKS, previous=PREVIOUS)

"""low stock: an index on what is available

Revision ID: 482c42980290
Revises: 8bdf27efe2e8
Create Date: 2026-12-01 14:00:00

A balance is low at or below zero available, or at or below its reorder point's minimum
(``services.low_stock``). The first is a range of this expression index on
(business_id, on_hand - reserved); the second walks the business's reorder points (their
unique key) and looks each balance up by its own, so neither the Stock list's "Low stock"
filter nor the home page's tile reads every balance.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '482c42980290'
down_revision: Union[str, Sequence[str], None] = '8bdf27efe2e8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_warehouse_stock_balance_business_available', 'warehouse_stock_balance',
                    ['business_id', sa.text('(on_hand - reserved)')])


def downgrade() -> None:
    op.drop_index('ix_warehouse_stock_balance_business_available', table_name='warehouse_stock_balance')

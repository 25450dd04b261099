"""REST API indexes: orders by last change, alone or within a state

Revision ID: c3d8e1a7f5b2
Revises: 4b0de4cd0e67
Create Date: 2026-12-01 16:10:00

``GET /api/v1/orders`` pages by (updated_at, id), optionally from ``updated_since`` and
within one ``state``: (business_id, updated_at, id) and (business_id, state, updated_at, id)
hand the rows over in that order, so a page reads only its rows.
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'c3d8e1a7f5b2'
down_revision: Union[str, Sequence[str], None] = '4b0de4cd0e67'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_sales_order_business_updated', 'sales_order', ['business_id', 'updated_at', 'id'])
    op.create_index('ix_sales_order_business_state_updated', 'sales_order', ['business_id', 'state', 'updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_sales_order_business_state_updated', table_name='sales_order')
    op.drop_index('ix_sales_order_business_updated', table_name='sales_order')

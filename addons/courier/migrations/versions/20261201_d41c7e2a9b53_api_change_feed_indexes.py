"""REST API indexes: shipments by last change, alone, within a state or of one order

Revision ID: d41c7e2a9b53
Revises: 1587d908faf5
Create Date: 2026-12-01 17:20:00

``GET /api/v1/shipments`` pages by (updated_at, id), optionally from ``updated_since``,
within one ``state`` or of one order (``order_number``): (business_id, updated_at, id),
(business_id, state, updated_at, id) and (business_id, order_id, updated_at, id) hand the
rows over in that order, so a page reads only its rows.
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'd41c7e2a9b53'
down_revision: Union[str, Sequence[str], None] = '1587d908faf5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_courier_shipment_business_updated', 'courier_shipment', ['business_id', 'updated_at', 'id'])
    op.create_index('ix_courier_shipment_business_state_updated', 'courier_shipment',
                    ['business_id', 'state', 'updated_at', 'id'])
    op.create_index('ix_courier_shipment_business_order_updated', 'courier_shipment',
                    ['business_id', 'order_id', 'updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_courier_shipment_business_order_updated', table_name='courier_shipment')
    op.drop_index('ix_courier_shipment_business_state_updated', table_name='courier_shipment')
    op.drop_index('ix_courier_shipment_business_updated', table_name='courier_shipment')

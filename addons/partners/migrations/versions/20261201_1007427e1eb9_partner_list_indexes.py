"""list indexes: partners filtered by kind, country or active, by name

Revision ID: 1007427e1eb9
Revises: c165e657de8b
Create Date: 2026-12-01 12:45:00

The partner list pages by keyset on (name, id) and filters by kind, country and active:
each filter needs an index that returns its rows already in that order (core/admin_keyset.py).
"""
from typing import Sequence, Union

from alembic import op


revision: str = '1007427e1eb9'
down_revision: Union[str, Sequence[str], None] = 'c165e657de8b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_partners_partner_business_kind', 'partners_partner', ['business_id', 'kind', 'name'])
    op.create_index('ix_partners_partner_business_country', 'partners_partner', ['business_id', 'country', 'name'])
    op.create_index('ix_partners_partner_business_active', 'partners_partner', ['business_id', 'active', 'name'])


def downgrade() -> None:
    op.drop_index('ix_partners_partner_business_active', table_name='partners_partner')
    op.drop_index('ix_partners_partner_business_country', table_name='partners_partner')
    op.drop_index('ix_partners_partner_business_kind', table_name='partners_partner')

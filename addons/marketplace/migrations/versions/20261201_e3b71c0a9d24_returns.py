"""marketplace_return: platform returns opened once

Revision ID: e3b71c0a9d24
Revises: ad5022e6f57e
Create Date: 2026-12-01 20:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = 'e3b71c0a9d24'
down_revision: Union[str, Sequence[str], None] = 'ad5022e6f57e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('marketplace_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('platform_status', sa.String(length=64), nullable=True),
    sa.Column('opened', sa.JSON(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'], name=op.f('fk_marketplace_return_business_id_core_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['link_id'], ['marketplace_order.id'], name=op.f('fk_marketplace_return_link_id_marketplace_order'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['shop_id'], ['marketplace_shop.id'], name=op.f('fk_marketplace_return_shop_id_marketplace_shop'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_return')),
    sa.UniqueConstraint('business_id', 'shop_id', 'external_id', name=op.f('uq_marketplace_return_business_id_shop_id_external_id'))
    )
    with op.batch_alter_table('marketplace_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketplace_return_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketplace_return_link_id'), ['link_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('marketplace_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketplace_return_link_id'))
        batch_op.drop_index(batch_op.f('ix_marketplace_return_business_id'))
    op.drop_table('marketplace_return')

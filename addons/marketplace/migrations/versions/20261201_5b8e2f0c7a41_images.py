"""marketplace_image: catalog images uploaded to a shop once

Revision ID: 5b8e2f0c7a41
Revises: e3b71c0a9d24
Create Date: 2026-12-01 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '5b8e2f0c7a41'
down_revision: Union[str, Sequence[str], None] = 'e3b71c0a9d24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('marketplace_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.String(length=1000), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'], name=op.f('fk_marketplace_image_business_id_core_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['shop_id'], ['marketplace_shop.id'], name=op.f('fk_marketplace_image_shop_id_marketplace_shop'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_image')),
    sa.UniqueConstraint('business_id', 'shop_id', 'path', name=op.f('uq_marketplace_image_business_id_shop_id_path'))
    )
    with op.batch_alter_table('marketplace_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketplace_image_business_id'), ['business_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('marketplace_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketplace_image_business_id'))
    op.drop_table('marketplace_image')

"""REST API: webhook endpoints of a business and their deliveries

Revision ID: b7f2d9e4a1c6
Revises: a9e4c2f1b7d3
Create Date: 2026-12-01 16:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b7f2d9e4a1c6'
down_revision: Union[str, Sequence[str], None] = 'a9e4c2f1b7d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('core_api_webhook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('secret', sa.String(length=300), nullable=False),
    sa.Column('secret_hint', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'], name=op.f('fk_core_api_webhook_business_id_core_business'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_webhook'))
    )
    with op.batch_alter_table('core_api_webhook', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_api_webhook_business_id'), ['business_id'], unique=False)

    op.create_table('core_api_webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.String(length=2000), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['core_business.id'], name=op.f('fk_core_api_webhook_delivery_business_id_core_business'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['core_api_webhook.id'], name=op.f('fk_core_api_webhook_delivery_endpoint_id_core_api_webhook'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_webhook_delivery'))
    )
    with op.batch_alter_table('core_api_webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_api_webhook_delivery_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_api_webhook_delivery_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index('ix_core_api_webhook_delivery_business_created', ['business_id', 'created_at'], unique=False)
        batch_op.create_index('ix_core_api_webhook_delivery_business_state', ['business_id', 'state', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('core_api_webhook_delivery')
    op.drop_table('core_api_webhook')

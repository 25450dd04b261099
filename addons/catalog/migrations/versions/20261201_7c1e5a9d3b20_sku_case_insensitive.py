"""SKUs unique per business whatever their case

Revision ID: 7c1e5a9d3b20
Revises: b017da72d2e4
Create Date: 2026-12-01 09:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '7c1e5a9d3b20'
down_revision: Union[str, Sequence[str], None] = 'b017da72d2e4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = {"catalog_product": "ux_catalog_product_business_sku_ci",
          "catalog_variant": "ux_catalog_variant_business_sku_ci"}


def upgrade() -> None:
    conn = op.get_bind()
    for table, index in TABLES.items():
        clashes = conn.execute(sa.text(
            f"SELECT business_id, lower(sku) FROM {table} GROUP BY business_id, lower(sku) HAVING count(*) > 1"
        )).all()
        if clashes:
            listed = ", ".join(f"business #{b}: {sku}" for b, sku in clashes[:20])
            raise RuntimeError(f"{table}: SKUs that differ only in case must be renamed before this upgrade "
                               f"({listed})")
        op.create_index(index, table, ["business_id", sa.text("lower(sku)")], unique=True)


def downgrade() -> None:
    for table, index in TABLES.items():
        op.drop_index(index, table_name=table)

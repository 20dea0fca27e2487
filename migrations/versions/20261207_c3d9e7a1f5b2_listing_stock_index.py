"""an index on (status, stock) of listings: the catalogue lists sold-out items last

Revision ID: c3d9e7a1f5b2
Revises: c6d1e8f2a4b7
Create Date: 2026-12-07 06:00:00.000000

The catalogue shows the listings in stock first and the sold-out ones (stock 0) after them; the
sold-out ones are few, and this index finds them without reading the table
(marketplace/catalog/search.py). No data changes.
"""

from alembic import op

revision = "c3d9e7a1f5b2"
down_revision = "c6d1e8f2a4b7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_listing_status_stock", "listing", ["status", "stock"])


def downgrade():
    op.drop_index("ix_listing_status_stock", table_name="listing")

"""a trigram index on listings' search text (PostgreSQL): a search reads the index, not the table

Revision ID: e5b7c3d1a9f4
Revises: d4e2f8a6b1c9
Create Date: 2026-12-07 12:30:00.000000

The catalogue finds each searched word anywhere in listing.search_text (LIKE '%abono%',
marketplace/catalog/search.py). On PostgreSQL the pg_trgm extension's GIN index answers such
patterns of three or more characters, so a word no listing has costs an index lookup, not a
scan of every listing. SQLite gets a plain index of the same name (it cannot serve such a
search; the model declares one index for both). pg_trgm ships with PostgreSQL and is a
trusted extension: the database's owner may create it.
"""

from alembic import op

revision = "e5b7c3d1a9f4"
down_revision = "d4e2f8a6b1c9"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_listing_search_text",
            "listing",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_listing_search_text", "listing", ["search_text"])


def downgrade():
    op.drop_index("ix_listing_search_text", table_name="listing")

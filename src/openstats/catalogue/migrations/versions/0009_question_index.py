"""question search: the listing's phrases indexed by phrase, then data set and listing

Reading a question asks, per phrase, "is it shown anywhere" and "which data sets have it
and this other phrase too": both are walks of one phrase's rows in data-set order, which
this index answers without touching the table. It replaces the index on the phrase alone
(its prefix).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_catalogue_listing_terms_phrase_data_set", "catalogue_listing_terms",
                    ["phrase", "data_set_id", "listing_id"])
    op.drop_index(op.f("ix_catalogue_listing_terms_phrase"),
                  table_name="catalogue_listing_terms")


def downgrade() -> None:
    op.create_index(op.f("ix_catalogue_listing_terms_phrase"), "catalogue_listing_terms",
                    ["phrase"])
    op.drop_index("ix_catalogue_listing_terms_phrase_data_set",
                  table_name="catalogue_listing_terms")

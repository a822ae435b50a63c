"""lexicon_groups: the bilingual lexicon's concept groups, editable by admins

Revision ID: i09b_0002
Revises: i09b_0001
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i09b_0002"
down_revision: str | None = "i09b_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lexicon_groups",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("incident", sa.Boolean(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_lexicon_groups")),
        sa.UniqueConstraint("slug", name=op.f("uq_lexicon_groups_slug")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("lexicon_groups")

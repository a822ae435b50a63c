"""question_log.ref: the token under a reply's buttons that links a choice or a 👎 to its question

Revision ID: i09b_0001
Revises: 0005
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i09b_0001"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("ref", sa.String(length=16), nullable=True))
        batch.create_index("ix_question_log_ref", ["ref"])


def downgrade() -> None:
    with op.batch_alter_table("question_log") as batch:
        batch.drop_index("ix_question_log_ref")
        batch.drop_column("ref")

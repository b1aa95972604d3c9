"""audits of a period read from one index: ix_audits_finished_at becomes a covering index

The home overview and the company's figures ask, for every store at once, the mean score,
count and critical failures of the counted audits of one checklist in a period. The index
on finished_at alone sent each of those rows to the table (or the planner used the index on
checklist_version_id and read every audit of the checklist); this one holds what those
queries read after the date (the checklist version, store, score, the counted flags and the
critical flag), so a period is one range of one index. It replaces the index it extends
(finished_at is its first column), so a submission still writes the same number of B-trees.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from alembic import op


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = [
    "finished_at",
    "checklist_version_id",
    "store_id",
    "score",
    "excluded",
    "needs_review",
    "review_state",
    "critical_failed",
]


def upgrade() -> None:
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.drop_index("ix_audits_finished_at")
        batch_op.create_index("ix_audits_finished_covering", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.drop_index("ix_audits_finished_covering")
        batch_op.create_index("ix_audits_finished_at", ["finished_at"], unique=False)

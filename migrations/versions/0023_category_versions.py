"""Category versions (/admin → 分类与派单规则, issue 11): every change to a category — deadlines, arrival limit, lead
and co-handling units, per-street units, the community-level flag, variants — is kept as a new version with who
made it, when, from where (the editor or `python -m etl categories`) and what changed; ``categories`` keeps the
current one (its ``version``), and each ticket names the version in force when it was registered
(``tickets.category_version``), so a change applies to the tickets registered after it.

The categories already loaded become their version 1, in force since ever (``-infinity``): the tickets registered
before this migration (``category_version`` NULL) were made by those rules, and a history written later with past
registration times finds them too.

Revision ID: 0023
Revises: 0027
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: Union[str, Sequence[str], None] = "0027"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "category_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("category_code", sa.String(32), sa.ForeignKey("categories.code", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("complexity", sa.String(8), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("lead_department_code", sa.String(32), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("rules", postgresql.JSONB(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("changes", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.UniqueConstraint("category_code", "version", name="uq_category_versions_code_version"),
        sa.CheckConstraint("source IN ('initial', 'file', 'editor')", name="category_version_source"),
    )
    # Intake reads the version of each category in force at the registration time.
    op.create_index("ix_category_versions_in_force", "category_versions", ["category_code", "valid_from"])
    op.add_column("categories", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("tickets", sa.Column("category_version", sa.Integer()))
    op.create_foreign_key("fk_tickets_category_version", "tickets", "category_versions",
                          ["category_code", "category_version"], ["category_code", "version"])
    op.execute("""
        INSERT INTO category_versions (category_code, version, name, complexity, priority, lead_department_code,
                                       rules, valid_from, changed_at, changed_by, source)
        SELECT code, 1, name, complexity, priority, lead_department_code, rules, '-infinity', now(),
               'migration 0023', 'initial' FROM categories""")


def downgrade() -> None:
    op.drop_constraint("fk_tickets_category_version", "tickets", type_="foreignkey")
    op.drop_column("tickets", "category_version")
    op.drop_column("categories", "version")
    op.drop_index("ix_category_versions_in_force", table_name="category_versions")
    op.drop_table("category_versions")

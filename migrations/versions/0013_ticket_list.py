"""The ticket list (issue 11, /tickets): trigram search in the content, standard answers (常用答复), follow-up
calls (回访).

- ``ix_tickets_description_trgm``, ``ix_tickets_address_trgm``: GIN trigram indexes, so that ``ILIKE '%…%'`` on a
  ticket's content or address is answered from the index for queries of three characters or more (pg_trgm
  extracts no trigram from a shorter query, and PostgreSQL then scans: geo/ticket_search.py says what it does then).
- ``standard_answers``: what an operator may read out or paste while taking a call; admin edits them, an answer
  may belong to a category (NULL: every category); ``active`` false hides one without losing it.
- ``follow_up_calls``: each 回访 an operator made to a citizen who did not rate online: reached or not, the rating
  the citizen gave on the phone (then also the ticket's evaluation), a note.

Revision ID: 0013
Revises: 0020 (given as 0010; re-chained as 0019 and 0020 landed on main first)
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_tickets_description_trgm", "tickets", ["description"], postgresql_using="gin",
                    postgresql_ops={"description": "gin_trgm_ops"})
    op.create_index("ix_tickets_address_trgm", "tickets", ["address"], postgresql_using="gin",
                    postgresql_ops={"address": "gin_trgm_ops"})
    op.create_table(
        "standard_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(32), sa.ForeignKey("categories.code", deferrable=True,
                                                                initially="DEFERRED"), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("length(btrim(title)) > 0 AND length(btrim(body)) > 0", name="answer_not_blank"),
    )
    op.create_index("ix_standard_answers_category", "standard_answers", ["category_code"])
    op.create_table(
        "follow_up_calls",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("satisfaction IS NULL OR reached", name="rating_needs_reached"),
    )
    op.create_index("ix_follow_up_calls_ticket", "follow_up_calls", ["ticket_id", "at"])
    op.execute("""INSERT INTO standard_answers (title, body, sort_order) VALUES
        ('受理告知', '您好，您反映的问题已登记，工单号将以短信发送到您的手机，我们会尽快转交相关单位办理。', 10),
        ('办理时限', '按规定，一般诉求在 5 个工作日内办结，紧急诉求将在规定时限内到场处置。', 20),
        ('回访问候', '您好，这里是 96715 热线，对您前几天反映的问题进行回访，请问现在问题解决了吗？', 30),
        ('非受理范围', '您反映的事项不属于本平台受理范围，建议您向相关部门咨询。', 40)""")


def downgrade() -> None:
    op.drop_index("ix_follow_up_calls_ticket", table_name="follow_up_calls")
    op.drop_table("follow_up_calls")
    op.drop_index("ix_standard_answers_category", table_name="standard_answers")
    op.drop_table("standard_answers")
    op.drop_index("ix_tickets_address_trgm", table_name="tickets")
    op.drop_index("ix_tickets_description_trgm", table_name="tickets")

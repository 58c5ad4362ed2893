"""Democratic consultation (民主恳谈, issue 13): sessions on a public topic through five steps, their participants,
opinions and speeches, the decision, the published feedback, and the follow-up milestones of the decision.

A session points at the grid, community and street it is held in by code (no foreign key: `etl reference --force`
replaces the reference rows, and a session outlives that). The five steps 发布预告 → 通报议题 → 辩论发言 → 研究决定
→ 情况反馈 are five start dates, never decreasing: the active step is the last one whose date has come (an
organiser moving a session on sets the next step's date to that day, workorders/consultation.py). A participant row
is one named person (a resident who signed up: name and phone, never shown publicly) or a tally of a type
(``headcount`` people, no name). ``decision`` and ``feedback`` stay empty until recorded.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: Union[str, Sequence[str], None] = "0023"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TOPICS = "('交通', '环境', '教育', '卫生健康', '社会保障', '城市建设')"
PARTICIPANT_KINDS = "('居民', '党员', '人大代表', '政协委员', '律师', '法官')"


def upgrade() -> None:
    op.execute("CREATE SEQUENCE consultation_sessions_number_seq")
    op.create_table(
        "consultation_sessions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("community_code", sa.String(32), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("organiser", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text()),
        sa.Column("announced_on", sa.Date(), nullable=False),
        sa.Column("briefing_on", sa.Date(), nullable=False),
        sa.Column("debate_on", sa.Date(), nullable=False),
        sa.Column("decision_on", sa.Date(), nullable=False),
        sa.Column("feedback_on", sa.Date(), nullable=False),
        sa.Column("decision", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("feedback", sa.Text()),
        sa.Column("feedback_at", sa.DateTime(timezone=True)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint(f"topic IN {TOPICS}", name="topic"),
        sa.CheckConstraint("announced_on <= briefing_on AND briefing_on <= debate_on AND debate_on <= decision_on "
                           "AND decision_on <= feedback_on", name="steps_in_order"),
        sa.CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decided_with_time"),
        sa.CheckConstraint("(feedback IS NULL) = (feedback_at IS NULL)", name="feedback_with_time"),
        sa.CheckConstraint("feedback IS NULL OR decision IS NOT NULL", name="feedback_after_decision"),
        sa.UniqueConstraint("number", name="uq_consultation_sessions_number"),
    )
    op.create_index("ix_consultation_sessions_street", "consultation_sessions", ["street_code", "debate_on"])
    op.create_index("ix_consultation_sessions_community", "consultation_sessions", ["community_code", "debate_on"])
    op.create_table(
        "consultation_participants",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("phone", sa.String(32)),
        sa.Column("headcount", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint(f"kind IN {PARTICIPANT_KINDS}", name="kind"),
        sa.CheckConstraint("headcount BETWEEN 1 AND 10000", name="headcount"),
        sa.CheckConstraint("name IS NOT NULL OR phone IS NULL", name="phone_of_a_person"),
        sa.CheckConstraint("name IS NULL OR headcount = 1", name="one_named_person"),
        sa.ForeignKeyConstraint(["session_id"], ["consultation_sessions.id"], name="fk_consultation_participants",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_consultation_participants_session", "consultation_participants", ["session_id"])
    # A phone signs up once per session (a double click, a second tab).
    op.create_index("uq_consultation_participants_phone", "consultation_participants", ["session_id", "phone"],
                    unique=True, postgresql_where=sa.text("phone IS NOT NULL"))
    op.create_table(
        "consultation_opinions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("participant_kind", sa.String(8), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("phone", sa.String(32)),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint("kind IN ('written', 'speech')", name="kind"),
        sa.CheckConstraint(f"participant_kind IN {PARTICIPANT_KINDS}", name="participant_kind"),
        sa.ForeignKeyConstraint(["session_id"], ["consultation_sessions.id"], name="fk_consultation_opinions",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_consultation_opinions_session", "consultation_opinions", ["session_id", "kind"])
    op.create_table(
        "consultation_milestones",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text()),
        sa.ForeignKeyConstraint(["session_id"], ["consultation_sessions.id"], name="fk_consultation_milestones",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("session_id", "position", name="uq_consultation_milestones_position"),
    )


def downgrade() -> None:
    op.drop_table("consultation_milestones")
    op.drop_table("consultation_opinions")
    op.drop_table("consultation_participants")
    op.drop_table("consultation_sessions")
    op.execute("DROP SEQUENCE consultation_sessions_number_seq")

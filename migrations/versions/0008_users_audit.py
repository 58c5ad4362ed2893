"""Users (roles, scopes, argon2 password hashes) and the append-only audit log.

A user's scopes point at the reference data through deferred foreign keys: `etl reference --force` replaces the
reference tables in one transaction, and the check at commit passes when the same codes are back (and fails, as
it should, when a unit somebody works for disappeared).

The audit log refuses UPDATE, DELETE and TRUNCATE with a trigger: the application (or anyone with its database
role) can add rows, never change or remove them.

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The roles of workorders/policy.py at the time of this migration (a new role needs a migration of its own).
ROLES = ("operator", "dispatcher", "department", "street", "community", "supervisor", "leader", "wall",
         "grid_worker", "admin")


def _scope_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.code"], name=f"fk_users_{column}_{table}",
                                   deferrable=True, initially="DEFERRED")


def upgrade() -> None:
    role_list = ", ".join(f"'{r}'" for r in ROLES)
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("roles", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("department_code", sa.String(32)),
        sa.Column("street_code", sa.String(32)),
        sa.Column("community_code", sa.String(32)),
        sa.Column("crew_code", sa.String(32)),
        # Bumped when the password changes or the user is disabled: sessions carry it, so older ones stop working.
        sa.Column("session_stamp", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True)),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"cardinality(roles) >= 1 AND roles <@ ARRAY[{role_list}]::varchar[]",
                           name="ck_users_roles"),
        sa.CheckConstraint("username ~ '^[A-Za-z0-9_.-]{2,64}$'", name="ck_users_username"),
        _scope_fk("department_code", "departments"), _scope_fk("street_code", "streets"),
        _scope_fk("community_code", "communities"), _scope_fk("crew_code", "crews"),
    )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", name="fk_audit_log_user_id_users")),
        sa.Column("actor", sa.String(64), nullable=False),          # username, key name, or "anonymous"
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
        sa.Column("detail", postgresql.JSONB()),
        sa.CheckConstraint("outcome IN ('success', 'failure', 'denied')", name="ck_audit_log_outcome"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.execute("""
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
                  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    op.execute("""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_no_update_delete ON audit_log")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_index("uq_users_username_lower", table_name="users")
    op.drop_table("users")

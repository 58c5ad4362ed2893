"""API keys get scopes and an optional department binding (issue 10, phase 2).

Scopes (workorders/policy.py KEY_SCOPES): ``intake`` (file tickets and one-key alarms), ``transitions`` (move
tickets, supervision notes), ``positions`` (report crews' positions), ``read`` (tickets and supervisions with
callers' names and phones). A key may be bound to a department (new here) or a crew (as before): it then holds its
scopes on that unit's tickets only.

What existing keys get, so that each keeps doing what it did and nothing more than it needs:
- a key bound to a crew (a grid worker's phone, a crew's tablet): ``intake``, ``transitions``, ``positions`` —
  it files reports, moves the tickets of its own crew and grid, and reports its crew's position. It gets no
  ``read``: a phone in a worker's pocket must not list every caller's phone number (issue 10).
- any other key (an integration the district issued, holding every right until now): ``intake``, ``read`` and
  ``transitions``. Dropping ``transitions`` would silently break a system that moves tickets today (a
  department's own case system); such keys were unbound and all-powerful before, so this takes nothing away that
  was not already given, and an administrator narrows a key by issuing a new one with the scopes it needs
  (`flask --app app:server create-api-key NAME --scope …`) and revoking the old. They get no ``positions``: the
  position endpoint took no key before, so no existing key was used for it.
New keys without ``--scope`` get ``intake`` and ``read`` (the column's default).

The department binding points at the reference data through a deferred foreign key, as users' scopes do (0008):
`etl reference --force` replaces the reference tables in one transaction.

Revision ID: 0010
Revises: 0009
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The scopes of workorders/policy.py at the time of this migration (a new scope needs a migration of its own).
SCOPES = ("intake", "transitions", "positions", "read")


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("scopes", postgresql.ARRAY(sa.String(16)), nullable=False,
                                        server_default="{intake,read}"))
    op.add_column("api_keys", sa.Column("department_code", sa.String(32), nullable=True))
    op.create_foreign_key("fk_api_keys_department_code_departments", "api_keys", "departments",
                          ["department_code"], ["code"], deferrable=True, initially="DEFERRED")
    scope_list = ", ".join(f"'{s}'" for s in SCOPES)
    op.create_check_constraint("known_scopes", "api_keys",
                               f"scopes <@ ARRAY[{scope_list}]::varchar[] AND cardinality(scopes) > 0")
    op.execute("UPDATE api_keys SET scopes = '{intake,transitions,positions}' WHERE crew_code IS NOT NULL")
    op.execute("UPDATE api_keys SET scopes = '{intake,read,transitions}' WHERE crew_code IS NULL")


def downgrade() -> None:
    op.drop_constraint("known_scopes", "api_keys", type_="check")
    op.drop_constraint("fk_api_keys_department_code_departments", "api_keys", type_="foreignkey")
    op.drop_column("api_keys", "department_code")
    op.drop_column("api_keys", "scopes")

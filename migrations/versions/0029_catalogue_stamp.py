"""The catalogue's stamp (issue 12, intake throughput): one value that changes with every write to `categories`
or `category_versions`, however it is made (the /admin editor, `etl reference`, raw SQL), so that a process may
keep the catalogue in memory and check it with one column read folded into intake's first statement instead of
reading every category on every ticket.

A random uuid rather than a counter: a transaction that changes the catalogue and rolls back leaves the stamp as
it was, and a database made anew gets a stamp no process has seen, so an equal stamp always means an equal
catalogue.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0029"
down_revision: Union[str, Sequence[str], None] = "0028"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("categories", "category_versions")


def upgrade() -> None:
    op.execute("""
        CREATE TABLE catalogue_stamp (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            stamp uuid NOT NULL DEFAULT gen_random_uuid())""")
    op.execute("INSERT INTO catalogue_stamp DEFAULT VALUES")
    op.execute("""
        CREATE FUNCTION bump_catalogue_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE catalogue_stamp SET stamp = gen_random_uuid();
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"""CREATE TRIGGER {table}_catalogue_stamp
                       AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_stamp()""")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_catalogue_stamp ON {table}")
    op.execute("DROP FUNCTION bump_catalogue_stamp()")
    op.execute("DROP TABLE catalogue_stamp")

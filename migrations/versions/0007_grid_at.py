"""One home for "which grid holds this point": the view grid_places (each grid with its community and street) and the
function grid_at(point), which every lookup of a point's grid calls (intake, the map click, the loaders, the
gazetteer, the elders' registry).

The house rule, written here once: a point on a grid's boundary is in that grid (ST_Covers, not ST_Contains), and a
point on an edge two grids share goes to the smaller grid code, so every point of the district lands in exactly one
grid and every reload agrees. grid_at is a set-returning SQL function (STABLE, one SELECT, not STRICT) so that the
planner inlines it into the calling query: the GiST index on grids.geom serves it as if the query were written out.

Revision ID: 0007
Revises: 0006
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("""
        CREATE VIEW grid_places AS
        SELECT g.code AS grid_code, g.name AS grid_name, g.community_code, c.name AS community_name,
               c.kind AS community_kind, c.street_code, s.name AS street_name,
               g.worker_name, g.worker_phone, g.cadre_name, g.cadre_phone, g.geom
        FROM grids g JOIN communities c ON c.code = g.community_code JOIN streets s ON s.code = c.street_code""")
    op.execute("""
        CREATE FUNCTION grid_at(point geometry) RETURNS SETOF grid_places
        LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
            SELECT * FROM grid_places WHERE ST_Covers(geom, point) ORDER BY grid_code LIMIT 1
        $$""")
    op.execute("COMMENT ON FUNCTION grid_at(geometry) IS "
               "'The one grid holding a point: boundary points count, a shared edge goes to the smaller code.'")


def downgrade() -> None:
    op.execute("DROP FUNCTION grid_at(geometry)")
    op.execute("DROP VIEW grid_places")

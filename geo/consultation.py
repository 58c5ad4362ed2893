"""SQL of democratic consultation (migration 0024): sessions with their step dates, participants (named sign-ups and
tallies by type), written opinions and speeches, follow-up milestones, and the figures read from them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

STEP_COLUMNS = ("announced_on", "briefing_on", "debate_on", "decision_on", "feedback_on")
SESSION_COLUMNS = """k.id, k.number, k.title, k.topic, k.summary, k.grid_code, k.community_code, k.street_code,
    k.organiser, k.venue, k.announced_on, k.briefing_on, k.debate_on, k.decision_on, k.feedback_on, k.decision,
    k.decided_at, k.feedback, k.feedback_at, k.source, k.created_at, s.name AS street, c.name AS community,
    g.name AS grid,
    (SELECT coalesce(sum(p.headcount), 0) FROM consultation_participants p WHERE p.session_id = k.id) AS participants,
    (SELECT count(*) FROM consultation_opinions o WHERE o.session_id = k.id AND o.kind = 'written') AS opinions,
    (SELECT count(*) FROM consultation_opinions o WHERE o.session_id = k.id AND o.kind = 'speech') AS speeches,
    (SELECT count(*) FROM consultation_milestones m WHERE m.session_id = k.id) AS milestones,
    (SELECT count(*) FROM consultation_milestones m WHERE m.session_id = k.id AND m.done_at IS NOT NULL)
        AS milestones_done"""
SESSION_FROM = """consultation_sessions k LEFT JOIN streets s ON s.code = k.street_code
    LEFT JOIN communities c ON c.code = k.community_code LEFT JOIN grids g ON g.code = k.grid_code"""
FILTERS = {"street": "k.street_code = :street", "community": "k.community_code = :community",
           "topic": "k.topic = :topic", "number": "k.number = :number", "source": "k.source = :source",
           "year": "extract(year FROM k.debate_on) = :year"}


def _where(filters: dict[str, Any]) -> tuple[str, dict]:
    used = {k: v for k, v in filters.items() if k in FILTERS and v not in (None, "")}
    return (" WHERE " + " AND ".join(FILTERS[k] for k in used)) if used else "", used


def has_sessions(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM consultation_sessions)")).scalar())


def communities(conn: Connection) -> list[dict]:
    """Each community with its street and its grid codes (the seed places sessions in them)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT c.code, c.name, c.street_code, s.name AS street, array_agg(g.code ORDER BY g.code) AS grids
        FROM communities c JOIN streets s ON s.code = c.street_code JOIN grids g ON g.community_code = c.code
        GROUP BY c.code, c.name, c.street_code, s.name ORDER BY c.code""")).mappings()]


def grid_units(conn: Connection, grid_codes: list[str]) -> dict[str, dict]:
    """Each known grid of ``grid_codes`` with its community and street (unknown codes are missing)."""
    return {r["grid_code"]: dict(r) for r in conn.execute(text("""
        SELECT g.code AS grid_code, c.code AS community_code, c.name AS community, c.street_code
        FROM grids g JOIN communities c ON c.code = g.community_code WHERE g.code = ANY(:codes)"""),
        {"codes": list(grid_codes)}).mappings()}


def insert_session(conn: Connection, row: dict) -> tuple[int, str]:
    """One session, numbered ``K`` + the year of its debate + a running count. Returns (id, number)."""
    found = conn.execute(text("""
        INSERT INTO consultation_sessions (number, title, topic, summary, grid_code, community_code, street_code,
            organiser, venue, announced_on, briefing_on, debate_on, decision_on, feedback_on, decision, decided_at,
            feedback, feedback_at, source, created_by, created_at)
        VALUES ('K' || to_char(CAST(:debate_on AS date), 'YYYY') || '-' ||
                lpad(nextval('consultation_sessions_number_seq')::text, 5, '0'),
                :title, :topic, :summary, :grid_code, :community_code, :street_code, :organiser, :venue,
                :announced_on, :briefing_on, :debate_on, :decision_on, :feedback_on, :decision, :decided_at,
                :feedback, :feedback_at, :source, :created_by, :created_at)
        RETURNING id, number"""), row).one()
    return found.id, found.number


def insert_participants(conn: Connection, rows: list[dict]) -> int:
    """Named people and tallies. A phone already signed up to the session is skipped (0 for it)."""
    if not rows:
        return 0
    written = 0
    for row in rows:
        written += conn.execute(text("""
            INSERT INTO consultation_participants (session_id, kind, name, phone, headcount, source, created_at)
            VALUES (:session_id, :kind, :name, :phone, :headcount, :source, :created_at)
            ON CONFLICT (session_id, phone) WHERE phone IS NOT NULL DO NOTHING"""), row).rowcount
    return written


def insert_opinions(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(text("""
            INSERT INTO consultation_opinions (session_id, kind, participant_kind, name, phone, content, source,
                                               created_at)
            VALUES (:session_id, :kind, :participant_kind, :name, :phone, :content, :source, :created_at)"""), rows)


def insert_milestone(conn: Connection, session_id: int, title: str, due_on: date,
                     done_at: datetime | None = None, note: str | None = None) -> int:
    """The session's next milestone (positions 1, 2, … in the order they were set). Returns its position."""
    return conn.execute(text("""
        INSERT INTO consultation_milestones (session_id, position, title, due_on, done_at, note)
        SELECT :s, coalesce(max(position), 0) + 1, :title, :due, :done, :note
        FROM consultation_milestones WHERE session_id = :s
        RETURNING position"""), {"s": session_id, "title": title, "due": due_on, "done": done_at, "note": note}
    ).scalar_one()


def list_sessions(conn: Connection, filters: dict[str, Any], limit: int = 200, offset: int = 0) -> list[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {SESSION_COLUMNS} FROM {SESSION_FROM}{where}
        ORDER BY k.debate_on DESC, k.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings()]


def session(conn: Connection, number: str, for_update: bool = False) -> dict | None:
    """One session by number; ``for_update`` locks its row (a step move, a decision: one writer at a time)."""
    if for_update:
        conn.execute(text("SELECT 1 FROM consultation_sessions WHERE number = :n FOR UPDATE"), {"n": number})
    row = conn.execute(text(f"SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE k.number = :n"),
                       {"n": number}).mappings().first()
    return dict(row) if row else None


def participant_counts(conn: Connection, session_id: int) -> dict[str, int]:
    return {r.kind: int(r.n) for r in conn.execute(text("""
        SELECT kind, sum(headcount) AS n FROM consultation_participants WHERE session_id = :s GROUP BY kind"""),
        {"s": session_id})}


def sign_ups(conn: Connection, session_id: int) -> list[dict]:
    """The named participants with their phones (personal data: staff only)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT kind, name, phone, source, created_at FROM consultation_participants
        WHERE session_id = :s AND name IS NOT NULL ORDER BY created_at, id"""), {"s": session_id}).mappings()]


def opinions(conn: Connection, session_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT kind, participant_kind, name, phone, content, source, created_at FROM consultation_opinions
        WHERE session_id = :s ORDER BY created_at, id"""), {"s": session_id}).mappings()]


def opinion_counts(conn: Connection, session_id: int) -> dict[str, int]:
    return {r.kind: r.n for r in conn.execute(text(
        "SELECT kind, count(*) AS n FROM consultation_opinions WHERE session_id = :s GROUP BY kind"),
        {"s": session_id})}


def milestones(conn: Connection, session_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT position, title, due_on, done_at, note FROM consultation_milestones WHERE session_id = :s
        ORDER BY position"""), {"s": session_id}).mappings()]


def set_steps(conn: Connection, session_id: int, starts: tuple[date, ...]) -> None:
    conn.execute(text(f"""UPDATE consultation_sessions SET {', '.join(f'{c} = :{c}' for c in STEP_COLUMNS)}
                          WHERE id = :id"""), {"id": session_id, **dict(zip(STEP_COLUMNS, starts))})


def set_decision(conn: Connection, session_id: int, decision: str, at: datetime) -> None:
    conn.execute(text("UPDATE consultation_sessions SET decision = :d, decided_at = :at WHERE id = :id"),
                 {"id": session_id, "d": decision, "at": at})


def set_feedback(conn: Connection, session_id: int, feedback: str, at: datetime) -> None:
    conn.execute(text("UPDATE consultation_sessions SET feedback = :f, feedback_at = :at WHERE id = :id"),
                 {"id": session_id, "f": feedback, "at": at})


def complete_milestone(conn: Connection, session_id: int, position: int, at: datetime, note: str | None) -> bool:
    """Marks an open milestone done; False when there is no such milestone or it is done already."""
    return conn.execute(text("""
        UPDATE consultation_milestones SET done_at = :at, note = coalesce(:note, note)
        WHERE session_id = :s AND position = :p AND done_at IS NULL"""),
        {"s": session_id, "p": position, "at": at, "note": note}).rowcount == 1


def session_points(conn: Connection, filters: dict[str, Any]) -> list[dict]:
    """Sessions at their grid cell's inner point, with what the layer colours and labels them by."""
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT k.number, k.title, k.topic, k.grid_code, c.name AS community, k.announced_on, k.briefing_on,
               k.debate_on, k.decision_on, k.feedback_on,
               ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
        FROM consultation_sessions k JOIN grids g ON g.code = k.grid_code
        LEFT JOIN communities c ON c.code = k.community_code{where}
        ORDER BY k.debate_on DESC, k.id DESC LIMIT 2000"""), params).mappings()]


def topic_counts(conn: Connection, filters: dict[str, Any]) -> dict[str, int]:
    where, params = _where(filters)
    return {r.topic: r.n for r in conn.execute(text(
        f"SELECT k.topic, count(*) AS n FROM consultation_sessions k{where} GROUP BY k.topic"), params)}


def step_dates(conn: Connection, filters: dict[str, Any]) -> list[tuple[date, ...]]:
    """The five start dates of each session (the step machine counts them by their active step)."""
    where, params = _where(filters)
    return [tuple(r) for r in conn.execute(text(
        f"SELECT {', '.join('k.' + c for c in STEP_COLUMNS)} FROM consultation_sessions k{where}"), params)]


def milestone_counts(conn: Connection, filters: dict[str, Any], today: date) -> dict[str, int]:
    """The follow-up milestones of the sessions: done, open and, of the open, past their due date."""
    where, params = _where(filters)
    row = conn.execute(text(f"""
        SELECT count(*) FILTER (WHERE m.done_at IS NOT NULL) AS done, count(*) FILTER (WHERE m.done_at IS NULL) AS open,
               count(*) FILTER (WHERE m.done_at IS NULL AND m.due_on < :today) AS late
        FROM consultation_sessions k JOIN consultation_milestones m ON m.session_id = k.id{where}"""),
        {**params, "today": today}).mappings().one()
    return {"done": row["done"], "open": row["open"], "late": row["late"]}


def participant_totals(conn: Connection, filters: dict[str, Any]) -> dict[str, int]:
    where, params = _where(filters)
    return {r.kind: int(r.n) for r in conn.execute(text(f"""
        SELECT p.kind, sum(p.headcount) AS n FROM consultation_sessions k
        JOIN consultation_participants p ON p.session_id = k.id{where} GROUP BY p.kind"""), params)}


def export_rows(conn: Connection, filters: dict[str, Any], kinds: tuple[str, ...]) -> list[dict]:
    """The sessions with their participants as ``居民 30、党员 8`` (the import's own cell), types in ``kinds``'
    order."""
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {SESSION_COLUMNS},
               (SELECT string_agg(t.kind || ' ' || t.n, '、' ORDER BY array_position(:kinds, t.kind::text)) FROM
                   (SELECT p.kind, sum(p.headcount) AS n FROM consultation_participants p WHERE p.session_id = k.id
                    GROUP BY p.kind) t) AS tally_text
        FROM {SESSION_FROM}{where} ORDER BY k.debate_on, k.id"""), {**params, "kinds": list(kinds)}).mappings()]

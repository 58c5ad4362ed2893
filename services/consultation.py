"""Democratic consultation (民主恳谈): sessions on a public topic through the five steps, run by street and community
staff; residents follow a session on its public page, sign up and send written opinions while the step allows; the
decision, the published feedback and the decision's follow-up milestones; import, export and the figures.

Who: ``consultation`` (street and community staff for their own street or community, leaders and the
administrator everywhere) creates sessions, moves them on, records participants, speeches, the decision, the
feedback and the milestones, and sees who signed up; the leader view's readers (``analytics``) read the figures.
The public page needs nobody and shows no personal data: participants by type counts only, no opinion's author.
The active step decides what may happen (workorders/consultation.py); a refusal is a StepRefused in Chinese.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from geo import consultation as db
from geo.db import get_engine
from services.audit import record
from services.imports import MAX_IMPORT_BYTES, ImportRejected, checked_rows, read_table  # noqa: F401  (ImportRejected: the doors catch it from here)
from workorders.cells import no_formula
from workorders.clock import local_zone
from workorders.consultation import (DECISION, FEEDBACK, HEADERS, PARTICIPANT_KINDS, REQUIRED, RESIDENT, STEPS,
                                     TOPICS, SessionFields, SessionRejected, active_step, allowed, check_content,
                                     check_milestone, check_person, check_session, check_tally, follow_up_state,
                                     move_on, require_step, steps_view)
from workorders.policy import Forbidden, Principal, Target, can, programme_area, programme_reader, require

PAGE_SIZE = 50
EXPORT_HEADERS = ("编号", "议题名称", "议题类别", "街道", "社区", "网格编码", "议题内容", "组织单位", "恳谈地点",
                  "发布预告日期", "通报议题日期", "辩论发言日期", "研究决定日期", "情况反馈日期", "当前阶段", "参与人员",
                  "书面意见", "发言", "决定事项", "反馈情况", "落实进度")



class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(local_zone()).date()


def starts_of(row: dict) -> tuple[date, ...]:
    return tuple(row[c] for c in db.STEP_COLUMNS)




def _target(row: dict) -> Target:
    return Target(street_code=row["street_code"], community_code=row["community_code"], grid_code=row["grid_code"])


def _with_step(row: dict, today: date) -> dict:
    step = active_step(starts_of(row), today)
    return {**row, "step": step, "step_name": STEPS[step]}


# ------------------------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Figures:
    """What the staff page's tiles and the leader view's block show, from the queries."""
    year: int
    sessions: int
    by_topic: dict[str, int]
    by_step: dict[str, int]
    participants: int
    follow_ups: dict[str, int]          # done, open, late (milestones)


def figures(principal: Principal | None, year: int | None = None, now: datetime | None = None,
            engine: Engine | None = None) -> Figures:
    """This year's sessions (by the date of their debate) by topic and by active step, their participants, and
    their follow-up milestones done and open."""
    principal = programme_reader(principal, "consultation")
    today = _today(now)
    filters = {"year": year or today.year, **programme_area(principal)}
    with (engine or get_engine()).connect() as conn:
        topics = db.topic_counts(conn, filters)
        dates = db.step_dates(conn, filters)
        follow_ups = db.milestone_counts(conn, filters, today)
        participants = db.participant_totals(conn, filters)
    by_step = {name: 0 for name in STEPS}
    for starts in dates:
        by_step[STEPS[active_step(starts, today)]] += 1
    return Figures(filters["year"], len(dates), {t: topics.get(t, 0) for t in TOPICS}, by_step,
                   sum(participants.values()), follow_ups)


def list_sessions(principal: Principal | None, filters: dict | None = None, page: int = 0, size: int = PAGE_SIZE,
                  now: datetime | None = None, engine: Engine | None = None) -> list[dict]:
    """Sessions newest debate first, each with its active step, ``size`` a page; ``filters["step"]`` keeps one
    step's."""
    principal = programme_reader(principal, "consultation")
    filters = dict(filters or {})
    step = filters.pop("step", None)
    filters.update(programme_area(principal))
    today = _today(now)
    with (engine or get_engine()).connect() as conn:
        if step in (None, ""):         # the step is the dates' and today's: filtered here, paged in SQL otherwise
            return [_with_step(r, today) for r in db.list_sessions(conn, filters, limit=size,
                                                                   offset=size * max(page, 0))]
        rows = [_with_step(r, today) for r in db.list_sessions(conn, filters, limit=100_000)]
    rows = [r for r in rows if step in (r["step_name"], r["step"])]
    return rows[size * max(page, 0):size * (max(page, 0) + 1)]


def sessions_on_map(principal: Principal | None, filters: dict | None = None, now: datetime | None = None,
                    engine: Engine | None = None) -> list[dict]:
    principal = programme_reader(principal, "consultation")
    today = _today(now)
    with (engine or get_engine()).connect() as conn:
        points = db.session_points(conn, {**(filters or {}), **programme_area(principal)})
    return [{**p, "step": active_step(starts_of(p), today)} for p in points]


def grid_choices(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    """The grids a session may be held in, by community ({code, label}): a street's or a community's staff only
    their own."""
    principal = require(principal, "consultation")
    scope = programme_area(principal)
    with (engine or get_engine()).connect() as conn:
        communities = db.communities(conn)
    return [{"code": grid, "label": f"{c['street']} · {c['name']} · {grid}"} for c in communities
            if not scope or scope.get("street") == c["street_code"] or scope.get("community") == c["code"]
            for grid in c["grids"]]


def session_detail(principal: Principal | None, number: str, now: datetime | None = None,
                   engine: Engine | None = None) -> dict:
    """One session as its organisers see it: steps, participants by type and the named sign-ups with their
    phones, opinions and speeches with their authors, decision, feedback, milestones and what may be done now."""
    require(principal, "consultation")
    today = _today(now)
    with (engine or get_engine()).connect() as conn:
        found = db.session(conn, number)
        if found is None or not can(principal, "consultation", _target(found)):
            raise NotFound(f"没有民主恳谈 {number}")
        detail = _with_step(found, today)
        detail.update(counts=_counts(db.participant_counts(conn, found["id"])), sign_ups=db.sign_ups(conn, found["id"]),
                      opinion_rows=db.opinions(conn, found["id"]), milestone_rows=db.milestones(conn, found["id"]),
                      steps=steps_view(starts_of(found), today))
    if detail["sign_ups"]:       # names and phones of residents: a read of personal data
        record("consultation_read", actor=principal, target=f"consultation:{number}",
               detail={"sign_ups": len(detail["sign_ups"])})
    detail["follow_up"] = follow_up_state(detail["milestone_rows"], today)
    detail["may"] = {a: allowed(detail["step"], a) for a in ("attend", "speak", "decide", "feedback", "milestone")}
    return detail


def _counts(by_kind: dict[str, int]) -> dict[str, int]:
    return {kind: by_kind.get(kind, 0) for kind in PARTICIPANT_KINDS}


def public_session(number: str, now: datetime | None = None, engine: Engine | None = None) -> dict | None:
    """What anyone may read of a session (its public page): no name, no phone, no opinion's text or author —
    participants by type counts only; the decision once 研究决定 has begun, the feedback in 情况反馈. None: no
    such session."""
    today = _today(now)
    with (engine or get_engine()).connect() as conn:
        found = db.session(conn, (number or "").strip())
        if found is None:
            return None
        counts = _counts(db.participant_counts(conn, found["id"]))
        opinions = db.opinion_counts(conn, found["id"])
        milestones = db.milestones(conn, found["id"])
    step = active_step(starts_of(found), today)
    decision_visible = allowed(step, "see_decision") and found["decision"]
    return {
        "number": found["number"], "title": found["title"], "topic": found["topic"], "summary": found["summary"],
        "street": found["street"], "community": found["community"], "organiser": found["organiser"],
        "venue": found["venue"], "steps": steps_view(starts_of(found), today), "step": step, "step_name": STEPS[step],
        "counts": counts, "participants": sum(counts.values()), "opinions": opinions.get("written", 0),
        "speeches": opinions.get("speech", 0),
        "decision": found["decision"] if decision_visible else None,
        "decided_at": found["decided_at"] if decision_visible else None,
        "feedback": found["feedback"] if allowed(step, "see_feedback") else None,
        "feedback_at": found["feedback_at"] if allowed(step, "see_feedback") else None,
        "milestones": [{"position": m["position"], "title": m["title"], "due_on": m["due_on"],
                        "done": m["done_at"] is not None} for m in milestones] if decision_visible else [],
        "follow_up": follow_up_state(milestones, today) if decision_visible else None,
        "may_sign_up": allowed(step, "sign_up"), "may_send_opinion": allowed(step, "opinion"),
    }


# ------------------------------------------------------------------------------------------------ the public

def sign_up(number: str, name: object, phone: object, now: datetime | None = None,
            engine: Engine | None = None) -> bool:
    """A resident signs up (name and phone, stored for the organisers, never shown publicly). True: signed up
    now; False: this phone had signed up already (a second click changes nothing)."""
    person, digits = check_person(name, phone)
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _public_target(conn, number)
        require_step(active_step(starts_of(found), _today(now)), "sign_up")
        written = db.insert_participants(conn, [{"session_id": found["id"], "kind": RESIDENT, "name": person,
                                                 "phone": digits, "headcount": 1, "source": "signup",
                                                 "created_at": now}])
        if written:
            record("consultation_sign_up", actor=None, target=f"consultation:{found['number']}", conn=conn)
    return bool(written)


def send_opinion(number: str, name: object, phone: object, content: object, now: datetime | None = None,
                 engine: Engine | None = None) -> None:
    """A resident's written opinion (name and phone kept for the organisers' reply, never shown publicly)."""
    problems: list[str] = []
    person = digits = text = None
    try:
        person, digits = check_person(name, phone)
    except SessionRejected as rejected:
        problems += rejected.problems
    try:
        text = check_content(content)
    except SessionRejected as rejected:
        problems += rejected.problems
    if problems:
        raise SessionRejected(problems)
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _public_target(conn, number)
        require_step(active_step(starts_of(found), _today(now)), "opinion")
        db.insert_opinions(conn, [{"session_id": found["id"], "kind": "written", "participant_kind": RESIDENT,
                                   "name": person, "phone": digits, "content": text, "source": "public",
                                   "created_at": now}])
        record("consultation_opinion", actor=None, target=f"consultation:{found['number']}", conn=conn)


def _public_target(conn, number: str) -> dict:
    found = db.session(conn, (number or "").strip(), for_update=True)
    if found is None:
        raise NotFound(f"没有民主恳谈 {number}")
    return found


# ------------------------------------------------------------------------------------------------ the organisers

def _staff_session(conn, principal: Principal, number: str) -> dict:
    """The session, locked, when ``principal`` runs it; NotFound / Forbidden otherwise."""
    require(principal, "consultation")
    found = db.session(conn, (number or "").strip(), for_update=True)
    if found is None:
        raise NotFound(f"没有民主恳谈 {number}")
    if not can(principal, "consultation", _target(found)):
        raise Forbidden("consultation", "只能管理本辖区的民主恳谈")
    return found


def _moment(day: date, hour: int, now: datetime) -> datetime:
    """A recorded moment for a past day (an import, the seed): that day at ``hour`` local, never after now."""
    return min(datetime.combine(day, time(hour), local_zone()), now)


def _session_row(fields: SessionFields, units: dict, source: str, principal: Principal, now: datetime) -> dict:
    decided_at = _moment(fields.starts[DECISION], 17, now) if fields.decision else None
    return {"title": fields.title, "topic": fields.topic, "summary": fields.summary, "grid_code": fields.grid_code,
            "community_code": units["community_code"], "street_code": units["street_code"],
            "organiser": fields.organiser or f"{units['community']}居民委员会", "venue": fields.venue,
            **dict(zip(db.STEP_COLUMNS, fields.starts)), "decision": fields.decision, "decided_at": decided_at,
            "feedback": fields.feedback,
            "feedback_at": _moment(fields.starts[FEEDBACK], 17, now) if fields.feedback else None,
            "source": source, "created_by": principal.label, "created_at": now}


def _check_place(conn, principal: Principal, fields: SessionFields, where: str = "") -> tuple[dict | None, list[str]]:
    units = db.grid_units(conn, [fields.grid_code]).get(fields.grid_code)
    if units is None:
        return None, [f"{where}网格编码：没有网格 {fields.grid_code!r}"]
    if not can(principal, "consultation", Target(street_code=units["street_code"],
                                                  community_code=units["community_code"],
                                                  grid_code=fields.grid_code)):
        return None, [f"{where}网格编码：只能发起本辖区的民主恳谈"]
    return units, []


def _write_session(conn, fields: SessionFields, units: dict, source: str, principal: Principal,
                   now: datetime) -> str:
    session_id, number = db.insert_session(conn, _session_row(fields, units, source, principal, now))
    db.insert_participants(conn, [{"session_id": session_id, "kind": kind, "name": None, "phone": None,
                                   "headcount": n, "source": source, "created_at": now} for kind, n in fields.tallies])
    return number


def create_session(principal: Principal, row: dict, now: datetime | None = None, engine: Engine | None = None) -> str:
    """A session from the staff form (keys: the import's Chinese headers). Returns its number."""
    require(principal, "consultation")
    now = now or utcnow()
    fields = check_session(row, _today(now))
    with (engine or get_engine()).begin() as conn:
        units, problems = _check_place(conn, principal, fields)
        if problems:
            raise SessionRejected(problems)
        number = _write_session(conn, fields, units, "form", principal, now)
        record("consultation_session", actor=principal, target=f"consultation:{number}",
               detail={"topic": fields.topic}, conn=conn)
    return number


def move_step(principal: Principal, number: str, now: datetime | None = None, engine: Engine | None = None) -> str:
    """The organiser moves the session on to its next step, starting today. Returns the new step's name."""
    now = now or utcnow()
    today = _today(now)
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        moved = move_on(starts_of(found), today, decided=bool(found["decision"]))
        db.set_steps(conn, found["id"], moved)
        step = STEPS[active_step(moved, today)]
        record("consultation_step", actor=principal, target=f"consultation:{found['number']}",
               detail={"step": step}, conn=conn)
    return step


def add_participants(principal: Principal, number: str, kind: object, headcount: object,
                     now: datetime | None = None, engine: Engine | None = None) -> None:
    """A tally of participants of one type (党员 8, 人大代表 2 …), up to the debate."""
    kind_text, count = check_tally(kind, headcount)
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        require_step(active_step(starts_of(found), _today(now)), "attend")
        db.insert_participants(conn, [{"session_id": found["id"], "kind": kind_text, "name": None, "phone": None,
                                       "headcount": count, "source": "form", "created_at": now}])
        record("consultation_participants", actor=principal, target=f"consultation:{found['number']}",
               detail={"kind": kind_text, "headcount": count}, conn=conn)


def add_speech(principal: Principal, number: str, kind: object, content: object, speaker: object = None,
               now: datetime | None = None, engine: Engine | None = None) -> None:
    """A speech at the debate (who spoke, by type and optionally by name, and what they said)."""
    kind_text, _one = check_tally(kind, 1)
    text = check_content(content, "发言内容")
    name = str(speaker).strip()[:50] if speaker and str(speaker).strip() else None
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        require_step(active_step(starts_of(found), _today(now)), "speak")
        db.insert_opinions(conn, [{"session_id": found["id"], "kind": "speech", "participant_kind": kind_text,
                                   "name": name, "phone": None, "content": text, "source": "form",
                                   "created_at": now}])
        record("consultation_speech", actor=principal, target=f"consultation:{found['number']}", conn=conn)


def record_decision(principal: Principal, number: str, decision: object, now: datetime | None = None,
                    engine: Engine | None = None) -> None:
    """The decision taken on the consultation (from 研究决定 on; recorded again, it replaces the earlier text
    until feedback is published)."""
    text = check_content(decision, "决定事项")
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        require_step(active_step(starts_of(found), _today(now)), "decide")
        if found["feedback"]:
            raise SessionRejected(["决定事项：反馈已发布，决定不能再修改"])
        db.set_decision(conn, found["id"], text, now)
        record("consultation_decision", actor=principal, target=f"consultation:{found['number']}", conn=conn)


def publish_feedback(principal: Principal, number: str, feedback: object, now: datetime | None = None,
                     engine: Engine | None = None) -> None:
    """The feedback to residents (情况反馈 only, after a decision): shown on the public page at once."""
    text = check_content(feedback, "反馈情况")
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        require_step(active_step(starts_of(found), _today(now)), "feedback")
        if not found["decision"]:
            raise SessionRejected(["反馈情况：须先记录决定事项"])
        db.set_feedback(conn, found["id"], text, now)
        record("consultation_feedback", actor=principal, target=f"consultation:{found['number']}", conn=conn)


def add_milestone(principal: Principal, number: str, title: object, due_on: object, now: datetime | None = None,
                  engine: Engine | None = None) -> int:
    """A follow-up milestone of the decision (what, by when). Returns its position."""
    title_text, due = check_milestone(title, due_on)
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        require_step(active_step(starts_of(found), _today(now)), "milestone")
        if not found["decision"]:
            raise SessionRejected(["落实事项：须先记录决定事项"])
        position = db.insert_milestone(conn, found["id"], title_text, due)
        record("consultation_milestone", actor=principal, target=f"consultation:{found['number']}",
               detail={"position": position}, conn=conn)
    return position


def complete_milestone(principal: Principal, number: str, position: object, note: object = None,
                       now: datetime | None = None, engine: Engine | None = None) -> None:
    text = str(position or "").strip()
    if not text.isdigit():
        raise SessionRejected([f"落实事项：应为序号，收到 {text!r}"])
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found = _staff_session(conn, principal, number)
        note_text = str(note).strip()[:2000] if note and str(note).strip() else None
        if not db.complete_milestone(conn, found["id"], int(text), now, note_text):
            raise SessionRejected([f"落实事项：没有未完成的第 {text} 项"])
        record("consultation_milestone_done", actor=principal, target=f"consultation:{found['number']}",
               detail={"position": int(text)}, conn=conn)


# ------------------------------------------------------------------------------------------------ import, export

def import_sessions(principal: Principal, name: str, content: bytes, now: datetime | None = None,
                    engine: Engine | None = None) -> int:
    """Every row checked first; one problem line per bad field naming its row; nothing written unless all pass."""
    require(principal, "consultation")
    rows = checked_rows(name, read_table(name, content, cell=lambda v: v), REQUIRED, HEADERS)
    now = now or utcnow()
    today = _today(now)
    with (engine or get_engine()).begin() as conn:
        good, problems = [], []
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                fields = check_session(row, today)
            except SessionRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
                continue
            units, place_problems = _check_place(conn, principal, fields, where=f"第 {index} 行 ")
            problems += place_problems
            if units:
                good.append((fields, units))
        if problems:
            raise ImportRejected(problems)
        for fields, units in good:
            _write_session(conn, fields, units, "import", principal, now)
        record("consultation_import", actor=principal, target=f"consultation:{name}", detail={"rows": len(good)},
               conn=conn)
    return len(good)


def import_file(principal: Principal, path: str | Path, engine: Engine | None = None) -> int:
    path = Path(path)
    if path.stat().st_size > MAX_IMPORT_BYTES:      # refused before it is read
        raise ImportRejected([f"{path.name}：文件超过 10 MB"])
    return import_sessions(principal, path.name, path.read_bytes(), engine=engine)


def export_csv(principal: Principal, filters: dict | None = None, now: datetime | None = None,
               engine: Engine | None = None) -> str:
    """The filtered list in the import's columns plus number, street, community, step and counts (no names, no
    phones: the sign-ups stay on the organisers' screen)."""
    require(principal, "consultation")
    filters = {**(filters or {}), **programme_area(principal)}
    step = filters.pop("step", None)
    today = _today(now)
    with (engine or get_engine()).connect() as conn:
        rows = [_with_step(r, today) for r in db.export_rows(conn, filters, PARTICIPANT_KINDS)]
    if step:
        rows = [r for r in rows if r["step_name"] == step]
    record("export", actor=principal, target="consultation:sessions", detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for r in rows:
        writer.writerow([_cell(v) for v in (
            r["number"], r["title"], r["topic"], r["street"], r["community"], r["grid_code"], r["summary"],
            r["organiser"], r["venue"], *(f"{d:%Y-%m-%d}" for d in starts_of(r)), r["step_name"], r["tally_text"],
            r["opinions"], r["speeches"], r["decision"], r["feedback"],
            f"{r['milestones_done']}/{r['milestones']}" if r["milestones"] else "")])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else str(value)
    return no_formula(text)


"""`/supervision` — 督办, for supervisors: 延期申请 to approve or refuse, overdue, escalated (by level), repeat and 越级
tickets, units rated low; 督办单 (issue, answer, outcome), 问责, 联席会 (convene, decision). The lists follow the live feed
(assets/live_nudge.js nudges ``ids.LIVE`` on every batch), with a slow tick as a safety net; each part is
redrawn only when what it shows changed (``shown``: a signature per part, kept in ``ids.SHOWN``), so a busy feed
neither re-sends the ~700 rows of the unfiltered lists on every batch nor disturbs a form being filled in."""
from __future__ import annotations

import hashlib

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dash
from dash import dcc, html

from screens.handling_parts import supervision_block
from screens.petitions_parts import petitions_table
from services import petitions, supervision
from settings import get_settings
from workorders.clock import local_minute
from workorders.policy import Principal
from workorders.errors import FieldError
from workorders.search import MAX_FIND, search_text
from workorders.states import STATES
from workorders.vocabulary import LEVEL_NAMES

dash.register_page(__name__, path="/supervision", title="铁东区 96715 · 督办", name="督办")

SAFETY_REFRESH_MS = 60_000


class ids:
    LIVE = "sup-live"                 # set by assets/live_nudge.js when the feed brings tickets
    TICK = "sup-tick"
    COUNTS = "sup-counts"
    LISTS = "sup-lists"
    RECORDS = "sup-records"
    FIND = "sup-find"                 # narrows the lists and records to a number or a part of an address
    SHOWN = "sup-shown"               # the signature of each part as last drawn (``shown``)
    # 督办单
    ORDER_NUMBER, ORDER_UNIT, ORDER_PERSON = "sup-order-number", "sup-order-unit", "sup-order-person"
    ORDER_DUE, ORDER_DEMAND, ORDER_SUBMIT = "sup-order-due", "sup-order-demand", "sup-order-submit"
    ORDER_MSG, ORDER_DONE = "sup-order-msg", "sup-order-done"
    # answer and outcome of a 督办单
    REPLY_ORDER, REPLY_ANSWER, REPLY_SUBMIT = "sup-reply-order", "sup-reply-answer", "sup-reply-submit"
    REPLY_OUTCOME, REPLY_NOTE, REPLY_CLOSE = "sup-reply-outcome", "sup-reply-note", "sup-reply-close"
    REPLY_MSG, REPLY_DONE = "sup-reply-msg", "sup-reply-done"
    # 问责
    ACC_NUMBER, ACC_PERSON, ACC_MEASURE = "sup-acc-number", "sup-acc-person", "sup-acc-measure"
    ACC_DATE, ACC_NOTE, ACC_SUBMIT = "sup-acc-date", "sup-acc-note", "sup-acc-submit"
    ACC_MSG, ACC_DONE = "sup-acc-msg", "sup-acc-done"
    # 联席会
    MEET_NUMBER, MEET_UNITS, MEET_DATE = "sup-meet-number", "sup-meet-units", "sup-meet-date"
    MEET_SUBMIT, MEET_MSG, MEET_DONE = "sup-meet-submit", "sup-meet-msg", "sup-meet-done"
    DECIDE_MEETING, DECIDE_TEXT, DECIDE_FOLLOW = "sup-decide-meeting", "sup-decide-text", "sup-decide-follow"
    DECIDE_SUBMIT, DECIDE_MSG, DECIDE_DONE = "sup-decide-submit", "sup-decide-msg", "sup-decide-done"


def _today():
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def _ticket_link(number: str | None):
    return dcc.Link(number, href=f"/tickets/{number}", className="mono") if number else "—"


def _table(headers: tuple[str, ...], rows: list[list], empty: str, table_id: str | None = None):
    if not rows:
        return html.Div(empty, className="muted sup-empty")
    # A long list scrolls inside its card (head kept), so the lists and records below stay within reach.
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])),
                                html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
                               className="sup-table", **({"id": table_id} if table_id else {})),
                    className="sup-scroll")


def _state(row: dict) -> str:
    return STATES.get(row["state"], row["state"])


def _late(row: dict) -> str:
    parts = []
    if row.get("arrival_breached"):
        parts.append(f"到场超时（{local_minute(row['arrival_due_at'])}）")
    if row.get("resolve_breached"):
        parts.append(f"办结超时（{local_minute(row['resolve_due_at'])}）")
    return "；".join(parts)


def counts(board: supervision.Board) -> list:
    levels = board.escalated_counts
    tiles = [("超时工单", board.overdue_count, "bad" if board.overdue_count else "good"),
             *[(f"升级·{LEVEL_NAMES[level]}", levels.get(level, 0), "warn") for level in (1, 2)],
             ("重复投诉", len(board.repeats), ""), ("越级投诉", len(board.refiled), ""),
             ("满意度偏低单位", len(board.low_satisfaction), "bad" if board.low_satisfaction else "good"),
             ("未办结督办单", sum(1 for o in board.orders if o["closed_at"] is None), "")]
    return [html.Div([html.Div(str(value), className="sup-count-value"), html.Div(label, className="sup-count-label")],
                     className=f"sup-count {tone}") for label, value, tone in tiles]


def _shown(title: str, shown: int, total: int, find: str | None = None) -> str:
    """A list's title, saying when it shows only the first of more (most urgent first), or only those found."""
    if find:
        return f"{title}（与“{find}”相符）"
    return f"{title}（共 {total} 件，显示最紧急的 {shown} 件）" if total > shown else title


def _narrowed(board: supervision.Board) -> list:
    return [html.Div(f"以下超时、升级、重复、越级工单和督办单、联席会、问责记录只显示工单号或地址含“{board.find}”的"
                     "（清空查找框显示全部）", className="notice info sup-found", role="status")] if board.find else []


def lists(board: supervision.Board) -> list:
    overdue = [[_ticket_link(r["number"]), r["category_name"], r["street_name"], r["lead_department_name"],
                _state(r), _late(r)] for r in board.overdue]
    escalated = [[LEVEL_NAMES[r["escalation_level"]], _ticket_link(r["number"]), r["category_name"],
                  r["lead_department_name"], _state(r), local_minute(r["resolve_due_at"])] for r in board.escalated]
    repeats = [[_ticket_link(r["number"]), r["category_name"], r["street_name"],
                html.Span([html.Span([_ticket_link(e["number"]), f"（{'、'.join(e['reasons'])}）"])
                           for e in r["earlier"]]), local_minute(r["registered_at"])] for r in board.repeats]
    refiled = [[_ticket_link(r["number"]), _ticket_link(r["related_number"]), r["category_name"],
                r["lead_department_name"], _state(r)] for r in board.refiled]
    low = [[r["department_name"], r["rated"], r["unsatisfied"], f"{r['rate'] * 100:.0f}%"]
           for r in board.low_satisfaction]
    at_risk = [[_ticket_link(r["number"]), r["category_name"], r["street_name"], r["lead_department_name"],
                _state(r), f"{r['p']:.0%}"] for r in board.at_risk]
    return [
        *_narrowed(board),
        _section("即将超时（模型预测超时概率最高，尚未超时）",
                 _table(("工单", "类别", "街道", "承办单位", "状态", "超时概率"), at_risk,
                        "暂无预测（python -m etl train 之后显示）", "sup-at-risk")),
        _section(_shown("超时工单", len(board.overdue), board.overdue_count, board.find),
                 _table(("工单", "类别", "街道", "承办单位", "状态", "超时"), overdue, "没有超时工单", "sup-overdue")),
        _section("升级督办（按级别）", _table(("级别", "工单", "类别", "承办单位", "状态", "办结时限"), escalated,
                                         "没有升级的工单", "sup-escalated")),
        _section(f"重复投诉（近{supervision.RECENT_DAYS}天，办结后再次反映）",
                 _table(("工单", "类别", "街道", "此前工单", "登记时间"), repeats, "没有重复投诉", "sup-repeats")),
        _section(f"越级投诉（近{supervision.RECENT_DAYS}天）",
                 _table(("工单", "原工单", "类别", "承办单位", "状态"), refiled, "没有越级投诉", "sup-refiled")),
        _section(f"满意度偏低单位（近{supervision.RECENT_DAYS}天，至少 {supervision.MIN_RATINGS} 条评价）",
                 _table(("单位", "评价数", "不满意", "满意率"), low, "没有满意度偏低的单位", "sup-low")),
    ]


def records(board: supervision.Board) -> list:
    orders = [[o["id"], _ticket_link(o["number"]), o["department_name"], o["responsible_person"],
               o["due_on"].isoformat(), o["demand"], o["answer"] or "待答复",
               supervision.OUTCOMES.get(o["outcome"], "办理中") if o["outcome"] else "办理中"] for o in board.orders]
    meetings = [[m["id"], _ticket_link(m["number"]), m["meeting_date"].isoformat(), "、".join(m["department_names"]),
                 m["decision"] or "待决定", m["follow_up"] or "—"] for m in board.meetings]
    accountable = [[_ticket_link(a["number"]), a["person"], supervision.MEASURES.get(a["measure"], a["measure"]),
                    a["decided_on"].isoformat(), a["note"] or "—", a["recorded_by"]] for a in board.accountabilities]
    return [
        _section("督办单", _table(("编号", "工单", "责任单位", "责任人", "期限", "督办要求", "单位答复", "结果"),
                                 orders, "尚无督办单", "sup-orders")),
        _section("联席会", _table(("编号", "工单", "日期", "参会单位", "会议决定", "后续跟进"), meetings,
                                 "尚无联席会", "sup-meetings")),
        _section("问责记录", _table(("工单", "被问责人", "方式", "日期", "说明", "登记人"), accountable,
                                  "尚无问责记录", "sup-accountabilities")),
    ]


def order_options(board: supervision.Board) -> list[dict]:
    return [{"label": f"#{o['id']} {o['number']} · {o['department_name']} · {o['responsible_person']}",
             "value": o["id"]} for o in board.orders if o["closed_at"] is None]


def meeting_options(board: supervision.Board) -> list[dict]:
    return [{"label": f"#{m['id']} {m['number']} · {m['meeting_date']:%m-%d}", "value": m["id"]}
            for m in board.meetings if not m["decision"]]


def _signature(*parts) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def shown(board: supervision.Board) -> dict[str, str]:
    """A signature of what each redrawn part shows (the counts; the lists; the records with the forms' choices
    of open orders and meetings): the live refresh redraws a part only when its signature changed."""
    return {"counts": _signature(board.overdue_count, board.escalated_counts, len(board.repeats),
                                 len(board.refiled), len(board.low_satisfaction),
                                 sum(1 for o in board.orders if o["closed_at"] is None)),
            "lists": _signature(board.find, board.at_risk, board.overdue, board.overdue_count, board.escalated,
                                board.repeats, board.refiled, board.low_satisfaction),
            "records": _signature(board.orders, board.meetings, board.accountabilities)}


def _section(title: str, body) -> html.Section:
    return html.Section([html.H2(title, className="card-title"), body], className="card sup-card")


def _input(component_id: str, label: str, **kwargs) -> html.Label:
    return html.Label([label, dcc.Input(id=component_id, className="intake-input", **kwargs)], className="sup-field")


def _dropdown(component_id: str, label: str, options, **kwargs) -> html.Label:
    return html.Label([label, dcc.Dropdown(id=component_id, options=options, className="sup-choice", **kwargs)],
                      className="sup-field")


def _area(component_id: str, label: str, placeholder: str = "") -> html.Label:
    return html.Label([label, dcc.Textarea(id=component_id, className="intake-input sup-text", maxLength=2000,
                                           placeholder=placeholder)], className="sup-field sup-wide")


def _form(title: str, fields: list, buttons: list, message_id: str, done_id: str) -> html.Section:
    return html.Section([html.H2(title, className="card-title"), html.Div(fields, className="sup-fields"),
                         html.Div(buttons, className="form-actions"),
                         html.Div(id=message_id, className="sup-msg", role="status"),
                         dcc.Store(id=done_id)], className="card sup-card sup-form")


def _button(component_id: str, label: str, primary: bool = True) -> html.Button:
    return html.Button(label, id=component_id, n_clicks=0, type="button",
                       className="btn-primary" if primary else "btn-secondary")


def forms(units: list[dict], board: supervision.Board, ticket: str | None = None) -> list:
    """``ticket``: the number the forms that start from a ticket are filled with (from its page's link)."""
    today = _today().isoformat()
    measures = [{"label": v, "value": k} for k, v in supervision.MEASURES.items()]
    outcomes = [{"label": v, "value": k} for k, v in supervision.OUTCOMES.items()]
    return [
        _form("下达督办单", [
            _input(ids.ORDER_NUMBER, "工单编号", type="text", maxLength=20, placeholder="如 20261202-000123",
                   value=ticket),
            _dropdown(ids.ORDER_UNIT, "责任单位（默认承办单位）", units, placeholder="承办单位"),
            _input(ids.ORDER_PERSON, "责任人", type="text", maxLength=64),
            _input(ids.ORDER_DUE, "办理期限", type="date", value=(_today() + timedelta(days=3)).isoformat(), min=today),
            _area(ids.ORDER_DEMAND, "督办要求", "如：三日内修复并回复群众"),
        ], [_button(ids.ORDER_SUBMIT, "下达督办单")], ids.ORDER_MSG, ids.ORDER_DONE),
        _form("督办答复与结果", [
            _dropdown(ids.REPLY_ORDER, "督办单", order_options(board), placeholder="选择未办结的督办单"),
            _area(ids.REPLY_ANSWER, "单位答复"),
            _dropdown(ids.REPLY_OUTCOME, "督办结果", outcomes, placeholder="认定结果"),
            _input(ids.REPLY_NOTE, "结果说明", type="text", maxLength=2000),
        ], [_button(ids.REPLY_SUBMIT, "登记答复"), _button(ids.REPLY_CLOSE, "认定结果并办结", primary=False)],
            ids.REPLY_MSG, ids.REPLY_DONE),
        _form("问责", [
            _input(ids.ACC_NUMBER, "工单编号", type="text", maxLength=20, value=ticket),
            _input(ids.ACC_PERSON, "被问责人", type="text", maxLength=64),
            _dropdown(ids.ACC_MEASURE, "问责方式", measures, placeholder="选择方式"),
            _input(ids.ACC_DATE, "问责日期", type="date", value=today, max=today),
            _input(ids.ACC_NOTE, "说明", type="text", maxLength=2000),
        ], [_button(ids.ACC_SUBMIT, "记录问责")], ids.ACC_MSG, ids.ACC_DONE),
        _form("召集联席会", [
            _input(ids.MEET_NUMBER, "工单编号", type="text", maxLength=20, value=ticket),
            _dropdown(ids.MEET_UNITS, "参会单位（至少两个）", units, multi=True, placeholder="选择单位"),
            _input(ids.MEET_DATE, "会议日期", type="date", value=today, min=today),
        ], [_button(ids.MEET_SUBMIT, "召集联席会")], ids.MEET_MSG, ids.MEET_DONE),
        _form("联席会决定", [
            _dropdown(ids.DECIDE_MEETING, "联席会", meeting_options(board), placeholder="选择待决定的联席会"),
            _area(ids.DECIDE_TEXT, "会议决定"),
            _area(ids.DECIDE_FOLLOW, "后续跟进"),
        ], [_button(ids.DECIDE_SUBMIT, "记录决定")], ids.DECIDE_MSG, ids.DECIDE_DONE),
    ]


def petition_lists(principal: Principal | None) -> list:
    """The reception center's petitions a supervisor follows: 越级上访 with the work orders they grew from, and the
    cases still open (the page /petitions holds the rest)."""
    skipped = petitions.list_petitions(principal, {"skipped": True})
    still_open = petitions.list_petitions(principal, {"open": True})
    return [
        _section("信访案件 · 越级上访（由来工单与纠纷）", html.Div(petitions_table(skipped, compact=True, link=True),
                                                    className="sup-scroll", id="sup-petitions-skipped")),
        _section("信访案件 · 办理中", html.Div(petitions_table(still_open, compact=True, link=True),
                                          className="sup-scroll", id="sup-petitions-open")),
    ]


def unit_options() -> list[dict]:
    return [{"label": name, "value": code} for code, name in sorted(supervision.department_choices().items())]


def from_ticket(value) -> str | None:
    """The ``?ticket=`` a ticket page links with, if it looks like a number (anything else fills nothing; the
    service checks the number again when a form is sent)."""
    number = str(value or "").strip()
    return number if 0 < len(number) <= 20 and all(ch.isdigit() or ch == "-" for ch in number) else None


def _found(value) -> str | None:
    """The ``?find=`` of a link to the narrowed page, when the search box would take it (else the whole page)."""
    try:
        return search_text(value if isinstance(value, str) else None)
    except FieldError:
        return None


def layout(principal: Principal | None = None, ticket: str | None = None, find: str | None = None,
           **_query) -> html.Div:
    """``ticket`` (the link of a ticket's page): the forms filled with its number and the lists narrowed to it;
    ``find``: the lists narrowed to what the search box would take (a number or a part of an address)."""
    ticket = from_ticket(ticket)
    board = supervision.board(principal, find=ticket or _found(find))
    return html.Div([
        html.Main([
            html.Div([html.H1("督办", className="page-title"),
                      html.Div(counts(board), id=ids.COUNTS, className="sup-counts"),
                      # Each list shows its first LIST_LIMIT rows; the box reaches any ticket beyond them.
                      dcc.Input(id=ids.FIND, type="search", debounce=True, maxLength=MAX_FIND, value=board.find,
                                placeholder="查找工单号或地址", className="intake-input sup-find")],
                     className="sup-head"),
            html.Div([
                html.Div([supervision_block(principal),       # 延期申请 (screens/handling_parts.py)
                          html.Div(lists(board), id=ids.LISTS, className="sup-lists")], className="sup-lists"),
                html.Aside(forms(unit_options(), board, ticket), className="sup-forms"),
            ], className="sup-grid"),
            html.Div(records(board), id=ids.RECORDS, className="sup-records"),
            html.Div(petition_lists(principal), className="sup-records sup-petitions"),
        ], className="sup-main"),
        dcc.Store(id=ids.LIVE), dcc.Store(id=ids.SHOWN, data=shown(board)),
        dcc.Interval(id=ids.TICK, interval=SAFETY_REFRESH_MS),
    ], className="intake-page sup-page", id="sup-page", **{"data-live": "1"})   # supervisors hold live_feed

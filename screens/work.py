"""`/work` — 承办工作台, the workplace of a handling unit (department, street and community staff): the queues
with their counts (待签收 · 办理中 · 即将超时 · 已超时 · 已办结), a table of the chosen queue by deadline with live
countdowns (assets/countdown.js) and the breach risk, and a pane for the selected ticket with what the role may do:
签收, 退回 (with a reason), 到场, 不予受理, 转派 to one of the unit's crews, 办结回复 with photos (assets/work.js sends
them as multipart to api/work.py: photos are too large for a Dash callback's body). New and changed work appears
without a reload: a slow tick asks for the queues' fingerprint and redraws only when it changed (these roles hold no
``live_feed``, so the stream is not theirs)."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens.intake_parts import info_rows, state_badge, timeline
from services import work
from settings import get_settings
from workorders.clock import local_minute
from workorders.policy import Principal
from workorders.search import MAX_FIND
from workorders.vocabulary import PRIORITY_LABELS

dash.register_page(__name__, path="/work", title="铁东区 96715 · 承办工作台", name="承办工作台")

REFRESH_MS = 10_000


class ids:
    ROW = "work-row"                 # pattern {"type": ROW, "number": n}
    ACT = "work-act"                 # pattern {"type": ACT, "action": a}
    TABS, TABLE, PANE, MESSAGE = "work-tabs", "work-table", "work-pane", "work-message"
    FIND = "work-find"               # narrows the queue to a number or a part of an address (Enter sends it)
    SELECTED, PRINT, DONE, TICK = "work-selected", "work-print", "work-done", "work-tick"
    REASON = "work-reason"
    CREW, ASSIGN = "work-crew", "work-assign"
    REPLY, UPLOAD, FILES, SEND, SENT = "work-reply", "work-upload", "work-files", "work-send", "work-sent"
    EXTENSIONS = "work-extension-actions"
    EXT_REASON, EXT_DUE, EXT_SEND = "work-ext-reason", "work-ext-due", "work-ext-send"
    HOLD_REASON, HOLD, RESUME = "work-hold-reason", "work-hold", "work-resume"
    ASSIST_TEXT, ASSIST_SEND = "work-assist-text", "work-assist-send"


def tab_options(board: work.Board) -> list[dict]:
    """The queues as the options of one radio group (ids.TABS): a click sets its value at once, so a redraw of the
    counts never swallows it (buttons redrawn under the pointer would)."""
    tone = {"overdue": "bad", "due_soon": "warn"}
    return [{"label": html.Span([html.Span(label, className="work-tab-label"),
                                 html.Span(str(board.counts[key]), className="work-tab-count")],
                                className=f"work-tab-face {tone.get(key, '') if board.counts[key] else ''}"),
             "value": key} for key, label in board.labels.items()]


def countdown(deadline) -> html.Span | str:
    """Time left, kept ticking by assets/countdown.js (it reads data-due)."""
    if deadline is None:
        return "—"
    return html.Span(deadline.label, className="countdown", **{"data-due": deadline.due.isoformat(),
                                                                "data-label": deadline.label})


def risk(found: dict | None) -> html.Span | str:
    """The stored chance to miss the deadline, as the dispatcher's panel shows it, and whether the model or the
    baseline (the unit's own late rate) gave it."""
    if found is None:
        return "—"
    level = "high" if found["p"] >= 0.5 else "mid" if found["p"] >= 0.2 else "low"
    basis = f"（{found['basis']}）" if found["basis"] else ""
    return html.Span(f"{found['p']:.0%}{basis}", className=f"t-risk r-{level}",
                     title="超时概率：模型为预测模型，基线为该单位该类别的历史超时率")


def table(board: work.Board, selected: str | None) -> html.Div | html.Table:
    if not board.rows:
        found = f"与“{board.find}”相符的" if board.find else ""
        return html.Div(f"“{board.labels[board.queue]}”中没有{found}工单", className="muted work-empty")
    done = board.queue == "done"
    headers = ("工单号", "类别", "地址 / 社区", "状态", "办结时间" if done else "时限", "" if done else "剩余",
               "超时风险")
    body = []
    for row in board.rows:
        due = row["resolved_at"] if done else (row["deadline"].due if row["deadline"] else None)
        body.append(html.Tr([
            html.Td(row["number"], className="mono"),
            html.Td([html.Span(PRIORITY_LABELS.get(row["priority"], ""), className=f"work-prio p{row['priority']}"),
                     row["category_name"]]),
            html.Td(row["place"], className="work-place"),
            html.Td(state_badge(row["state_label"], row["state"])),
            html.Td((("到场 " if row["deadline"] and row["deadline"].kind == "arrival" and not done else "")
                     + (f"{due.astimezone(_tz()):%m-%d %H:%M}" if due else "—")), className="mono"),
            html.Td("" if done else countdown(row["deadline"])),
            html.Td("—" if done else risk(row["risk"])),
        ], id={"type": ids.ROW, "number": row["number"]}, n_clicks=0,
            className="work-row selected" if row["number"] == selected else "work-row"))
    note = (f"仅显示前 {len(board.rows)} 条（共 {board.counts[board.queue]} 条）"
            if board.counts[board.queue] > len(board.rows) else None)
    return html.Div([html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)],
                                className="work-table"),
                     html.Div(note, className="muted work-note") if note else None])


def _tz():
    from zoneinfo import ZoneInfo
    return ZoneInfo(get_settings().timezone)


# ------------------------------------------------------------------------------------------------ the pane

def pane(ticket: dict | None) -> list:
    """The selected ticket and every control of the pane: a control the role may not use is rendered hidden, so
    the callbacks' States always exist while their buttons do."""
    if ticket is None:
        return [html.Div("在左侧选择一张工单查看详情并办理", className="muted work-pane-empty")]
    facts = [("诉求内容", ticket["description"]), ("群众", " · ".join(
                 p for p in (ticket["citizen_name"], ticket["citizen_phone"]) if p) or None),
             ("地址", ticket["address"]), ("位置", " · ".join(p for p in (ticket["street_name"],
                                                                          ticket["community_name"],
                                                                          ticket["grid_name"]) if p)),
             ("类别", f"{ticket['category_name']}（{ticket['priority']}）"), ("渠道", ticket["channel"]),
             ("承办单位", ticket["lead_department_name"]), ("处置力量", ticket["crew_code"]),
             ("登记时间", ticket["registered_at"]), ("到场时限", ticket["arrival_due_at"]),
             ("办结时限", ticket["resolve_due_at"]), ("办结时间", ticket["resolved_at"])]
    return [
        html.Div([html.Span(ticket["number"], className="ticket-number mono"),
                  state_badge(ticket["state_label"], ticket["state"]),
                  countdown(ticket["deadline"]) if ticket["deadline"] else None], className="result-head"),
        info_rows(facts, skip_empty=True),
        *_photos(ticket),
        _actions(ticket),
        _assign(ticket),
        _reply(ticket),
        html.Div(_handling(ticket["handling"]), id=ids.EXTENSIONS, className="work-extensions"),
        html.H3("办理记录", className="work-h3"),
        timeline(list(reversed(ticket["events"])), with_actor=True),
    ]


def _photos(ticket: dict) -> list:
    if not ticket["photos"]:
        return []
    return [html.Div([html.A(html.Img(src=p["path"], alt="工单照片"), href=p["path"], target="_blank")
                      for p in ticket["photos"]], className="ticket-photos work-photos")]


def _actions(ticket: dict) -> html.Div:
    needs_reason = any(needs for _, _, needs in ticket["actions"])
    buttons = [html.Button(label, id={"type": ids.ACT, "action": name}, n_clicks=0, type="button",
                           className="btn-secondary" if needs else "btn-primary")
               for name, label, needs in ticket["actions"]]
    return html.Div([
        html.H3("办理", className="work-h3"),
        html.Div(buttons or [html.Span("当前状态没有可执行的操作", className="muted")], className="work-buttons"),
        html.Div(dcc.Input(id=ids.REASON, type="text", maxLength=1000, className="intake-input work-reason",
                           placeholder="退回、不予受理时必填：原因（如：不属于本单位职责）"),
                 hidden=not needs_reason),
    ], className="work-section")


def _assign(ticket: dict) -> html.Div:
    options = [{"label": f"{c['name']}（{_CREW_STATUS.get(c['status'], c['status'])}）", "value": c["code"]}
               for c in ticket["crews"]]
    return html.Div([
        html.H3("转派处置力量", className="work-h3"),
        html.Div([dcc.Dropdown(id=ids.CREW, options=options, placeholder="选择本单位的处置力量",
                               className="work-crew"),
                  html.Button("转派", id=ids.ASSIGN, n_clicks=0, type="button", className="btn-secondary")],
                 className="work-inline"),
    ], className="work-section", hidden=not ticket["may_assign"])


_CREW_STATUS = {"available": "空闲", "en_route": "在途", "on_scene": "在现场", "off_duty": "下班"}


def _reply(ticket: dict) -> html.Div:
    limit = get_settings().media_max_photos
    return html.Div([
        html.H3("办结回复", className="work-h3"),
        dcc.Textarea(id=ids.REPLY, maxLength=1000, className="intake-input work-reply",
                     placeholder="写给群众的办结回复（将显示在进度查询页），如：已更换阀门，漏水已止住。"),
        dcc.Upload(html.Div(["拖入或", html.A("选择照片"), f"（JPEG / PNG，最多 {limit} 张）"]), id=ids.UPLOAD,
                   multiple=True, accept="image/jpeg,image/png,image/webp", className="work-upload"),
        html.Div(id=ids.FILES, className="muted work-files"),
        html.Button("办结并回复", id=ids.SEND, n_clicks=0, type="button", className="btn-primary"),
    ], className="work-section", hidden=not ticket["may_reply"])


# ------------------------------------------------------------------------------------------------ 延期 / 挂起 / 协办

def _handling(offer: dict) -> list:
    """申请延期 (with the pending request and the outcome of the decided ones), 挂起 / 恢复办理, and 协办: the
    co-handling unit's answer box, the answers for everyone else. Controls the role may not use are hidden."""
    return [_extension(offer), _hold(offer), _assists(offer)]


def _extension(offer: dict) -> html.Div:
    records = [_extension_record(e) for e in offer["extensions"][:3]]
    may_ask = offer["may_extend"] and offer["pending"] is None
    return html.Div([
        html.H3("申请延期", className="work-h3"),
        html.Ul(records, className="work-records", id="work-ext-records") if records else None,
        html.Div([
            dcc.Input(id=ids.EXT_REASON, type="text", maxLength=2000, className="intake-input work-reason",
                      placeholder="延期理由（如：需更换整段主管，材料明日到货）"),
            html.Div([html.Label("延至", htmlFor=ids.EXT_DUE, className="muted"),
                      dcc.Input(id=ids.EXT_DUE, type="text", maxLength=40, value=offer["suggested_due"],
                                className="intake-input work-due mono", placeholder="2026-12-05 18:00"),
                      html.Button("申请延期", id=ids.EXT_SEND, n_clicks=0, type="button",
                                  className="btn-secondary")], className="work-inline"),
        ], hidden=not may_ask),
    ], className="work-section", hidden=not (offer["may_extend"] or records))


def _extension_record(e: dict) -> html.Li:
    outcome = {"pending": "待督查审批", "approved": "已批准", "refused": "已驳回"}.get(e["status"], e["status"])
    decided = (f"（{e['decided_by']} · {local_minute(e['decided_at'])}"
               + (f"：{e['decision_note']}" if e["decision_note"] else "") + "）") if e["decided_by"] else ""
    return html.Li([html.Span(outcome, className=f"work-ext-status s-{e['status']}"),
                    f" 延至 {local_minute(e['requested_due_at'])}（原 {local_minute(e['previous_due_at'])}）",
                    html.Div(f"理由：{e['reason']}{decided}", className="muted")])


def _hold(offer: dict) -> html.Div:
    current = offer["open_hold"]
    status = (html.Div(f"已挂起：{current['reason']}（{current['held_by']} · {local_minute(current['held_at'])} 起，"
                       "时限暂停计时）", className="notice info work-held") if offer["held"] and current else None)
    return html.Div([
        html.H3("挂起", className="work-h3"),
        status,
        html.Div([dcc.Input(id=ids.HOLD_REASON, type="text", maxLength=2000, className="intake-input work-reason",
                            placeholder="挂起原因（如：等待业主回家开门）"),
                  html.Button("挂起", id=ids.HOLD, n_clicks=0, type="button", className="btn-secondary")],
                 className="work-inline", hidden=not offer["may_hold"]),
        html.Div(html.Button("恢复办理", id=ids.RESUME, n_clicks=0, type="button", className="btn-primary"),
                 hidden=not offer["may_resume"]),
    ], className="work-section", hidden=not (offer["may_hold"] or offer["may_resume"] or status))


def _assists(offer: dict) -> html.Div:
    answers = [html.Li([html.Strong(a["department_name"]), "：",
                        a["answer"] if a["answer"] is not None else html.Span("待答复", className="muted"),
                        html.Div(f"{a['answered_by']} · {local_minute(a['answered_at'])}", className="muted")
                        if a["answer"] is not None else None]) for a in offer["assists"]]
    return html.Div([
        html.H3("协办", className="work-h3"),
        html.Ul(answers, className="work-records", id="work-assists") if answers else None,
        html.Div([dcc.Textarea(id=ids.ASSIST_TEXT, maxLength=2000, className="intake-input work-reply",
                               placeholder="本单位的协办答复（承办单位办结前可见），如：已核查房屋结构，无安全隐患。"),
                  html.Button("提交协办答复", id=ids.ASSIST_SEND, n_clicks=0, type="button",
                              className="btn-secondary")], hidden=not offer["assist_unit"]),
    ], className="work-section", hidden=not (answers or offer["assist_unit"]))


def layout(principal: Principal | None = None, **_query) -> html.Div:
    board = work.board(principal)
    return html.Div([
        html.Main([
            html.Div([html.H1("承办工作台", className="page-title"),
                      dcc.RadioItems(id=ids.TABS, options=tab_options(board), value=board.queue, inline=True,
                                     className="work-tabs", labelClassName="work-tab",
                                     inputClassName="work-tab-input"),
                      # A queue shows its first QUEUE_LIMIT rows by deadline; the box reaches any of the others.
                      dcc.Input(id=ids.FIND, type="search", debounce=True, maxLength=MAX_FIND,
                                placeholder="查找工单号或地址", className="intake-input work-find")],
                     className="work-head"),
            html.Div([
                html.Section(table(board, None), id=ids.TABLE, className="card work-list"),
                html.Aside([html.Div(id=ids.MESSAGE, role="status", className="work-message"),
                            html.Div(pane(None), id=ids.PANE)], className="card work-pane"),
            ], className="work-grid"),
        ], className="work-main"),
        dcc.Store(id=ids.SELECTED), dcc.Store(id=ids.PRINT, data=board.fingerprint),
        dcc.Store(id=ids.DONE), dcc.Store(id=ids.SENT),
        dcc.Interval(id=ids.TICK, interval=REFRESH_MS),
    ], className="intake-page work-page", id="work-page")

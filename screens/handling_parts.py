"""Handling records on two pages: /supervision's 延期申请 (pending requests, each with 批准 / 驳回 and a note) and,
on /tickets/<number>, a ticket's extensions, holds and co-handling answers (services/handling.py)."""
from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from screens.intake_parts import info_rows
from services import handling
from workorders.clock import local_minute
from workorders.handling import EXTENSION_STATUSES
from workorders.policy import Principal


class ids:
    EXTENSIONS = "sup-extensions"          # the section, re-rendered when the pending requests change
    SHOWN = "sup-ext-shown"                # the ids of the requests it shows
    APPROVE = "sup-ext-approve"            # pattern-matching ids: {"type": …, "index": extension id}
    REFUSE = "sup-ext-refuse"
    NOTE = "sup-ext-note"
    MSG = "sup-ext-msg"                    # outside the section: a refresh keeps what the last decision said
    DONE = "sup-ext-done"


def _link(number: str):
    return dcc.Link(number, href=f"/tickets/{number}", className="mono")


def _longer(before: datetime, after: datetime) -> str:
    hours = (after - before).total_seconds() / 3600
    return f"{hours / 24:.1f} 天" if hours >= 24 else f"{hours:.0f} 小时"


def _decide(row: dict) -> html.Div:
    index = row["id"]
    return html.Div([
        dcc.Input(id={"type": ids.NOTE, "index": index}, type="text", maxLength=2000, className="intake-input",
                  placeholder="意见（驳回必填）", debounce=False),
        html.Button("批准", id={"type": ids.APPROVE, "index": index}, n_clicks=0, type="button",
                    className="btn-primary"),
        html.Button("驳回", id={"type": ids.REFUSE, "index": index}, n_clicks=0, type="button",
                    className="btn-secondary"),
    ], className="sup-ext-decide")


def extensions_section(rows: list[dict]) -> html.Section:
    """延期申请: what waits for the district's decision, the oldest first."""
    title = f"延期申请（待审批 {len(rows)}）"
    if not rows:
        return html.Section([html.H2(title, className="card-title"),
                             html.Div("没有待审批的延期申请", className="muted sup-empty")], className="card sup-card")
    headers = ("工单", "承办单位", "当前时限", "申请延至", "理由", "申请人", "审批")
    body = [html.Tr([
        html.Td([_link(r["number"]), html.Div(r["category_name"], className="muted")], className="sup-ext-number"),
        html.Td(r["lead_department_name"]),
        html.Td(local_minute(r["resolve_due_at"])),
        html.Td([local_minute(r["requested_due_at"]),
                 html.Div(f"延长 {_longer(r['resolve_due_at'], r['requested_due_at'])}", className="muted")]),
        html.Td(r["reason"], className="sup-ext-reason"),
        html.Td([r["requested_by"], html.Div(local_minute(r["requested_at"]), className="muted")]),
        html.Td(_decide(r)),
    ], id=f"sup-ext-row-{r['id']}") for r in rows]
    return html.Section([html.H2(title, className="card-title"),
                         html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)],
                                    className="sup-table sup-ext-table", id="sup-ext-table")],
                        className="card sup-card")


def pending_ids(rows: list[dict]) -> list[int]:
    return [r["id"] for r in rows]


def supervision_block(principal: Principal | None) -> html.Div:
    """The section with its message line, the store a decision sets (the page refreshes on it) and the ids shown."""
    rows = handling.pending_extensions(principal)
    return html.Div([html.Div(extensions_section(rows), id=ids.EXTENSIONS),
                     html.Div(id=ids.MSG, className="sup-msg", role="status"), dcc.Store(id=ids.DONE),
                     dcc.Store(id=ids.SHOWN, data=pending_ids(rows))])


# ------------------------------------------------------------------------------------------------ one ticket

def _extension(e: dict) -> html.Li:
    rows = [("理由", e["reason"]), ("原时限", local_minute(e["previous_due_at"])),
            ("申请延至", local_minute(e["requested_due_at"])), ("申请人", f"{e['requested_by']} · "
                                                                   f"{local_minute(e['requested_at'])}"),
            ("审批", f"{e['decided_by']} · {local_minute(e['decided_at'])}" if e["decided_by"] else None),
            ("审批意见", e["decision_note"])]
    return html.Li([html.Strong(f"延期申请 #{e['id']} · {EXTENSION_STATUSES.get(e['status'], e['status'])}"),
                    info_rows(rows, skip_empty=True)])


def _hold(h: dict) -> html.Li:
    if h["resumed_at"] is None:
        span = f"{local_minute(h['held_at'])} 起挂起中"
    else:
        span = (f"{local_minute(h['held_at'])} → {local_minute(h['resumed_at'])}，"
                f"时限顺延 {h['counted_seconds'] / 3600:.1f} 小时")
    return html.Li(f"挂起：{h['reason']}（{h['held_by']}）· {span}")


def _assist(a: dict) -> html.Li:
    if a["answer"] is None:
        return html.Li(f"协办：{a['department_name']} · 待答复")
    return html.Li(f"协办：{a['department_name']} · {a['answer']}（{a['answered_by']} · "
                   f"{local_minute(a['answered_at'])}）")


def ticket_sections(principal: Principal | None, number: str) -> list:
    """延期、挂起与协办 of one ticket; nothing when it has none (or the principal may not read it)."""
    records = handling.ticket_records(principal, number)
    if not records or not any(records.values()):
        return []
    items = ([_extension(e) for e in records["extensions"]] + [_hold(h) for h in records["holds"]]
             + [_assist(a) for a in records["assists"]])
    return [html.Section([html.H2("延期、挂起与协办", className="card-title"),
                          html.Ul(items, className="sup-records-list")], className="card", id="ticket-handling")]

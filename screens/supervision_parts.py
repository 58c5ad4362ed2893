"""The supervision records of one ticket, for its page (/tickets/<number>): 督办单, 联席会, 问责, repeat links.
A small section the ticket page appends; nothing when the ticket has none."""
from __future__ import annotations

from dash import dcc, html

from screens.intake_parts import info_rows
from services import supervision
from workorders.policy import Principal


def _link(number: str):
    return dcc.Link(number, href=f"/tickets/{number}", className="mono")


def _order(o: dict) -> html.Li:
    outcome = supervision.OUTCOMES.get(o["outcome"]) if o["outcome"] else "办理中"
    return html.Li([html.Strong(f"督办单 #{o['id']} · {o['department_name']} · 责任人 {o['responsible_person']}"),
                    info_rows([("期限", o["due_on"].isoformat()), ("督办要求", o["demand"]),
                               ("单位答复", o["answer"] or "待答复"), ("结果", outcome),
                               ("说明", o["outcome_note"]), ("下达人", o["issued_by"])], skip_empty=True)])


def _meeting(m: dict) -> html.Li:
    return html.Li([html.Strong(f"联席会 #{m['id']} · {m['meeting_date'].isoformat()}"),
                    info_rows([("参会单位", "、".join(m["department_names"])), ("会议决定", m["decision"] or "待决定"),
                               ("后续跟进", m["follow_up"]), ("召集人", m["convened_by"])], skip_empty=True)])


def _accountability(a: dict) -> html.Li:
    return html.Li(f"问责：{a['person']} · {supervision.MEASURES.get(a['measure'], a['measure'])} · "
                   f"{a['decided_on'].isoformat()}" + (f" · {a['note']}" if a["note"] else ""))


def _link_row(link: dict) -> html.Li:
    reasons = "、".join(supervision.REPEAT_REASONS.get(r, r) for r in link["reasons"])
    what = "重复此前工单" if link["direction"] == "earlier" else "此后被重复反映"
    return html.Li([f"{what} ", _link(link["number"]), f"（{reasons}）"])


def supervision_sections(principal: Principal | None, number: str) -> list:
    records = supervision.ticket_records(principal, number)
    if not records or not any(records.values()):
        return []
    items = ([_order(o) for o in records["orders"]] + [_meeting(m) for m in records["meetings"]]
             + [_accountability(a) for a in records["accountabilities"]] + [_link_row(x) for x in records["links"]])
    return [html.Section([html.H2("督办、联席会与重复投诉", className="card-title"),
                          html.Ul(items, className="sup-records-list")], className="card", id="ticket-supervision")]

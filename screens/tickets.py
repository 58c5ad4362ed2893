"""`/tickets/<number>` — one ticket with its full history, for the center's operators (personal data in full)."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens.intake_parts import info_rows, state_badge, timeline
from screens.supervision_parts import supervision_sections
from services.ticket_views import operator_detail
from workorders.policy import Forbidden, Principal

dash.register_page(__name__, path_template="/tickets/<number>", title="铁东区 96715 · 工单详情", name="工单详情")


def _link(number: str | None):
    return dcc.Link(number, href=f"/tickets/{number}", className="mono") if number else None


def _detail(ticket: dict) -> list:
    departments = ticket["lead_department_name"] + (f"（协办：{'、'.join(ticket['co_departments'])}）"
                                                    if ticket["co_departments"] else "")
    citizen = [("群众姓名", ticket["citizen_name"]), ("联系电话", ticket["citizen_phone"]),
               ("地址", ticket["address"]),
               ("位置", " · ".join(p for p in (ticket["street_name"], ticket["community_name"], ticket["grid_name"]))),
               ("受理渠道", ticket["channel"]), ("接待窗口", ticket["window"]), ("登记人", ticket["registered_by"])]
    handling = [("类别", ticket["category_name"]), ("优先级", ticket["priority"]), ("承办单位", departments),
                ("处置力量", ticket["crew_code"]), ("登记时间", ticket["registered_at"]),
                ("到场时限", ticket["arrival_due_at"]), ("办结时限", ticket["resolve_due_at"]),
                ("派单时间", ticket["dispatched_at"]), ("到场时间", ticket["on_site_at"]),
                ("办结时间", ticket["resolved_at"]), ("关闭时间", ticket["closed_at"]),
                ("评价", " · ".join(p for p in (ticket["satisfaction"], ticket["evaluation_comment"]) if p)),
                ("合并到", _link(ticket["merged_into_number"])), ("越级原单", _link(ticket["related_number"])),
                ("标记", "、".join(ticket["flags"])),
                ("退回次数", ticket["returned_count"] or None), ("重启次数", ticket["reopened_count"] or None),
                ("督办级别", ticket["escalation_level"] or None)]
    return [
        html.Section([
            html.Div([html.Span(ticket["number"], className="ticket-number mono"),
                      state_badge(ticket["state_label"], ticket["state"])], className="result-head"),
            html.H2("诉求内容", className="card-title"), html.P(ticket["description"], className="description"),
            html.H2("群众与位置", className="card-title"), info_rows(citizen, skip_empty=True),
            html.H2("办理", className="card-title", style={"marginTop": "16px"}), info_rows(handling, skip_empty=True),
        ], className="card"),
        html.Section([html.H2("全部记录", className="card-title"),
                      timeline(ticket["events"], with_actor=True)], className="card"),
    ]


def layout(number: str = "", principal: Principal | None = None, **_query) -> html.Div:
    try:
        ticket = operator_detail(principal, number)
    except Forbidden as refused:
        return html.Div(html.Div(refused.message, className="notice", role="alert"), className="intake-page")
    body = _detail(ticket) if ticket else [html.Div(f"没有工单 {number}", className="notice", role="alert")]
    if ticket:
        body += supervision_sections(principal, ticket["number"])    # 督办单, 联席会, 问责, repeats (supervision)
    return html.Div([
        html.Header([
            html.Div([html.Span("96715", className="brand-mark"), html.H1("工单详情", className="desk-title")],
                     className="brand"),
            html.Nav([dcc.Link("返回受理登记", href="/hotline", className="channel-tab")], className="channel-tabs"),
        ], className="desk-header"),
        html.Main(body, className="detail-grid"),
    ], className="intake-page desk-page")

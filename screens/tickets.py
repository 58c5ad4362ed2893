"""`/tickets/<number>` — one ticket with its full history (events, photos, follow-up calls, joint meetings), the
actions the signed-in role may take on it, 回访 for operators, and a print view of the 工单 (A4, @media print)."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens.intake_parts import info_rows, state_badge, timeline
from screens.handling_parts import ticket_sections
from screens.supervision_parts import supervision_sections
from services.ticket_desk import department_options, ticket_page
from workorders.policy import Forbidden, Principal
from workorders.vocabulary import SATISFACTION

dash.register_page(__name__, path_template="/tickets/<number>", title="铁东区 96715 · 工单详情", name="工单详情")


class ids:
    NUMBER = "ticket-detail-number"
    ACTION = "ticket-detail-action"
    REASON = "ticket-detail-reason"
    DEPARTMENT = "ticket-detail-department"
    DO = "ticket-detail-do"
    RESULT = "ticket-detail-result"
    PRINT = "ticket-detail-print"
    SUPERVISE = "ticket-detail-supervise"    # to /supervision with this number filled in (督办单, 问责, 联席会)
    FOLLOW_REACHED = "ticket-detail-follow-reached"
    FOLLOW_RATING = "ticket-detail-follow-rating"
    FOLLOW_NOTE = "ticket-detail-follow-note"
    FOLLOW_SAVE = "ticket-detail-follow-save"
    FOLLOW_RESULT = "ticket-detail-follow-result"


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
                      timeline(ticket["events"], with_actor=True), *_extras(ticket)], className="card"),
    ]


def _extras(ticket: dict) -> list:
    """Photos and follow-up calls under the history (each only when there is one). Joint meetings, 督办单 and 问责
    are supervision_sections' (one place, with the decision and follow-up)."""
    parts = []
    if ticket["photos"]:
        parts += [html.H2("照片", className="card-title"), html.Div(
            [html.A(html.Img(src=p["path"], alt=f"照片 {p['created_at']:%Y-%m-%d %H:%M}"), href=p["path"],
                    target="_blank") for p in ticket["photos"]], className="ticket-photos")]
    if ticket["follow_ups"]:
        parts += [html.H2("回访记录", className="card-title"), html.Ul([html.Li(
            f"{f['at']:%Y-%m-%d %H:%M} · {f['operator']} · {'已联系上' if f['reached'] else '未联系上'}"
            + (f" · {SATISFACTION.get(f['satisfaction'], '')}" if f["satisfaction"] else "")
            + (f" · {f['note']}" if f["note"] else "")) for f in ticket["follow_ups"]], id="ticket-follow-ups")]
    return parts


def _actions(ticket: dict) -> list:
    """The actions this role may take here (the service asks the policy again on each)."""
    if not ticket["actions"]:
        return []
    controls = [
        html.Label(["操作", dcc.Dropdown(id=ids.ACTION, options=[
            {"label": label + ("（需填写原因）" if needs else ""), "value": name}
            for name, label, needs in ticket["actions"]], placeholder="选择操作", clearable=False)]),
        html.Label(["原因 / 说明", dcc.Input(id=ids.REASON, type="text", maxLength=1000, className="intake-input",
                                          placeholder="退回、升级、重启、不予受理时必填")]),
    ]
    if ticket["may_transfer"]:
        controls.append(html.Label(["转办到（派单时可选）", dcc.Dropdown(id=ids.DEPARTMENT, options=[
            {"label": name, "value": code} for code, name in department_options()], placeholder="按规则派单")]))
    else:       # the action's callback reads it: present, empty and hidden for a role without 转办
        controls.append(html.Div(dcc.Dropdown(id=ids.DEPARTMENT, options=[]), hidden=True))
    controls.append(html.Button("执行", id=ids.DO, n_clicks=0, type="button", className="btn-primary"))
    return [html.Section([html.H2("办理", className="card-title"), html.Div(controls, className="ticket-actions"),
                          html.Div(id=ids.RESULT, role="status", className="muted")],
                         className="card ticket-actions-card no-print")]


def _follow_up(ticket: dict) -> list:
    if not ticket["may_follow_up"]:
        return []
    return [html.Section([
        html.H2("回访（群众未在线评价）", className="card-title"),
        html.Div([
            html.Div(["是否联系上：", dcc.RadioItems(id=ids.FOLLOW_REACHED, options=[
                {"label": "已联系上", "value": "yes"}, {"label": "未联系上", "value": "no"}],
                value="yes", inline=True, className="ticket-radios")], className="ticket-radio-row"),
            html.Div(["群众评价：", dcc.RadioItems(id=ids.FOLLOW_RATING, options=[
                {"label": v, "value": k} for k, v in SATISFACTION.items()], inline=True, className="ticket-radios")],
                className="ticket-radio-row"),
            dcc.Input(id=ids.FOLLOW_NOTE, type="text", maxLength=1000, className="intake-input",
                      placeholder="群众意见（可选）"),
            html.Button("保存回访", id=ids.FOLLOW_SAVE, n_clicks=0, type="button", className="btn-primary"),
        ], className="ticket-actions"),
        html.Div(id=ids.FOLLOW_RESULT, role="status", className="muted"),
    ], className="card ticket-actions-card no-print")]


def layout(number: str = "", principal: Principal | None = None, **_query) -> html.Div:
    try:
        ticket = ticket_page(principal, number)
    except Forbidden as refused:
        return html.Div(html.Div(refused.message, className="notice", role="alert"), className="intake-page")
    body = ([html.Div(f"铁东区 96715 工单 {ticket['number']}", className="ticket-print-head"), *_detail(ticket),
             *_actions(ticket), *_follow_up(ticket)]
            if ticket else [html.Div(f"没有工单 {number}", className="notice", role="alert")])
    if ticket:
        body += supervision_sections(principal, ticket["number"])    # 督办单, 联席会, 问责, repeats (supervision)
        body += ticket_sections(principal, ticket["number"])        # 延期, 挂起, 协办 (services/handling.py)
    return html.Div([
        html.Header([
            html.Div([html.Span("96715", className="brand-mark"), html.H1("工单详情", className="desk-title")],
                     className="brand"),
            html.Nav([dcc.Link("工单列表", href="/tickets", className="channel-tab"),
                      dcc.Link("返回受理登记", href="/hotline", className="channel-tab"),
                      *([dcc.Link("督办 · 联席会", href=f"/supervision?ticket={ticket['number']}",
                                  id=ids.SUPERVISE, className="channel-tab")] if ticket and ticket["may_supervise"]
                        else []),
                      html.Button("打印工单", id=ids.PRINT, n_clicks=0, type="button",
                                  className="channel-tab no-print")], className="channel-tabs"),
        ], className="desk-header"),
        html.Main(body, className="detail-grid"),
        dcc.Store(id=ids.NUMBER, data=ticket["number"] if ticket else None),
    ], className="intake-page desk-page ticket-detail-page")

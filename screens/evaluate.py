"""`/evaluate/<token>` — the citizen rates how the request was handled: 满意 / 基本满意 / 不满意 (+ a comment).
不满意 reopens the ticket for handling again."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens import ids
from screens.intake_parts import info_rows, public_header
from services.ticket_views import evaluation_target
from workorders.vocabulary import SATISFACTION

dash.register_page(__name__, path_template="/evaluate/<token>", title="铁东区 96715 · 办理评价", name="办理评价")

MESSAGES = {
    "invalid": "评价链接无效：请核对短信中的链接是否完整。如有疑问请拨打 96715。",
    "not_ready": "该工单尚未办结，暂不能评价。办结后您会收到评价短信。",
}


def _ticket_rows(target: dict) -> html.Dl:
    return info_rows([("工单号", html.Span(target["number"], className="mono")), ("问题类别", target["category_name"]),
                      ("承办单位", target["department"]), ("办结时间", target["resolved_at"])])


def _body(token: str, target: dict) -> list:
    status = target["status"]
    if status in MESSAGES:
        return [html.Div(MESSAGES[status], className="notice", role="alert"),
                _ticket_rows(target) if status != "invalid" else None]
    if status == "done":
        return [html.Div(f"该工单已评价（{target['satisfaction']}），感谢您的反馈。", className="notice info",
                         role="status"), _ticket_rows(target)]
    return [
        html.P(f"{target['citizen'] + '，' if target['citizen'] else ''}您反映的问题已办结，请对办理结果评价："),
        _ticket_rows(target),
        html.Div([
            html.Label("您对办理结果", className="field-label"),
            dcc.RadioItems(id=ids.EVALUATE_CHOICE, options=[{"label": v, "value": k} for k, v in SATISFACTION.items()],
                           className="evaluate-choice", inline=False),
            html.Div(id=ids.EVALUATE_ERROR, className="field-error", role="alert"),
        ], className="field", style={"marginTop": "16px"}),
        html.Div([
            html.Label("意见或建议（选填）", htmlFor=ids.EVALUATE_COMMENT, className="field-label"),
            dcc.Textarea(id=ids.EVALUATE_COMMENT, rows=4, maxLength=1000, className="intake-input",
                         placeholder="选择“不满意”时，请告诉我们哪里没有解决，工单将重新办理"),
        ], className="field"),
        html.Button("提交评价", id=ids.EVALUATE_SUBMIT, n_clicks=0, className="btn-primary", type="button"),
        dcc.Store(id=ids.EVALUATE_TOKEN, data=token),
    ]


def layout(token: str = "", **_query) -> html.Div:
    target = evaluation_target(token)
    return html.Div([
        public_header("办理评价"),
        html.Main([
            html.Section([html.H1("办理结果评价", className="page-title"),
                          html.Div(_body(token, target), id=ids.EVALUATE_RESULT)], className="card"),
        ], className="public-main"),
    ], className="intake-page public-page")

"""`/track/<number>` and `/track` — the citizen's progress page: state, timeline, deadlines and department of one
ticket, with no personal data and nothing about anyone else's tickets."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens import ids
from screens.intake_parts import info_rows, public_header, state_badge, timeline
from services.ticket_views import public_progress

dash.register_page(__name__, path_template="/track/<number>", title="铁东区 96715 · 办理进度", name="办理进度")


def progress_card(progress: dict | None, asked: str | None) -> html.Div | None:
    if not asked:
        return None
    if progress is None:
        return html.Div(f"没有找到工单 {asked}：请核对工单号（格式如 20261126-000123）", className="notice",
                        role="alert")
    rows = [("问题类别", progress["category_name"]), ("承办单位", progress["department"]),
            ("所在区域", f"{progress['street_name']} · {progress['community_name']}"),
            ("受理渠道", progress["channel"]), ("登记时间", progress["registered_at"]),
            ("到场时限", progress["arrival_due_at"]), ("办结时限", progress["resolve_due_at"]),
            ("办结时间", progress["resolved_at"]), ("评价", progress["satisfaction"])]
    merged = progress["merged_into"]
    return html.Div([
        html.Div([html.Span(progress["number"], className="ticket-number mono"),
                  state_badge(progress["state_label"], progress["state"])], className="result-head"),
        html.Div(["您反映的问题与工单 ", dcc.Link(merged, href=f"/track/{merged}"), " 相同，已合并一并办理。"],
                 className="notice info") if merged else None,
        info_rows([(k, v) for k, v in rows if v]),
        *_reply(progress),
        html.H2("办理过程", className="card-title", style={"marginTop": "18px"}),
        timeline(progress["events"]),
    ], className="card progress-card")


def _reply(progress: dict) -> list:
    """The unit's 办结回复 and the photos it published with it (services.work), when there is one."""
    if not progress.get("reply"):
        return []
    photos = [html.A(html.Img(src=path, alt="办结照片"), href=path, target="_blank") for path in progress["photos"]]
    return [html.H2("办结回复", className="card-title", style={"marginTop": "18px"}),
            html.P(progress["reply"], className="track-reply", id="track-reply"),
            html.Div(photos, className="ticket-photos track-photos") if photos else None]


def track_page(number: str | None = None) -> html.Div:
    return html.Div([
        public_header("进度查询"),
        html.Main([
            html.Section([
                html.H1("办理进度查询", className="page-title"),
                html.P("输入提交时得到的工单号。页面只显示办理进度，不显示个人信息。", className="page-intro"),
                html.Div([
                    dcc.Input(id=ids.TRACK_NUMBER, value=number or "", type="text", autoFocus=not number,
                              placeholder="例如 20261126-000123", className="intake-input mono", n_submit=0,
                              maxLength=30, autoComplete="off"),
                    html.Button("查询", id=ids.TRACK_SUBMIT, n_clicks=0, className="btn-primary", type="button"),
                ], className="track-form", style={"marginTop": "12px"}),
            ], className="card"),
            html.Div(progress_card(public_progress(number), number) if number else None, id=ids.TRACK_RESULT),
        ], className="public-main"),
    ], className="intake-page public-page")


def layout(number: str | None = None, **_query) -> html.Div:
    return track_page(number)


dash.register_page(f"{__name__}_lookup", path="/track", title="铁东区 96715 · 办理进度查询", name="进度查询",
                   layout=lambda **_query: track_page(None))

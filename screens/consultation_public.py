"""`/consultation/<number>` — one 民主恳谈 for residents (public, nobody signs in): the topic, where and when, the five
steps with the active one, participants by type (counts only), and while the step allows it, signing up (name and
phone, for the organisers only) and a written opinion; the decision from 研究决定 on, the feedback and the
follow-up in 情况反馈. No name, phone or opinion text of anyone is on this page."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens.consultation_parts import counts_card
from screens.consultation_parts import public_ids as ids
from screens.intake_parts import info_rows, public_header
from services.consultation import public_session
from workorders.clock import local_date
from workorders.consultation import ACTIONS, STEPS

dash.register_page(__name__, path_template="/consultation/<number>", title="铁东区 · 民主恳谈", name="民主恳谈公开页")


def _steps(session: dict) -> html.Ol:
    return html.Ol([html.Li([html.Div(s["name"], className="kt-step-name"),
                             html.Div(f"{s['starts']:%Y-%m-%d} 起", className="kt-step-date"),
                             html.Div(s["hint"], className="kt-step-hint")],
                            className=f"kt-step kt-step-{s['state']}") for s in session["steps"]],
                   id=ids.STEPS, className="kt-steps")


def _person_fields(name_id: str, phone_id: str) -> html.Div:
    return html.Div([
        html.Div([html.Label(["姓名", html.Span(" *", className="req")], htmlFor=name_id, className="field-label"),
                  dcc.Input(id=name_id, maxLength=50, className="intake-input", autoComplete="name")],
                 className="field"),
        html.Div([html.Label(["联系电话", html.Span(" *", className="req")], htmlFor=phone_id,
                             className="field-label"),
                  dcc.Input(id=phone_id, maxLength=20, type="tel", className="intake-input", autoComplete="tel")],
                 className="field"),
    ], className="field-row")


def _sign_up_card(session: dict) -> html.Section:
    open_ = session["may_sign_up"]
    return html.Section([
        html.H2("报名参加", className="card-title"),
        html.P("报名后组织单位会电话通知您恳谈的时间和地点。姓名和电话只有组织单位可见，不在本页公开。",
               className="privacy-note"),
        html.Div([_person_fields(ids.SIGN_UP_NAME, ids.SIGN_UP_PHONE),
                  html.Button("报名", id=ids.SIGN_UP, n_clicks=0, className="btn-primary", type="button")],
                 className="" if open_ else "hidden"),
        html.Div(None if open_ else f"报名在「{STEPS[0]}」「{STEPS[1]}」阶段开放，当前处于「{session['step_name']}」阶段",
                 className="notice info" if not open_ else ""),
        html.Div(id=ids.SIGN_UP_MESSAGE, role="status"),
    ], className="card")


def _opinion_card(session: dict) -> html.Section:
    open_ = session["may_send_opinion"]
    return html.Section([
        html.H2("提交书面意见", className="card-title"),
        html.Div([_person_fields(ids.OPINION_NAME, ids.OPINION_PHONE),
                  html.Div([html.Label(["意见内容", html.Span(" *", className="req")], htmlFor=ids.OPINION_TEXT,
                                       className="field-label"),
                            dcc.Textarea(id=ids.OPINION_TEXT, maxLength=2000, className="intake-input")],
                           className="field"),
                  html.Button("提交意见", id=ids.OPINION, n_clicks=0, className="btn-primary", type="button")],
                 className="" if open_ else "hidden"),
        html.Div(None if open_ else f"书面意见在「{STEPS[1]}」「{STEPS[2]}」阶段收集，当前处于「{session['step_name']}」阶段",
                 className="notice info" if not open_ else ""),
        html.Div(id=ids.OPINION_MESSAGE, role="status"),
    ], className="card")


def _forms(session: dict) -> list[html.Section]:
    """Sign-up and opinion: the open one first, a closed one saying when it opens — and none once its steps are
    past (a session in 情况反馈 takes no more sign-ups)."""
    forms = []
    for card, action, is_open in ((_sign_up_card, "sign_up", session["may_sign_up"]),
                                  (_opinion_card, "opinion", session["may_send_opinion"])):
        if is_open or session["step"] < min(ACTIONS[action][1]):
            forms.append((card(session), is_open))
    return [card for card, _open in sorted(forms, key=lambda f: not f[1])]


def _outcome_cards(session: dict) -> list:
    cards = []
    if session["decision"]:
        cards.append(html.Section([
            html.H2("决定事项", className="card-title"),
            html.P(session["decision"], className="kt-text"),
            html.Div(f"{local_date(session['decided_at']):%Y-%m-%d} 研究决定", className="muted"),
        ], className="card kt-decision"))
    if session["feedback"]:
        cards.append(html.Section([
            html.H2("情况反馈", className="card-title"),
            html.P(session["feedback"], className="kt-text"),
            html.Div(f"{local_date(session['feedback_at']):%Y-%m-%d} 发布", className="muted"),
        ], className="card kt-feedback"))
    if session["milestones"]:
        done = sum(m["done"] for m in session["milestones"])
        cards.append(html.Section([
            html.H2(f"落实进度 {done}/{len(session['milestones'])}（{session['follow_up']}）", className="card-title"),
            html.Ol([html.Li([html.Span("✓ 已完成" if m["done"] else "推进中",
                                        className="kt-done" if m["done"] else "kt-open"),
                              html.Span(m["title"], className="kt-milestone"),
                              html.Span(f"时限 {m['due_on']:%Y-%m-%d}", className="muted")])
                     for m in session["milestones"]], className="kt-milestones"),
        ], className="card"))
    return cards


def session_page(session: dict | None, asked: str) -> html.Div:
    if session is None:
        body = [html.Div(f"没有找到民主恳谈 {asked}：请核对编号（格式如 K2026-00012）", className="notice",
                         role="alert")]
    else:
        body = [
            html.Section([
                html.Div([html.Span(session["number"], className="mono kt-number"),
                          html.Span(session["topic"], className="kt-topic")], className="kt-head"),
                html.H1(session["title"], className="page-title"),
                html.P(session["summary"], className="kt-text"),
                info_rows([("恳谈会", f"{session['steps'][2]['starts']:%Y年%m月%d日}"),
                           ("地点", f"{session['street']} · {session['community']} · {session['venue'] or '待定'}"),
                           ("组织单位", session["organiser"])]),
            ], className="card"),
            html.Section([
                html.H2(f"进程 · 当前阶段：{session['step_name']}", className="card-title"), _steps(session),
            ], className="card"),
            html.Section([
                html.H2(f"参与人员（共 {session['participants']} 人次）", className="card-title"), counts_card(session),
                html.Div(f"书面意见 {session['opinions']} 条 · 恳谈会发言 {session['speeches']} 人次", className="muted"),
            ], className="card"),
            *_outcome_cards(session), *_forms(session),
            dcc.Store(id=ids.NUMBER, data=session["number"]),
        ]
    return html.Div([public_header("民主恳谈"), html.Main(body, className="public-main")],
                    className="intake-page public-page consultation-public")


def layout(number: str | None = None, **_query) -> html.Div:
    return session_page(public_session(number or ""), number or "")

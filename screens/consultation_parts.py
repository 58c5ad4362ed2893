"""/consultation's ids and the parts its callbacks redraw (figures, list, one session's detail and what may be done
in its step): no page registration here, so tests and callbacks can import them."""
from __future__ import annotations

from dash import dcc, html

from layers.consultation import legend_items
from services import consultation
from workorders.clock import local_date, local_minute
from workorders.consultation import PARTICIPANT_KINDS, STEPS


class ids:
    TILES = "consultation-tiles"
    STREET = "consultation-street"
    TOPIC = "consultation-topic"
    STEP = "consultation-step"
    TABLE = "consultation-table"
    MAP = "consultation-map"
    SESSION = "consultation-session"
    DETAIL = "consultation-detail"
    MOVE = "consultation-move"
    TALLY_KIND = "consultation-tally-kind"
    TALLY_COUNT = "consultation-tally-count"
    TALLY = "consultation-tally"
    SPEECH_KIND = "consultation-speech-kind"
    SPEAKER = "consultation-speaker"
    SPEECH_TEXT = "consultation-speech-text"
    SPEECH = "consultation-speech"
    DECISION_TEXT = "consultation-decision-text"
    DECISION = "consultation-decision"
    FEEDBACK_TEXT = "consultation-feedback-text"
    FEEDBACK = "consultation-feedback"
    MILESTONE_TITLE = "consultation-milestone-title"
    MILESTONE_DUE = "consultation-milestone-due"
    MILESTONE = "consultation-milestone"
    DONE_POSITION = "consultation-done-position"
    DONE_NOTE = "consultation-done-note"
    DONE = "consultation-done"
    ACT_MESSAGE = "consultation-act-message"
    FORM = "consultation-form"
    FIELD = "consultation-field"          # pattern id {"type": FIELD, "name": <Chinese header>}
    ADD = "consultation-add"
    UPLOAD = "consultation-upload"
    MESSAGE = "consultation-message"
    EXPORT = "consultation-export"
    DOWNLOAD = "consultation-download"
    REFRESH = "consultation-refresh"      # a session action happened
    CREATED = "consultation-created"      # a session was created or imported


class public_ids:
    """/consultation/<number>'s ids (public: the gate lets anyone run their callbacks)."""
    NUMBER = "cpub-number"
    SIGN_UP_NAME = "cpub-sign-up-name"
    SIGN_UP_PHONE = "cpub-sign-up-phone"
    SIGN_UP = "cpub-sign-up"
    SIGN_UP_MESSAGE = "cpub-sign-up-message"
    OPINION_NAME = "cpub-opinion-name"
    OPINION_PHONE = "cpub-opinion-phone"
    OPINION_TEXT = "cpub-opinion-text"
    OPINION = "cpub-opinion"
    OPINION_MESSAGE = "cpub-opinion-message"
    COUNTS = "cpub-counts"
    STEPS = "cpub-steps"


# Each action's button and the step rule (workorders.consultation.ACTIONS) that enables it.
ACTION_BUTTONS = ((ids.TALLY, "attend"), (ids.SPEECH, "speak"), (ids.DECISION, "decide"), (ids.FEEDBACK, "feedback"),
                  (ids.MILESTONE, "milestone"), (ids.DONE, "milestone"))


def options_of(values) -> list[dict]:
    return [{"label": v, "value": v} for v in values]


def tiles(figures: consultation.Figures) -> list[html.Div]:
    follow = figures.follow_ups
    total = follow["done"] + follow["open"]
    running = figures.sessions - figures.by_step["情况反馈"]
    return [_tile(f"{figures.year} 年民主恳谈", f"{figures.sessions}", f"进行中 {running} · 已进入情况反馈 "
                  f"{figures.by_step['情况反馈']}"),
            _tile("参与人次", f"{figures.participants:,}", "居民、党员、人大代表、政协委员、律师、法官"),
            _tile("落实事项", f"{follow['done']}/{total}", f"已完成 {follow['done']} · 推进中 {follow['open']}"
                  f" · 逾期 {follow['late']}", "cs-late" if follow["late"] else ""),
            html.Div([html.Div("当前阶段", className="cs-tile-label"),
                      html.Div([html.Div([html.Span(name, className="cs-step-name"),
                                          html.Span(f"{figures.by_step[name]}", className="cs-step-count")],
                                         className="cs-step-tile") for name in STEPS], className="cs-step-tiles")],
                     className="cs-tile")]


def _tile(label: str, value: str, sub: str, tone: str = "") -> html.Div:
    return html.Div([html.Div(label, className="cs-tile-label"), html.Div(value, className=f"cs-tile-value {tone}"),
                     html.Div(sub, className="cs-tile-sub")], className="cs-tile")


def step_class(step: int) -> str:
    return f"cs-step-{step}"


def sessions_table(rows: list[dict]) -> html.Table | html.Div:
    if not rows:
        return html.Div("没有符合条件的民主恳谈", className="cs-empty")
    head = ["编号", "议题", "类别", "街道 · 社区", "恳谈日期", "阶段", "参与", "落实"]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(r["number"], className="cs-number"), html.Td(r["title"]), html.Td(r["topic"], className="cs-nw"),
            html.Td(f"{r['street'] or ''} · {r['community'] or ''}", className="cs-nw"),
            html.Td(f"{r['debate_on']:%Y-%m-%d}", className="cs-nw"),
            html.Td(r["step_name"], className=f"cs-nw {step_class(r['step'])}"),
            html.Td(f"{r['participants']}", className="cs-nw"),
            html.Td(f"{r['milestones_done']}/{r['milestones']}" if r["milestones"] else "—", className="cs-nw"),
        ]) for r in rows])], className="cs-table")


def legend() -> html.Div:
    return html.Div([html.Span([html.Span(className="cs-dot", style={"background": colour}), name],
                               className="cs-legend-item") for name, colour in legend_items()], className="cs-legend")


def step_bar(steps: list[dict]) -> html.Ol:
    """The five steps in a row, the done ones ticked, the active one lit, each with its start date."""
    return html.Ol([html.Li([html.Div(f"{'✓ ' if s['state'] == 'done' else ''}{s['name']}", className="cs-bar-name"),
                             html.Div(f"{s['starts']:%m-%d}", className="cs-bar-date")],
                            className=f"cs-bar-step cs-bar-{s['state']}") for s in steps], className="cs-bar")


def _counts(counts: dict[str, int]) -> html.Div:
    return html.Div([html.Div([html.Div(f"{n}", className="cs-count-value"), html.Div(kind, className="cs-count-kind")],
                              className="cs-count") for kind, n in counts.items()], className="cs-counts")


def session_detail(detail: dict | None) -> html.Div:
    """One session for its organisers: steps, participants by type, who signed up (with phones), opinions and
    speeches, decision, feedback and the follow-up milestones."""
    if detail is None:
        return html.Div("选择一场民主恳谈查看详情", className="cs-empty")
    next_step = STEPS[detail["step"] + 1] if detail["step"] + 1 < len(STEPS) else None
    return html.Div([
        html.Div([html.H3(f"{detail['number']} {detail['title']}"),
                  dcc.Link("公开页面 ↗", href=f"/consultation/{detail['number']}", target="_blank",
                           className="cs-public-link")], className="cs-detail-head"),
        html.Div(f"{detail['topic']} · {detail['street']} · {detail['community']} · {detail['venue'] or '地点待定'}"
                 f" · 组织单位 {detail['organiser']}", className="cs-detail-meta"),
        html.P(detail["summary"], className="cs-summary"),
        step_bar(detail["steps"]),
        html.Div(f"当前阶段：{detail['step_name']}" + (f" · 下一阶段：{next_step}" if next_step else " · 已是最后阶段"),
                 className="cs-current"),
        html.H4(f"参与人员（共 {sum(detail['counts'].values())} 人次）"), _counts(detail["counts"]),
        html.Details([html.Summary(f"报名居民 {len(detail['sign_ups'])} 人（姓名与电话仅组织者可见）"),
                      html.Ul([html.Li(f"{s['name']} · {s['phone']} · {local_minute(s['created_at'])}")
                               for s in detail["sign_ups"]], className="cs-items")], className="cs-details"),
        html.H4(f"书面意见与发言（{len(detail['opinion_rows'])}）"),
        html.Ul([html.Li([html.Span("发言" if o["kind"] == "speech" else "书面意见", className="cs-tag"),
                          html.Span(f"{o['participant_kind']}{(' ' + o['name']) if o['name'] else ''}：",
                                    className="cs-who"), o["content"]])
                 for o in detail["opinion_rows"]] or [html.Li("暂无", className="cs-muted")], className="cs-items"),
        html.H4("决定事项"), html.Div(detail["decision"] or "尚未记录", className="cs-decision"),
        html.H4("情况反馈"), html.Div(detail["feedback"] or "尚未发布", className="cs-decision"),
        html.H4("落实事项" + (f"（{detail['follow_up']}）" if detail["milestone_rows"] else "")),
        html.Table([html.Thead(html.Tr([html.Th("序号"), html.Th("事项"), html.Th("完成时限"), html.Th("状态")])),
                    html.Tbody([html.Tr([html.Td(m["position"]), html.Td(m["title"] + (f"（{m['note']}）"
                                                                                    if m["note"] else "")),
                                         html.Td(f"{m['due_on']:%Y-%m-%d}"),
                                         html.Td(f"已完成 {local_date(m['done_at']):%m-%d}" if m["done_at"]
                                                 else "推进中", className="cs-done" if m["done_at"] else "cs-open")])
                                for m in detail["milestone_rows"]])], className="cs-table")
        if detail["milestone_rows"] else html.Div("暂无落实事项", className="cs-muted"),
    ])


def actions(detail: dict | None) -> html.Div:
    """What an organiser does with the chosen session, each button enabled by the active step (the services
    decide; the callbacks keep the buttons in step)."""
    kinds = options_of(PARTICIPANT_KINDS)
    move_label, move_disabled, disabled = action_states(detail)
    off = {button: flag for (button, _rule), flag in zip(ACTION_BUTTONS, disabled)}

    def button(label: str, button_id: str) -> html.Button:
        return html.Button(label, id=button_id, n_clicks=0, className="cs-button", disabled=off[button_id])
    return html.Div([
        html.H3("推进与记录"),
        html.Button(move_label, id=ids.MOVE, n_clicks=0, className="cs-button cs-move", disabled=move_disabled),
        html.Div([html.Span("登记参与人员", className="cs-action-label"),
                  dcc.Dropdown(id=ids.TALLY_KIND, options=kinds, value="党员", clearable=False, className="cs-kind"),
                  dcc.Input(id=ids.TALLY_COUNT, type="number", min=1, max=10000, placeholder="人数",
                            className="cs-count-input"),
                  button("登记", ids.TALLY)], className="cs-inline"),
        html.Div([html.Span("登记发言", className="cs-action-label"),
                  dcc.Dropdown(id=ids.SPEECH_KIND, options=kinds, value="居民", clearable=False, className="cs-kind"),
                  dcc.Input(id=ids.SPEAKER, placeholder="发言人（可不填）", maxLength=50, className="cs-speaker"),
                  dcc.Input(id=ids.SPEECH_TEXT, placeholder="发言要点", maxLength=2000, className="cs-grow"),
                  button("登记", ids.SPEECH)], className="cs-inline"),
        html.Div([html.Span("决定事项", className="cs-action-label"),
                  dcc.Textarea(id=ids.DECISION_TEXT, maxLength=2000, className="cs-grow"),
                  button("记录决定", ids.DECISION)], className="cs-inline"),
        html.Div([html.Span("情况反馈", className="cs-action-label"),
                  dcc.Textarea(id=ids.FEEDBACK_TEXT, maxLength=2000, className="cs-grow"),
                  button("发布反馈", ids.FEEDBACK)], className="cs-inline"),
        html.Div([html.Span("落实事项", className="cs-action-label"),
                  dcc.Input(id=ids.MILESTONE_TITLE, placeholder="事项", maxLength=200, className="cs-grow"),
                  dcc.Input(id=ids.MILESTONE_DUE, placeholder="完成时限 YYYY-MM-DD", maxLength=10,
                            className="cs-date"),
                  button("添加", ids.MILESTONE)], className="cs-inline"),
        html.Div([html.Span("完成事项", className="cs-action-label"),
                  dcc.Input(id=ids.DONE_POSITION, placeholder="序号", type="number", min=1, className="cs-count-input"),
                  dcc.Input(id=ids.DONE_NOTE, placeholder="完成情况（可不填）", maxLength=2000, className="cs-grow"),
                  button("标记完成", ids.DONE)], className="cs-inline"),
        html.Div(id=ids.ACT_MESSAGE, className="cs-message", role="status"),
    ], className="cs-actions")


def action_states(detail: dict | None) -> tuple[str, bool, list[bool]]:
    """The move button's label and whether it is disabled, and each action button's disabled flag: what the step
    allows, and what the session holds (feedback and milestones need the decision, 完成 an open milestone)."""
    if detail is None:
        return "进入下一阶段", True, [True] * len(ACTION_BUTTONS)
    following = detail["step"] + 1
    decided = bool(detail["decision"])
    if following >= len(STEPS):
        label, stuck = "已是最后阶段", True
    elif following == len(STEPS) - 1 and not decided:
        label, stuck = f"记录决定事项后可进入「{STEPS[following]}」", True
    else:
        label, stuck = f"进入下一阶段「{STEPS[following]}」", False
    needs = {ids.FEEDBACK: decided, ids.MILESTONE: decided,
             ids.DONE: any(not m["done_at"] for m in detail["milestone_rows"])}
    return label, stuck, [not detail["may"][rule] or not needs.get(button, True) for button, rule in ACTION_BUTTONS]


def counts_card(session: dict) -> html.Div:
    counts = session["counts"]
    return html.Div([html.Div([html.Div(f"{counts[kind]}", className="kt-count-value"),
                               html.Div(kind, className="kt-count-kind")], className="kt-count")
                     for kind in PARTICIPANT_KINDS], id=public_ids.COUNTS, className="kt-counts")

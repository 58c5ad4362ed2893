"""/consultation/<number> callbacks (public, rate-limited as anonymous intake): 报名 and 提交意见 →
services.consultation, a message that repeats nothing the resident typed, and the fresh counts."""
from __future__ import annotations

from dash import Input, Output, State, callback, html, no_update

from screens.consultation_parts import counts_card
from screens.consultation_parts import public_ids as ids
from services import consultation
from services.consultation import NotFound
from workorders.consultation import SessionRejected, StepRefused


def _refused(lines: list[str]) -> html.Div:
    return html.Div([html.Div(line) for line in lines], className="notice", role="alert")


def _counts(number: str):
    session = consultation.public_session(number)
    return counts_card(session).children if session else no_update


@callback(Output(ids.SIGN_UP_MESSAGE, "children"), Output(ids.COUNTS, "children"), Input(ids.SIGN_UP, "n_clicks"),
          State(ids.NUMBER, "data"), State(ids.SIGN_UP_NAME, "value"), State(ids.SIGN_UP_PHONE, "value"),
          prevent_initial_call=True)
def sign_up(_clicks, number, name, phone):
    try:
        new = consultation.sign_up(number or "", name, phone)
    except (SessionRejected, StepRefused) as refused:
        return _refused(refused.problems), no_update
    except NotFound as missing:
        return _refused([str(missing)]), no_update
    words = "报名成功，组织单位会电话通知您恳谈的时间和地点" if new else "该电话已经报名，无需重复报名"
    return html.Div(words, className="notice ok", role="status"), _counts(number)


@callback(Output(ids.OPINION_MESSAGE, "children"), Input(ids.OPINION, "n_clicks"), State(ids.NUMBER, "data"),
          State(ids.OPINION_NAME, "value"), State(ids.OPINION_PHONE, "value"), State(ids.OPINION_TEXT, "value"),
          prevent_initial_call=True)
def send_opinion(_clicks, number, name, phone, content):
    try:
        consultation.send_opinion(number or "", name, phone, content)
    except (SessionRejected, StepRefused) as refused:
        return _refused(refused.problems)
    except NotFound as missing:
        return _refused([str(missing)])
    return html.Div("意见已提交，感谢参与。组织单位将在恳谈和研究决定时统一研究。", className="notice ok", role="status")

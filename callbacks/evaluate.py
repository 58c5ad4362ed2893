"""/evaluate/<token>: the citizen's rating → services.tickets.evaluate; 不满意 reopens the ticket."""
from __future__ import annotations

from dash import Input, Output, State, callback, html, no_update

from screens import ids
from services.ticket_views import IntakeError, submit_evaluation


@callback(Output(ids.EVALUATE_RESULT, "children"), Output(ids.EVALUATE_ERROR, "children"),
          Input(ids.EVALUATE_SUBMIT, "n_clicks"), State(ids.EVALUATE_TOKEN, "data"),
          State(ids.EVALUATE_CHOICE, "value"), State(ids.EVALUATE_COMMENT, "value"),
          running=[(Output(ids.EVALUATE_SUBMIT, "disabled"), True, False)], prevent_initial_call=True)
def evaluate(n_clicks, token, satisfaction, comment):
    if not n_clicks:
        return no_update, no_update
    try:
        result = submit_evaluation(token, satisfaction, comment)
    except IntakeError as error:
        if error.field in ("satisfaction", "comment"):
            return no_update, error.message
        return html.Div(error.message, className="notice", role="alert"), ""
    if result["reopened"]:
        message = [html.Strong(f"工单 {result['number']} 已重新启动（{result['state_label']}）。"),
                   " 很抱歉没有让您满意，我们将重新派单办理，办结后会再次请您评价。"]
        return html.Div([html.Div(message, className="notice info", role="status"), _track(result)]), ""
    thanks = f"感谢您的评价（{result['satisfaction']}）。工单 {result['number']} 当前状态：{result['state_label']}。"
    return html.Div([html.Div(thanks, className="notice ok", role="status"), _track(result)]), ""


def _track(result: dict) -> html.A:
    return html.A("查看办理进度 →", href=f"/track/{result['number']}", className="detail-link")

"""/tickets/<number>: an action or a follow-up call → services.ticket_desk → a message; 打印 → the browser's print."""
from __future__ import annotations

from dash import Input, Output, State, callback, clientside_callback, no_update

from screens.tickets import ids
from security.sessions import current_principal
from services import ticket_desk
from services.tickets import NotFound
from workorders.errors import FieldError
from workorders.policy import Forbidden
from workorders.states import STATES, TransitionRefused

clientside_callback("function (n) { if (n) { window.print(); } return ''; }",
                    Output(ids.PRINT, "title"), Input(ids.PRINT, "n_clicks"), prevent_initial_call=True)


@callback(Output(ids.RESULT, "children"), Input(ids.DO, "n_clicks"), State(ids.NUMBER, "data"),
          State(ids.ACTION, "value"), State(ids.REASON, "value"), State(ids.DEPARTMENT, "value"),
          prevent_initial_call=True)
def act(clicks, number, action, reason, department):
    if not clicks:
        return no_update
    try:
        done = ticket_desk.take_action(current_principal(), number, action, reason, department)
    except FieldError as bad:
        return bad.message
    except Forbidden as refused:
        return refused.message
    except (NotFound, TransitionRefused):
        return "当前状态不能执行此操作，请刷新页面"
    return f"已执行，工单现为“{STATES[done.ticket['state']]}”（刷新页面查看最新记录）"


@callback(Output(ids.FOLLOW_RESULT, "children"), Input(ids.FOLLOW_SAVE, "n_clicks"), State(ids.NUMBER, "data"),
          State(ids.FOLLOW_REACHED, "value"), State(ids.FOLLOW_RATING, "value"), State(ids.FOLLOW_NOTE, "value"),
          prevent_initial_call=True)
def follow_up(clicks, number, reached, rating, note):
    if not clicks:
        return no_update
    try:
        ticket = ticket_desk.record_follow_up(current_principal(), number, reached == "yes",
                                              rating if reached == "yes" else None, note)
    except FieldError as bad:
        return bad.message
    except Forbidden as refused:
        return refused.message
    except (NotFound, TransitionRefused):
        return "当前状态不能回访，请刷新页面"
    return f"回访已记录，工单现为“{STATES[ticket['state']]}”"

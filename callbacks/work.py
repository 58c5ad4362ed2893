"""/work: a tab picks the queue, a row the ticket; the pane's buttons call services.work (the policy decides there)
and say what happened; the tick redraws the queues only when their fingerprint changed. 办结回复 is sent by
assets/work.js to api/work.py (multipart: photos are larger than a callback's body may be); its answer lands in
``ids.SENT`` and is shown here."""
from __future__ import annotations

import time

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from screens.work import ids, pane, tab_options, table
from security.sessions import current_principal
from services import work
from services.tickets import NotFound
from workorders.clock import local_minute
from workorders.errors import FieldError
from workorders.policy import Forbidden
from workorders.states import ACTIONS, STATES, TransitionRefused


def _notice(text: str, ok: bool = True) -> html.Div:
    return html.Div(text, className="notice info" if ok else "notice", role="status" if ok else "alert")


@callback(Output(ids.TABS, "options"), Output(ids.TABLE, "children"), Output(ids.PRINT, "data"),
          Input(ids.TABS, "value"), Input(ids.SELECTED, "data"), Input(ids.DONE, "data"), Input(ids.TICK, "n_intervals"),
          Input(ids.FIND, "value"), State(ids.PRINT, "data"), prevent_initial_call=True)
def refresh(queue, selected, _done, _tick, find, shown):
    principal = current_principal()
    # The tick only asks whether anything changed (two counts in SQL); the queues are read again when it did.
    if ctx.triggered_id == ids.TICK and work.fingerprint(principal) == shown:
        raise PreventUpdate
    try:
        board = work.board(principal, queue, find=find)
    except FieldError as error:
        return no_update, _notice(error.message, ok=False), no_update
    return tab_options(board), table(board, selected), board.fingerprint


@callback(Output(ids.SELECTED, "data"), Input({"type": ids.ROW, "number": ALL}, "n_clicks"),
          prevent_initial_call=True)
def select(clicks):
    # A redrawn table fires this with its rows' n_clicks at 0: only a real click selects.
    if not ctx.triggered_id or not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    return ctx.triggered_id["number"]


@callback(Output(ids.PANE, "children"), Input(ids.SELECTED, "data"), Input(ids.DONE, "data"),
          prevent_initial_call=True)
def show(number, _done):
    """The pane is read (and its read of personal data audited) on a selection or after an action, never on the
    tick."""
    if not number:
        return pane(None)
    try:
        return pane(work.detail(current_principal(), number))
    except Forbidden as refused:
        return [_notice(refused.message, ok=False)]


def _run(action, *args) -> tuple[object, html.Div | None]:
    try:
        return action(current_principal(), *args), None
    except FieldError as bad:
        return None, _notice(bad.message, ok=False)
    except Forbidden as refused:
        return None, _notice(refused.message, ok=False)
    except (NotFound, TransitionRefused):
        return None, _notice("工单当前状态不能执行此操作，已刷新", ok=False)


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input({"type": ids.ACT, "action": ALL}, "n_clicks"), State(ids.SELECTED, "data"), State(ids.REASON, "value"),
          prevent_initial_call=True)
def act(clicks, number, reason):
    if not ctx.triggered_id or not any(clicks or []):
        raise PreventUpdate
    action = ctx.triggered_id["action"]
    done, refused = _run(work.act, number, action, reason)
    if refused:
        return refused, no_update
    return _notice(f"工单 {number}：{ACTIONS[action].label}完成，现为“{STATES[done.ticket['state']]}”"), time.time()


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input(ids.ASSIGN, "n_clicks"), State(ids.SELECTED, "data"), State(ids.CREW, "value"),
          prevent_initial_call=True)
def assign(clicks, number, crew):
    if not clicks:
        raise PreventUpdate
    done, refused = _run(work.assign_crew, number, crew)
    if refused:
        return refused, no_update
    return _notice(f"工单 {number} 已转派给 {done['crew_name']}"), time.time()


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input(ids.SENT, "data"), prevent_initial_call=True)
def replied(answer):
    """What api/work.py answered to the 办结回复 assets/work.js sent."""
    if not answer:
        raise PreventUpdate
    if not answer.get("ok"):
        return _notice(answer.get("message") or "提交失败，请重试", ok=False), no_update
    return _notice(answer.get("message") or "已办结"), time.time()


# ------------------------------------------------------------------------------------------------ 延期 / 挂起 / 协办

def _handled(clicks, action, *args, said) -> tuple:
    """One of the pane's handling buttons: the service's answer in words, and a redraw of the pane and queues."""
    if not clicks:
        raise PreventUpdate
    done, refused = _run(action, *args)
    if refused:
        return refused, no_update
    return _notice(said(done)), time.time()


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input(ids.EXT_SEND, "n_clicks"), State(ids.SELECTED, "data"), State(ids.EXT_REASON, "value"),
          State(ids.EXT_DUE, "value"), prevent_initial_call=True)
def ask_extension(clicks, number, reason, due):
    return _handled(clicks, work.request_extension, number, reason, due,
                    said=lambda e: f"工单 {number} 已申请延期至 {local_minute(e['requested_due_at'])}，待督查审批")


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input(ids.HOLD, "n_clicks"), State(ids.SELECTED, "data"), State(ids.HOLD_REASON, "value"),
          prevent_initial_call=True)
def hold(clicks, number, reason):
    return _handled(clicks, work.hold, number, reason,
                    said=lambda h: f"工单 {number} 已挂起，时限暂停计时（最长至 {local_minute(h['ends_at'])}）")


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input(ids.RESUME, "n_clicks"), State(ids.SELECTED, "data"), prevent_initial_call=True)
def resume(clicks, number):
    return _handled(clicks, work.resume, number,
                    said=lambda h: f"工单 {number} 已恢复办理，办结时限顺延至 {local_minute(h['resolve_due_at'])}")


@callback(Output(ids.MESSAGE, "children", allow_duplicate=True), Output(ids.DONE, "data", allow_duplicate=True),
          Input(ids.ASSIST_SEND, "n_clicks"), State(ids.SELECTED, "data"), State(ids.ASSIST_TEXT, "value"),
          prevent_initial_call=True)
def answer_assist(clicks, number, text):
    return _handled(clicks, work.answer_assist, number, text,
                    said=lambda a: f"工单 {number} 的协办答复已提交，承办单位可见")


# The reply and its photos go as multipart from the browser (assets/work.js), not through this process's callback.
clientside_callback(ClientsideFunction("work", "send_reply"), Output(ids.SENT, "data"), Input(ids.SEND, "n_clicks"),
                    State(ids.SELECTED, "data"), State(ids.REPLY, "value"), State(ids.UPLOAD, "contents"),
                    State(ids.UPLOAD, "filename"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("work", "file_names"), Output(ids.FILES, "children"),
                    Input(ids.UPLOAD, "filename"), prevent_initial_call=True)

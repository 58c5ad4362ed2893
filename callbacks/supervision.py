"""/supervision: the lists follow the live feed, each part redrawn only when what it shows changed; each form calls
services.supervision and says what happened."""
from __future__ import annotations

import time

from dash import Input, Output, State, callback, ctx, html, no_update

from screens.supervision import counts, ids, lists, meeting_options, order_options, records, shown
from security.sessions import current_principal
from services import supervision
from workorders.errors import FieldError
from workorders.policy import Forbidden


@callback(Output(ids.COUNTS, "children"), Output(ids.LISTS, "children"), Output(ids.RECORDS, "children"),
          Output(ids.REPLY_ORDER, "options"), Output(ids.DECIDE_MEETING, "options"), Output(ids.SHOWN, "data"),
          Input(ids.LIVE, "data"), Input(ids.TICK, "n_intervals"), Input(ids.ORDER_DONE, "data"),
          Input(ids.REPLY_DONE, "data"), Input(ids.ACC_DONE, "data"), Input(ids.MEET_DONE, "data"),
          Input(ids.DECIDE_DONE, "data"), Input(ids.FIND, "value"), State(ids.SHOWN, "data"),
          prevent_initial_call=True)
def refresh(_live, _tick, _order, _reply, _accountability, _meeting, _decision, find, drawn):
    try:
        board = supervision.board(current_principal(), find=find)
    except FieldError as error:
        return no_update, _refused(error)[0], no_update, no_update, no_update, None
    now, drawn = shown(board), drawn or {}
    # A part whose rows did not change is not sent again: a busy live feed must not re-send ~700 rows a batch
    # (nor touch the forms beside them).
    changed = {part: now[part] != drawn.get(part) for part in now}
    if not any(changed.values()):
        return (no_update,) * 6
    same = no_update
    return (counts(board) if changed["counts"] else same, lists(board) if changed["lists"] else same,
            records(board) if changed["records"] else same,
            order_options(board) if changed["records"] else same,
            meeting_options(board) if changed["records"] else same, now)


def _done(text: str):
    return html.Div(text, className="notice info", role="status"), time.time()


def _refused(error: Exception):
    return html.Div(getattr(error, "message", str(error)), className="notice", role="alert"), no_update


def _run(action, *args):
    try:
        return action(current_principal(), *args), None
    except (FieldError, Forbidden) as error:
        return None, error


@callback(Output(ids.ORDER_MSG, "children"), Output(ids.ORDER_DONE, "data"), Input(ids.ORDER_SUBMIT, "n_clicks"),
          State(ids.ORDER_NUMBER, "value"), State(ids.ORDER_UNIT, "value"), State(ids.ORDER_PERSON, "value"),
          State(ids.ORDER_DUE, "value"), State(ids.ORDER_DEMAND, "value"), prevent_initial_call=True)
def issue_order(_clicks, number, unit, person, due_on, demand):
    order, error = _run(supervision.issue_order, {"number": number, "department": unit, "person": person,
                                                  "due_on": due_on, "demand": demand})
    if error:
        return _refused(error)
    return _done(f"已向{order['department_name']}下达督办单 #{order['id']}（工单 {order['number']}，"
                 f"责任人 {order['responsible_person']}，期限 {order['due_on']}）")


@callback(Output(ids.REPLY_MSG, "children"), Output(ids.REPLY_DONE, "data"), Input(ids.REPLY_SUBMIT, "n_clicks"),
          Input(ids.REPLY_CLOSE, "n_clicks"), State(ids.REPLY_ORDER, "value"), State(ids.REPLY_ANSWER, "value"),
          State(ids.REPLY_OUTCOME, "value"), State(ids.REPLY_NOTE, "value"), prevent_initial_call=True)
def answer_or_close(answer_clicks, close_clicks, order_id, answer, outcome, note):
    if order_id is None:
        return _refused(FieldError("order", "请选择督办单"))
    if ctx.triggered_id == ids.REPLY_CLOSE:
        order, error = _run(supervision.record_outcome, order_id, {"outcome": outcome, "note": note})
        if error:
            return _refused(error)
        return _done(f"督办单 #{order['id']} 已认定为“{supervision.OUTCOMES[order['outcome']]}”并办结")
    order, error = _run(supervision.record_answer, order_id, {"answer": answer})
    if error:
        return _refused(error)
    return _done(f"已登记督办单 #{order['id']} 的单位答复")


@callback(Output(ids.ACC_MSG, "children"), Output(ids.ACC_DONE, "data"), Input(ids.ACC_SUBMIT, "n_clicks"),
          State(ids.ACC_NUMBER, "value"), State(ids.ACC_PERSON, "value"), State(ids.ACC_MEASURE, "value"),
          State(ids.ACC_DATE, "value"), State(ids.ACC_NOTE, "value"), prevent_initial_call=True)
def record_accountability(_clicks, number, person, measure, decided_on, note):
    row, error = _run(supervision.record_accountability, {"number": number, "person": person, "measure": measure,
                                                          "decided_on": decided_on, "note": note})
    if error:
        return _refused(error)
    return _done(f"已记录问责：{row['person']}（{supervision.MEASURES[row['measure']]}，工单 {row['number']}）")


@callback(Output(ids.MEET_MSG, "children"), Output(ids.MEET_DONE, "data"), Input(ids.MEET_SUBMIT, "n_clicks"),
          State(ids.MEET_NUMBER, "value"), State(ids.MEET_UNITS, "value"), State(ids.MEET_DATE, "value"),
          prevent_initial_call=True)
def convene(_clicks, number, units, meeting_date):
    meeting, error = _run(supervision.convene_meeting, {"number": number, "departments": units or [],
                                                        "meeting_date": meeting_date})
    if error:
        return _refused(error)
    return _done(f"已召集联席会 #{meeting['id']}（工单 {meeting['number']}，{meeting['meeting_date']}，"
                 f"{'、'.join(meeting['department_names'])}）")


@callback(Output(ids.DECIDE_MSG, "children"), Output(ids.DECIDE_DONE, "data"), Input(ids.DECIDE_SUBMIT, "n_clicks"),
          State(ids.DECIDE_MEETING, "value"), State(ids.DECIDE_TEXT, "value"), State(ids.DECIDE_FOLLOW, "value"),
          prevent_initial_call=True)
def decide(_clicks, meeting_id, decision, follow_up):
    if meeting_id is None:
        return _refused(FieldError("meeting", "请选择联席会"))
    meeting, error = _run(supervision.record_meeting_decision, meeting_id, {"decision": decision,
                                                                            "follow_up": follow_up})
    if error:
        return _refused(error)
    return _done(f"已记录联席会 #{meeting['id']} 的决定")

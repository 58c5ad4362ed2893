"""/consultation callbacks: filters → the list; a session chosen → its detail and the buttons its step allows;
推进与记录 → services.consultation, a message, fresh figures; 发起 / 导入 → a new session chosen; 导出 → CSV."""
from __future__ import annotations

import base64
import binascii

from dash import ALL, Input, Output, Patch, State, callback, ctx, html, no_update

from layers.consultation import sessions_trace
from screens.consultation import CHOICES, map_base, session_options
from screens.consultation_parts import ACTION_BUTTONS, action_states, ids, session_detail, sessions_table, tiles
from security.sessions import current_principal
from services import consultation
from services.consultation import ImportRejected, NotFound
from workorders.consultation import SessionRejected, StepRefused
from workorders.policy import Forbidden

REFRESHED = (Input(ids.REFRESH, "data"), Input(ids.CREATED, "data"))


def _filters(street, topic, step) -> dict:
    return {"street": street, "topic": topic, "step": step}


def _problems(lines: list[str]) -> html.Ul:
    return html.Ul([html.Li(line) for line in lines], className="cs-problems")


@callback(Output(ids.TABLE, "children"), Input(ids.STREET, "value"), Input(ids.TOPIC, "value"),
          Input(ids.STEP, "value"), *REFRESHED, prevent_initial_call=True)
def show_sessions(street, topic, step, _refresh, _created):
    return sessions_table(consultation.list_sessions(current_principal(), _filters(street, topic, step)))


@callback(Output(ids.TILES, "children"), Output(ids.MAP, "figure"), *REFRESHED, prevent_initial_call=True)
def show_figures(_refresh, _created):
    principal = current_principal()
    patched = Patch()
    # The sessions' trace is the last one, drawn over the shared base map (screens.consultation.sessions_figure).
    patched["data"][len(map_base()["data"])] = sessions_trace(consultation.sessions_on_map(principal))
    return tiles(consultation.figures(principal)), patched


@callback(Output(ids.DETAIL, "children"), Output(ids.MOVE, "children"), Output(ids.MOVE, "disabled"),
          *[Output(button, "disabled") for button, _rule in ACTION_BUTTONS],
          Input(ids.SESSION, "value"), Input(ids.REFRESH, "data"), prevent_initial_call=True)
def show_session(number, _refresh):
    detail = None
    if number:
        try:
            detail = consultation.session_detail(current_principal(), number)
        except NotFound as missing:
            label, move_disabled, disabled = action_states(None)
            return html.Div(str(missing), className="cs-empty"), label, move_disabled, *disabled
    label, move_disabled, disabled = action_states(detail)
    return session_detail(detail), label, move_disabled, *disabled


@callback(Output(ids.SESSION, "value", allow_duplicate=True), Input(ids.MAP, "clickData"), prevent_initial_call=True)
def choose_on_map(click):
    """A session's marker clicked: that session is the chosen one (other traces carry no session number)."""
    points = (click or {}).get("points") or []
    number = points[0].get("customdata") if points else None
    return number if isinstance(number, str) and number.startswith("K") else no_update


# What each button does with the chosen session and the fields beside it; the answer is the message to show.
def _act(trigger: str, number: str, values: dict) -> str:
    principal = current_principal()
    if trigger == ids.MOVE:
        return f"{number} 已进入「{consultation.move_step(principal, number)}」阶段"
    if trigger == ids.TALLY:
        consultation.add_participants(principal, number, values["tally_kind"], values["tally_count"])
        return f"已登记 {values['tally_kind']} {values['tally_count']} 人"
    if trigger == ids.SPEECH:
        consultation.add_speech(principal, number, values["speech_kind"], values["speech"], values["speaker"])
        return "已登记发言"
    if trigger == ids.DECISION:
        consultation.record_decision(principal, number, values["decision"])
        return "已记录决定事项（公开页面同步显示）"
    if trigger == ids.FEEDBACK:
        consultation.publish_feedback(principal, number, values["feedback"])
        return "已发布情况反馈（公开页面同步显示）"
    if trigger == ids.MILESTONE:
        position = consultation.add_milestone(principal, number, values["milestone"], values["due"])
        return f"已添加第 {position} 项落实事项"
    consultation.complete_milestone(principal, number, values["position"], values["note"])
    return f"第 {values['position']} 项落实事项已完成"


@callback(Output(ids.ACT_MESSAGE, "children"), Output(ids.REFRESH, "data"),
          Input(ids.MOVE, "n_clicks"), *[Input(button, "n_clicks") for button, _rule in ACTION_BUTTONS],
          State(ids.SESSION, "value"), State(ids.TALLY_KIND, "value"), State(ids.TALLY_COUNT, "value"),
          State(ids.SPEECH_KIND, "value"), State(ids.SPEAKER, "value"), State(ids.SPEECH_TEXT, "value"),
          State(ids.DECISION_TEXT, "value"), State(ids.FEEDBACK_TEXT, "value"), State(ids.MILESTONE_TITLE, "value"),
          State(ids.MILESTONE_DUE, "value"), State(ids.DONE_POSITION, "value"), State(ids.DONE_NOTE, "value"),
          State(ids.REFRESH, "data"), prevent_initial_call=True)
def act(_move, _tally, _speech, _decision, _feedback, _milestone, _done, number, tally_kind, tally_count,
        speech_kind, speaker, speech, decision, feedback, milestone, due, position, note, refresh):
    if not number:
        return "请先选择一场民主恳谈", no_update
    values = {"tally_kind": tally_kind, "tally_count": tally_count, "speech_kind": speech_kind, "speaker": speaker,
              "speech": speech, "decision": decision, "feedback": feedback, "milestone": milestone, "due": due,
              "position": position, "note": note}
    try:
        message = _act(ctx.triggered_id, number, values)
    except (StepRefused, SessionRejected) as refused:
        return _problems(refused.problems), no_update
    except (NotFound, Forbidden) as error:
        return str(error) or "无权操作", no_update
    return message, (refresh or 0) + 1


@callback(Output(ids.MESSAGE, "children"), Output(ids.CREATED, "data"), Output(ids.SESSION, "options"),
          Output(ids.SESSION, "value"), Input(ids.ADD, "n_clicks"), Input(ids.UPLOAD, "contents"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State(ids.UPLOAD, "filename"), State(ids.CREATED, "data"), prevent_initial_call=True)
def create(_add, contents, values, field_ids, filename, created):
    principal = current_principal()
    chosen = no_update
    try:
        if ctx.triggered_id == ids.ADD:
            chosen = consultation.create_session(principal, {f["name"]: v for f, v in zip(field_ids, values)})
            message = f"已发起民主恳谈 {chosen}（公开页面 /consultation/{chosen}）"
        else:
            count = consultation.import_sessions(principal, filename or "upload.csv", _decode(contents))
            message = f"已导入 {count} 场民主恳谈"
    except (SessionRejected, ImportRejected) as rejected:
        return _problems(rejected.problems), no_update, no_update, no_update
    except Forbidden as error:
        return str(error) or "无权操作", no_update, no_update, no_update
    options = session_options(consultation.list_sessions(principal, size=CHOICES))
    return message, (created or 0) + 1, options, chosen


def _decode(contents: str | None) -> bytes:
    """The bytes of a dcc.Upload data URL (``data:<type>;base64,<payload>``)."""
    try:
        return base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        raise ImportRejected(["上传的文件无法读取"]) from None


@callback(Output(ids.DOWNLOAD, "data"), Input(ids.EXPORT, "n_clicks"), State(ids.STREET, "value"),
          State(ids.TOPIC, "value"), State(ids.STEP, "value"), prevent_initial_call=True)
def export(_clicks, street, topic, step):
    csv_text = consultation.export_csv(current_principal(), _filters(street, topic, step))
    return {"content": csv_text, "filename": "consultation-sessions.csv", "type": "text/csv"}

"""/admin callbacks: read the fields, call services/admin_rules.py or services/admin.py (they decide the rights and
audit), show the result or each field's message. A password or key is shown once, in the answer to its creation."""
from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from screens.admin import active_key_options, answer_options
from screens.admin_parts import (NEW, answers_table, categories_table, crews_table, departments_table, ids,
                                 keys_table, preview_card, problems_list, secret_box, unit_options, users_table,
                                 versions_list)
from security.sessions import current_principal
from services import admin, admin_rules
from workorders.errors import FieldError
from workorders.policy import Forbidden

FORM_KEYS = ("name", "complexity", "priority", "arrival_minutes", "resolve_hours", "default_variant", "lead",
             "co_handlers", "route_to_community", "by_street", "variants")


def _named(values: list, field_ids: list[dict]) -> dict:
    return {f["name"]: v for f, v in zip(field_ids, values)}


def _category_values(values: list, field_ids: list[dict]) -> dict:
    form = _named(values, field_ids)
    form["route_to_community"] = bool(form.get("route_to_community"))
    return form


def _ok(text: str) -> html.Div:
    return html.Div(text, className="notice ok admin-ok", role="status")


def _refused(error: Exception) -> html.Div:
    if isinstance(error, admin_rules.RulesRejected):
        return problems_list([p.message for p in error.problems])
    if isinstance(error, FieldError):
        return problems_list([error.message])
    return problems_list([str(error) or "无权操作"])


REFUSALS = (admin_rules.RulesRejected, admin_rules.NotFound, FieldError, Forbidden)


# ------------------------------------------------------------------------------------------------ 分类与派单规则

@callback(Output({"type": ids.FIELD, "name": ALL}, "value"), Output(ids.BASE_VERSION, "data"),
          Output(ids.VERSIONS, "children"), Output(ids.MESSAGE, "children"), Output(ids.CATEGORIES, "children"),
          Output(ids.CATEGORY, "options"), Output(ids.CATEGORY, "value"),
          Input(ids.CATEGORY, "value"), Input(ids.SAVE, "n_clicks"), State(ids.NEW_CODE, "value"),
          State({"type": ids.FIELD, "name": ALL}, "value"), State({"type": ids.FIELD, "name": ALL}, "id"),
          State(ids.BASE_VERSION, "data"), prevent_initial_call=True)
def category(code, _save, new_code, values, field_ids, base_version):
    principal = current_principal()
    keep = [no_update] * len(field_ids or [])
    try:
        if ctx.triggered_id == ids.SAVE:
            return _save_category(principal, code, new_code, values or [], field_ids or [], base_version, keep)
        if not code or code == NEW:
            blank = [[] if f["name"] in ("co_handlers", "route_to_community") else None for f in field_ids or []]
            return blank, None, versions_list([]), None, no_update, no_update, no_update
        form = admin_rules.category_form(principal, code)
        form["route_to_community"] = ["yes"] if form["route_to_community"] else []
        return ([form.get(f["name"]) for f in field_ids or []], form["version"],
                versions_list(admin_rules.versions(principal, code)), None, no_update, no_update, no_update)
    except REFUSALS as error:
        return keep, no_update, no_update, _refused(error), no_update, no_update, no_update


def _save_category(principal, code, new_code, values, field_ids, base_version, keep):
    if not code:
        raise FieldError("category", "请先选择要编辑的类别，或选择“新增类别”")
    target = (new_code or "").strip() if code == NEW else code
    saved = admin_rules.save_category(principal, target, _category_values(values, field_ids),
                                      None if code == NEW else base_version)
    rows = admin_rules.category_list(principal)
    choices = [{"label": f"{r['name']}（{r['code']}）", "value": r["code"]} for r in rows]
    message = (f"已保存：{saved.code} 第 {saved.version} 版，此后登记的工单按新规则办理" if saved.changes
               else f"没有变化：{saved.code} 仍为第 {saved.version} 版")
    return (keep, saved.version, versions_list(admin_rules.versions(principal, saved.code)), _ok(message),
            categories_table(rows), [*choices, {"label": "＋ 新增类别", "value": NEW}], saved.code)


@callback(Output(ids.PREVIEW_RESULT, "children"), Input(ids.PREVIEW, "n_clicks"), State(ids.CATEGORY, "value"),
          State(ids.NEW_CODE, "value"), State({"type": ids.FIELD, "name": ALL}, "value"),
          State({"type": ids.FIELD, "name": ALL}, "id"), State(ids.PREVIEW_ADDRESS, "value"),
          State(ids.PREVIEW_VARIANT, "value"), prevent_initial_call=True)
def preview(_clicks, code, new_code, values, field_ids, address, variant):
    if not _clicks:
        raise PreventUpdate
    principal = current_principal()
    target = (new_code or "").strip() if code == NEW else code
    try:
        if not target:
            raise FieldError("category", "请先选择类别")
        lon, lat = _point(address)
        shown = admin_rules.preview(principal, target, values=_category_values(values or [], field_ids or []),
                                    address=None if lon is not None else address, lon=lon, lat=lat,
                                    variant=(variant or "").strip() or None)
    except REFUSALS as error:
        return _refused(error)
    return preview_card(shown)


def _point(text: str | None) -> tuple[float | None, float | None]:
    """``41.11,123.0`` (纬度,经度) typed into the address box is a point; anything else is an address."""
    parts = (text or "").replace("，", ",").split(",")
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            return None, None
        return lon, lat
    return None, None


# ------------------------------------------------------------------------------------------------ 用户与角色

@callback(Output(ids.USER_MESSAGE, "children"), Output(ids.USERS, "children"),
          Input(ids.USER_CREATE, "n_clicks"), Input(ids.USER_DISABLE, "n_clicks"), Input(ids.USER_FIND, "value"),
          State({"type": ids.USER_FIELD, "name": ALL}, "value"), State({"type": ids.USER_FIELD, "name": ALL}, "id"),
          State(ids.USER_DISABLE_NAME, "value"), prevent_initial_call=True)
def users(_create, _disable, find, values, field_ids, disable_name):
    if ctx.triggered_id not in (ids.USER_CREATE, ids.USER_DISABLE, ids.USER_FIND):
        raise PreventUpdate
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.USER_FIND:
            return None, users_table(admin.users(principal, find))
        if ctx.triggered_id == ids.USER_CREATE:
            form = _named(values or [], field_ids or [])
            name, password = admin.create_user(
                principal, form.get("username") or "", form.get("roles") or [],
                display_name=form.get("display_name"),
                scopes={k: form.get(k) for k in ("department", "street", "community", "crew")})
            message = secret_box(f"已创建用户 {name}，初始密码（只显示这一次，请当面交给本人）：", password,
                                 "本人登录后可在“我的账户”中修改密码。")
        else:
            admin.disable_user(principal, disable_name or "")
            message = _ok(f"已停用用户 {disable_name}，其登录会话已全部结束")
    except REFUSALS as error:
        return _refused(error), no_update
    return message, users_table(admin.users(principal, find))


# ------------------------------------------------------------------------------------------------ 部门与力量

@callback(Output(ids.CREWS, "children"), Output(ids.CREW_MESSAGE, "children"), Output(ids.DEPARTMENTS, "children"),
          Input(ids.CREW_DEPARTMENT, "value"), Input(ids.CREW_ADD, "n_clicks"),
          State({"type": ids.CREW_FIELD, "name": ALL}, "value"), State({"type": ids.CREW_FIELD, "name": ALL}, "id"),
          prevent_initial_call=True)
def crews(department, _add, values, field_ids):
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.CREW_ADD:
            if not department:
                raise FieldError("department_code", "所属单位：请先在上面选择单位")
            code = admin.add_crew(principal, {**_named(values or [], field_ids or []), "department_code": department})
            return (crews_table(admin.crews(principal, department)), _ok(f"已新增处置力量 {code}，可立即派单"),
                    departments_table(admin.departments(principal)))
        return crews_table(admin.crews(principal, department)), None, no_update
    except REFUSALS as error:
        return no_update, _refused(error), no_update


@callback(Output(ids.DEPT_MESSAGE, "children"), Output(ids.DEPARTMENTS, "children", allow_duplicate=True),
          Output(ids.CREW_DEPARTMENT, "options"), Input(ids.DEPT_ADD, "n_clicks"),
          State({"type": ids.DEPT_FIELD, "name": ALL}, "value"), State({"type": ids.DEPT_FIELD, "name": ALL}, "id"),
          prevent_initial_call=True)
def add_department(_add, values, field_ids):
    principal = current_principal()
    try:
        code = admin.add_department(principal, _named(values or [], field_ids or []))
    except REFUSALS as error:
        return _refused(error), no_update, no_update
    rows = admin.departments(principal)
    return (_ok(f"已新增单位 {code}：可在分类规则中选为主办或协办单位，并在右侧为其新增处置力量"),
            departments_table(rows), [{"label": n, "value": c} for c, n in unit_options(rows)])


# ------------------------------------------------------------------------------------------------ API 密钥

@callback(Output(ids.KEY_MESSAGE, "children"), Output(ids.KEYS, "children"), Output(ids.KEY_REVOKE_NAME, "options"),
          Input(ids.KEY_CREATE, "n_clicks"), Input(ids.KEY_REVOKE, "n_clicks"),
          State({"type": ids.KEY_FIELD, "name": ALL}, "value"), State({"type": ids.KEY_FIELD, "name": ALL}, "id"),
          State(ids.KEY_REVOKE_NAME, "value"), prevent_initial_call=True)
def keys(_create, _revoke, values, field_ids, revoke_name):
    if ctx.triggered_id not in (ids.KEY_CREATE, ids.KEY_REVOKE):
        raise PreventUpdate
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.KEY_CREATE:
            form = _named(values or [], field_ids or [])
            key = admin.create_key(principal, form.get("name") or "", form.get("scopes") or [],
                                   department=form.get("department"), crew=form.get("crew"))
            message = secret_box(f"已创建密钥 {form.get('name', '').strip()}（只显示这一次，系统只保存其摘要）：", key,
                                 "请立即复制并交给对接方；遗失后只能停用并重新创建。")
        else:
            if not revoke_name:
                raise FieldError("name", "请选择要停用的密钥")
            admin.revoke_key(principal, revoke_name)
            message = _ok(f"已停用密钥 {revoke_name}，此后使用它的请求将被拒绝（403）")
    except REFUSALS as error:
        return _refused(error), no_update, no_update
    rows = admin.keys(principal)
    return message, keys_table(rows), active_key_options(rows)


# ------------------------------------------------------------------------------------------------ 常用答复

@callback(Output({"type": ids.ANSWER_FIELD, "name": ALL}, "value"), Output(ids.ANSWER_MESSAGE, "children"),
          Output(ids.ANSWERS, "children"), Output(ids.ANSWER_PICK, "options"), Output(ids.ANSWER_PICK, "value"),
          Input(ids.ANSWER_PICK, "value"), Input(ids.ANSWER_SAVE, "n_clicks"),
          State({"type": ids.ANSWER_FIELD, "name": ALL}, "value"),
          State({"type": ids.ANSWER_FIELD, "name": ALL}, "id"), prevent_initial_call=True)
def answers(picked, _save, values, field_ids):
    principal = current_principal()
    keep = [no_update] * len(field_ids or [])
    try:
        if ctx.triggered_id == ids.ANSWER_SAVE:
            form = _named(values or [], field_ids or [])
            form["active"] = bool(form.get("active"))
            saved = admin.save_answer(principal, picked or None, form)
            rows = admin.answers(principal)
            return keep, _ok(f"已保存常用答复 #{saved}"), answers_table(rows), answer_options(rows), saved
        rows = {r["id"]: r for r in admin.answers(principal)}
        chosen = rows.get(picked) or {"active": True}
        filled = {**chosen, "active": ["yes"] if chosen.get("active") else []}
        return [filled.get(f["name"]) for f in field_ids or []], None, no_update, no_update, no_update
    except REFUSALS as error:
        return keep, _refused(error), no_update, no_update, no_update

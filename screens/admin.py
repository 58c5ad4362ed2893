"""`/admin` — 系统管理 for the administrator: 分类与派单规则 (the catalogue's categories, an editor judged like
config/categories.yaml, a preview of where a sample ticket would go, each category's versions), 用户与角色, 部门与力量,
API 密钥 and 常用答复. Layout only; every action goes through services/admin_rules.py and services/admin.py, which
decide the rights (callbacks/admin.py)."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens.admin_parts import (NEW, answers_table, categories_table, crews_table, departments_table, ids,
                                 keys_table, role_options, unit_options, users_table, versions_list)
from services import admin, admin_rules
from workorders.policy import KEY_SCOPES, Principal, can
from workorders.search import MAX_FIND
from workorders.units import DEPARTMENT_KINDS

dash.register_page(__name__, path="/admin", title="铁东区 96715 · 系统管理", name="系统管理")


def _label(text: str, control, wide: bool = False) -> html.Label:
    return html.Label([html.Span(text), control], className="admin-field wide" if wide else "admin-field")


def _dropdown(component_id, options, placeholder: str, multi: bool = False, value=None) -> dcc.Dropdown:
    return dcc.Dropdown(id=component_id, options=[{"label": n, "value": c} for c, n in options],
                        placeholder=placeholder, multi=multi, value=value, clearable=True, className="audit-choice")


def _input(component_id, placeholder: str = "", kind: str = "text", max_length: int = 64, value=None) -> dcc.Input:
    return dcc.Input(id=component_id, type=kind, placeholder=placeholder, className="intake-input", value=value,
                     **({"maxLength": max_length} if kind == "text" else {}))


# ------------------------------------------------------------------------------------------------ 分类与派单规则

def _category_form(options: dict, form: dict) -> html.Div:
    def field(name: str):
        return {"type": ids.FIELD, "name": name}
    units = options["departments"]
    return html.Div([
        _label("名称", _input(field("name"), "如 路灯", value=form.get("name"))),
        _label("复杂程度（简单当日，一般 3 天，复杂 10 天）", dcc.Dropdown(
            id=field("complexity"), options=[{"label": n, "value": c} for c, n in options["complexities"]],
            value=form.get("complexity"), clearable=False, className="audit-choice")),
        _label("优先级（1 最急）", dcc.Dropdown(id=field("priority"), options=[1, 2, 3, 4], clearable=False,
                                           value=form.get("priority"), className="audit-choice")),
        _label("到场时限（分钟，急事才有）", _input(field("arrival_minutes"), "空：无", "number",
                                            value=form.get("arrival_minutes"))),
        _label("办结时限（小时）", _input(field("resolve_hours"), "空：按复杂程度", "number",
                                      value=form.get("resolve_hours"))),
        _label("默认子类", _input(field("default_variant"), "有子类时必填", max_length=32,
                              value=form.get("default_variant"))),
        _label("主办单位", _dropdown(field("lead"), units, "选择主办单位", value=form.get("lead"))),
        _label("协办单位", _dropdown(field("co_handlers"), units, "可多选", multi=True,
                                 value=form.get("co_handlers") or []), wide=True),
        _label("社区", dcc.Checklist(id=field("route_to_community"),
                                   options=[{"label": " 简单事项由社区办理（社区级事项）", "value": "yes"}],
                                   value=["yes"] if form.get("route_to_community") else [])),
        _label("分街道主办单位（每行：街道编码 = 单位编码）",
               dcc.Textarea(id=field("by_street"), placeholder="210302014 = heat", className="admin-textarea",
                            value=form.get("by_street")), wide=True),
        _label("子类（每行：编码 名称 时限，时限为 当日 或小时数）",
               dcc.Textarea(id=field("variants"), placeholder="indoor 户内维修 当日", className="admin-textarea",
                            value=form.get("variants")), wide=True),
    ], className="admin-form-grid")


def _rules_tab(principal: Principal, code: str | None, sample: str | None) -> html.Div:
    """``code`` (``?category=``): the category open in the editor; ``sample`` (``?sample=``): the preview's address."""
    rows = admin_rules.category_list(principal)
    options = admin_rules.options(principal)
    code = code if code in {r["code"] for r in rows} else None
    form = admin_rules.category_form(principal, code) if code else {}
    choices = [{"label": f"{r['name']}（{r['code']}）", "value": r["code"]} for r in rows]
    return html.Div([
        html.Div([
            html.Section([
                html.H2("编辑类别", className="card-title"),
                html.Div([_label("事项类别", dcc.Dropdown(id=ids.CATEGORY, options=[
                              *choices, {"label": "＋ 新增类别", "value": NEW}], placeholder="选择要编辑的类别",
                              value=code, className="audit-choice")),
                          _label("新类别编码（仅新增时）", _input(ids.NEW_CODE, "如 snow_removal", max_length=32))],
                         className="admin-form-grid"),
                _category_form(options, form),
                html.Div([html.Button("保存为新版本", id=ids.SAVE, n_clicks=0, type="button", className="btn-primary"),
                          html.Span("保存后登记的工单按新规则派单、计时；已登记的工单不变。", className="muted")],
                         className="form-actions"),
                html.Div(id=ids.MESSAGE, role="status"),
                dcc.Store(id=ids.BASE_VERSION, data=form.get("version")),
            ], className="card admin-editor"),
            html.Div([
                html.Section([
                    html.H2("派单预览", className="card-title"),
                    html.Div("按表单中（未保存）的规则，看样例地址的工单会派往哪里、何时到期。", className="muted"),
                    html.Div([_label("样例地址（或 纬度,经度）", _input(ids.PREVIEW_ADDRESS, "如 胜利路12号", max_length=200,
                                                                     value=sample)),
                              _label("子类", _input(ids.PREVIEW_VARIANT, "可空", max_length=32))],
                             className="admin-form-grid"),
                    html.Button("预览", id=ids.PREVIEW, n_clicks=0, type="button", className="btn-secondary"),
                    html.Div(id=ids.PREVIEW_RESULT, className="admin-preview"),
                ], className="card"),
                html.Section([html.H2("版本记录", className="card-title"),
                              html.Div(versions_list(admin_rules.versions(principal, code) if code else []),
                                       id=ids.VERSIONS)], className="card"),
            ], className="admin-side"),
        ], className="admin-columns"),
        html.Section([html.H2("全部类别", className="card-title"),
                      html.Div(categories_table(rows), id=ids.CATEGORIES)], className="card"),
    ])


# ------------------------------------------------------------------------------------------------ other tabs

def _users_tab(principal: Principal, units: list, streets: list) -> html.Div:
    def field(name: str):
        return {"type": ids.USER_FIELD, "name": name}
    return html.Div([
        html.Section([
            html.H2("新建用户", className="card-title"),
            html.Div([
                _label("用户名", _input(field("username"), "如 wang.li")),
                _label("姓名", _input(field("display_name"), "如 王丽")),
                _label("角色", dcc.Dropdown(id=field("roles"), options=role_options(), multi=True,
                                          placeholder="可多选", className="audit-choice")),
                _label("所属单位（承办单位角色）", _dropdown(field("department"), units, "选择单位")),
                _label("街道（街道角色）", _dropdown(field("street"), streets, "选择街道")),
                _label("社区编码（社区角色）", _input(field("community"), "如 210302001001", max_length=32)),
                _label("处置力量编码（网格员角色）", _input(field("crew"), "如 WGY-21030200100101", max_length=32)),
            ], className="admin-form-grid"),
            html.Div([html.Button("创建用户", id=ids.USER_CREATE, n_clicks=0, type="button", className="btn-primary"),
                      html.Span("停用账户：", className="muted admin-gap"), _input(ids.USER_DISABLE_NAME, "要停用的用户名"),
                      html.Button("停用", id=ids.USER_DISABLE, n_clicks=0, type="button", className="btn-secondary")],
                     className="form-actions"),
            html.Div(id=ids.USER_MESSAGE, role="status"),
        ], className="card"),
        html.Section([html.H2("全部用户", className="card-title"),
                      # The list shows the first admin.USER_LIMIT users; the box reaches any of the others.
                      dcc.Input(id=ids.USER_FIND, type="search", debounce=True, maxLength=MAX_FIND,
                                placeholder="查找用户名或姓名", className="intake-input"),
                      html.Div(users_table(admin.users(principal)), id=ids.USERS)], className="card"),
    ])


def _units_tab(principal: Principal, units: list) -> html.Div:
    def field(name: str):
        return {"type": ids.CREW_FIELD, "name": name}

    def unit_field(name: str):
        return {"type": ids.DEPT_FIELD, "name": name}
    return html.Div([
        html.Div([
            html.Section([
                html.H2("部门（承办单位）", className="card-title"),
                html.H3("新增单位"),
                html.Div([
                    _label("编码", _input(unit_field("code"), "如 wuye", max_length=32)),
                    _label("单位名称", _input(unit_field("name"), "如 区物业服务中心")),
                    _label("类型", _dropdown(unit_field("kind"), list(DEPARTMENT_KINDS.items()), "选择类型")),
                    _label("电话", _input(unit_field("phone"), "可不填", max_length=20)),
                    _label("入驻中心", dcc.Checklist(id=unit_field("resident_in_center"),
                                                 options=[{"label": "入驻指挥中心", "value": "yes"}], value=[])),
                ], className="admin-form-grid"),
                html.Button("新增单位", id=ids.DEPT_ADD, n_clicks=0, type="button", className="btn-primary"),
                html.Div(id=ids.DEPT_MESSAGE, role="status"),
                html.Div(departments_table(admin.departments(principal)), id=ids.DEPARTMENTS),
            ], className="card"),
            html.Section([
                html.H2("处置力量", className="card-title"),
                _label("单位", _dropdown(ids.CREW_DEPARTMENT, units, "选择单位查看其力量")),
                html.Div(crews_table([]), id=ids.CREWS),
                html.H3("新增力量（属上面选中的单位）"),
                html.Div([
                    _label("编码", _input(field("code"), "如 WATER-09", max_length=32)),
                    _label("名称", _input(field("name"), "如 供水抢修9队")),
                    _label("类型", _input(field("kind"), "、".join(admin.crew_kinds(principal)[:4]), max_length=32)),
                    _label("人数", _input(field("members"), "1–50", "number")),
                    _label("驻地网格编码", _input(field("home_grid"), "如 21030200100101", max_length=32)),
                ], className="admin-form-grid"),
                html.Button("新增力量", id=ids.CREW_ADD, n_clicks=0, type="button", className="btn-primary"),
                html.Div(id=ids.CREW_MESSAGE, role="status"),
            ], className="card"),
        ], className="admin-columns"),
    ])


def _keys_tab(principal: Principal, units: list) -> html.Div:
    def field(name: str):
        return {"type": ids.KEY_FIELD, "name": name}
    rows = admin.keys(principal)
    return html.Div([
        html.Section([
            html.H2("新建 API 密钥", className="card-title"),
            html.Div([
                _label("名称", _input(field("name"), "如 water-company")),
                _label("权限范围（不选：登记与读取）", dcc.Checklist(
                    id=field("scopes"), options=[{"label": f" {s}：{t}", "value": s} for s, t in KEY_SCOPES.items()],
                    value=[], className="admin-checks"), wide=True),
                _label("绑定单位（只办理该单位的工单）", _dropdown(field("department"), units, "不绑定")),
                _label("绑定处置力量（网格员手机等）", _input(field("crew"), "不绑定", max_length=32)),
            ], className="admin-form-grid"),
            html.Div([html.Button("创建密钥", id=ids.KEY_CREATE, n_clicks=0, type="button", className="btn-primary"),
                      dcc.Dropdown(id=ids.KEY_REVOKE_NAME, options=active_key_options(rows),
                                   placeholder="选择要停用的密钥", className="audit-choice admin-revoke"),
                      html.Button("停用", id=ids.KEY_REVOKE, n_clicks=0, type="button", className="btn-secondary")],
                     className="form-actions"),
            html.Div(id=ids.KEY_MESSAGE, role="status"),
        ], className="card"),
        html.Section([html.H2("全部密钥", className="card-title"), html.Div(keys_table(rows), id=ids.KEYS)],
                     className="card"),
    ])


def active_key_options(rows: list[dict]) -> list[dict]:
    return [{"label": r["name"], "value": r["name"]} for r in rows if r["active"]]


def answer_options(rows: list[dict]) -> list[dict]:
    return [{"label": "＋ 新增答复", "value": 0}, *({"label": f"#{r['id']} {r['title']}", "value": r["id"]}
                                                  for r in rows)]


def _answers_tab(principal: Principal) -> html.Div:
    def field(name: str):
        return {"type": ids.ANSWER_FIELD, "name": name}
    rows = admin.answers(principal)
    categories = [(r["code"], r["name"]) for r in admin_rules.category_list(principal)]
    return html.Div([
        html.Section([
            html.H2("编辑常用答复", className="card-title"),
            html.Div("话务员在受理登记页面（/hotline）点击即插入到诉求内容；停用的不再显示。", className="muted"),
            html.Div([
                _label("答复", dcc.Dropdown(id=ids.ANSWER_PICK, options=answer_options(rows), value=0,
                                          clearable=False, className="audit-choice")),
                _label("标题", _input(field("title"), "如 停水答复")),
                _label("事项类别", _dropdown(field("category_code"), categories, "全部类别")),
                _label("排序", _input(field("sort_order"), "小的在前", "number")),
                _label("状态", dcc.Checklist(id=field("active"), options=[{"label": " 启用", "value": "yes"}],
                                           value=["yes"])),
                _label("内容", dcc.Textarea(id=field("body"), className="admin-textarea", maxLength=2000), wide=True),
            ], className="admin-form-grid"),
            html.Button("保存答复", id=ids.ANSWER_SAVE, n_clicks=0, type="button", className="btn-primary"),
            html.Div(id=ids.ANSWER_MESSAGE, role="status"),
        ], className="card"),
        html.Section([html.H2("全部常用答复", className="card-title"),
                      html.Div(answers_table(rows), id=ids.ANSWERS)], className="card"),
    ])


def layout(principal: Principal | None = None, tab: str | None = None, category: str | None = None,
           sample: str | None = None, **_query) -> html.Div:
    units = unit_options(admin.departments(principal)) if can(principal, "rules") else []
    streets = admin_rules.options(principal)["streets"] if can(principal, "rules") else []
    tabs = [("rules", "分类与派单规则", "rules", lambda: _rules_tab(principal, category, sample)),
            ("users", "用户与角色", "users", lambda: _users_tab(principal, units, streets)),
            ("units", "部门与力量", "rules", lambda: _units_tab(principal, units)),
            ("keys", "API 密钥", "api_keys", lambda: _keys_tab(principal, units)),
            ("answers", "常用答复", "rules", lambda: _answers_tab(principal))]
    shown = [(value, label, build) for value, label, right, build in tabs if can(principal, right)]
    values = [value for value, _, _ in shown]
    return html.Div([
        html.Main([
            html.H1("系统管理", className="page-title"),
            dcc.Tabs(id=ids.TABS, value=tab if tab in values else (values[0] if values else None),
                     children=[dcc.Tab(label=label, value=value, children=build(), className="admin-tab", id=f"admin-tab-{value}",
                                       selected_className="admin-tab-selected") for value, label, build in shown],
                     className="admin-tabs"),
        ], className="audit-main admin-main"),
    ], className="intake-page audit-page admin-page")

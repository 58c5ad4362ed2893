"""/admin's ids and the parts its callbacks redraw (tables, the preview, version history, one-time secrets): no page
registration here, so tests and callbacks can import them."""
from __future__ import annotations

from datetime import datetime

from dash import html

from workorders.clock import local_minute
from workorders.policy import KEY_SCOPES, ROLES
from workorders.units import DEPARTMENT_KINDS


class ids:
    TABS = "admin-tabs"
    # 分类与派单规则
    CATEGORY = "admin-category"             # the dropdown choosing the category (or a new one)
    NEW_CODE = "admin-new-code"
    FIELD = "admin-cat-field"               # pattern id {"type": FIELD, "name": <Category key>}
    BASE_VERSION = "admin-base-version"
    SAVE = "admin-save"
    MESSAGE = "admin-message"
    CATEGORIES = "admin-categories"
    VERSIONS = "admin-versions"
    PREVIEW_ADDRESS = "admin-preview-address"
    PREVIEW_VARIANT = "admin-preview-variant"
    PREVIEW = "admin-preview"
    PREVIEW_RESULT = "admin-preview-result"
    # 用户与角色
    USERS = "admin-users"
    USER_FIELD = "admin-user-field"         # pattern id {"type": USER_FIELD, "name": ...}
    USER_CREATE = "admin-user-create"
    USER_DISABLE_NAME = "admin-user-disable-name"
    USER_FIND = "admin-user-find"            # narrows 全部用户 to a username or name (Enter sends it)
    USER_DISABLE = "admin-user-disable"
    USER_MESSAGE = "admin-user-message"
    # 部门与力量
    DEPARTMENTS = "admin-departments"
    CREW_DEPARTMENT = "admin-crew-department"
    CREWS = "admin-crews"
    CREW_FIELD = "admin-crew-field"         # pattern id {"type": CREW_FIELD, "name": ...}
    CREW_ADD = "admin-crew-add"
    CREW_MESSAGE = "admin-crew-message"
    DEPT_FIELD = "admin-dept-field"         # pattern id {"type": DEPT_FIELD, "name": ...}
    DEPT_ADD = "admin-dept-add"
    DEPT_MESSAGE = "admin-dept-message"
    # API 密钥
    KEYS = "admin-keys"
    KEY_FIELD = "admin-key-field"           # pattern id {"type": KEY_FIELD, "name": ...}
    KEY_CREATE = "admin-key-create"
    KEY_REVOKE_NAME = "admin-key-revoke-name"
    KEY_REVOKE = "admin-key-revoke"
    KEY_MESSAGE = "admin-key-message"
    # 常用答复
    ANSWERS = "admin-answers"
    ANSWER_PICK = "admin-answer-pick"
    ANSWER_FIELD = "admin-answer-field"     # pattern id {"type": ANSWER_FIELD, "name": ...}
    ANSWER_SAVE = "admin-answer-save"
    ANSWER_MESSAGE = "admin-answer-message"


NEW = "__new__"          # the category dropdown's "新增类别"


def when(moment: datetime | None) -> str:
    return local_minute(moment) if moment else "—"


def _table(head: list[str], rows: list[list], empty: str, table_id: str | None = None) -> html.Table | html.Div:
    if not rows:
        return html.Div(empty, className="muted")
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                       html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                      className="audit-table admin-table", **({"id": table_id} if table_id else {}))


def categories_table(rows: list[dict]) -> html.Table | html.Div:
    return _table(["编码", "名称", "复杂程度", "优先级", "主办单位", "到场（分钟）", "办结（小时）", "版本", "最近修改"],
                  [[r["code"], r["name"], r["complexity"], r["priority"], r["lead"], r["arrival_minutes"] or "—",
                    r["resolve_hours"] or "—", f"第 {r['version']} 版",
                    f"{when(r['changed_at'])} {r['changed_by'] or ''}（{r['source']}）"] for r in rows],
                  "没有事项类别")


def versions_list(rows: list[dict]) -> html.Div:
    if not rows:
        return html.Div("选择一个类别查看其版本记录", className="muted")
    return html.Ol([html.Li([
        html.Div([html.B(f"第 {r['version']} 版"), html.Span(
            f" · {when(r['changed_at'])} · {r['changed_by']} · {r['source']} · "
            f"生效 {when(r['valid_from']) if r['valid_from'] else '自始'} · 工单 {r['tickets']} 件",
            className="muted")]),
        html.Ul([html.Li(line) for line in r["changes"]] or [html.Li("无字段变化", className="muted")]),
    ], className="admin-version") for r in rows], className="admin-versions", reversed=True)


def problems_list(messages: list[str]) -> html.Ul:
    return html.Ul([html.Li(m) for m in messages], className="field-error admin-problems", role="alert")


def preview_card(shown: dict) -> html.Div:
    def row(label: str, value) -> html.Tr:
        return html.Tr([html.Th(label), html.Td(value)])
    unit = "由社区办理（" + shown["community"] + "）" if shown["handled_by_community"] else shown["lead"]
    return html.Table([html.Tbody([
        row("样例位置", shown["where"]), row("街道", shown["street"]), row("社区", shown["community"]),
        row("网格", shown["grid"]), row("事项类别", shown["category"] + (f"（{shown['variant']}）"
                                                                     if shown["variant"] else "")),
        row("主办单位", unit), row("协办单位", "、".join(shown["co"]) or "—"),
        row("登记时间", when(shown["registered_at"])), row("到场时限", when(shown["arrival_due_at"])),
        row("办结时限", when(shown["resolve_due_at"])),
    ])], className="audit-table admin-preview-table", id="admin-preview-table")


def users_table(rows: list[dict]) -> html.Table | html.Div:
    return _table(["用户名", "姓名", "角色", "范围", "状态", "创建", "最近登录"],
                  [[r["username"], r["display_name"], "、".join(r["role_names"]), r["scope"],
                    "启用" if r["active"] else "已停用", when(r["created_at"]), when(r["last_sign_in_at"])]
                   for r in rows], "没有用户", "admin-users-table")


def secret_box(title: str, secret: str, note: str) -> html.Div:
    """A password or key shown once: it is not stored anywhere it could be shown again."""
    return html.Div([html.Div(title), html.Code(secret, className="admin-secret mono", id="admin-secret"),
                     html.Div(note, className="muted")], className="notice ok admin-secret-box", role="status")


def departments_table(rows: list[dict]) -> html.Table | html.Div:
    return _table(["编码", "单位", "类型", "入驻中心", "处置力量", "人数"],
                  [[r["code"], r["name"], DEPARTMENT_KINDS.get(r["kind"], r["kind"]),
                    "是" if r["resident_in_center"] else "", r["crews"],
                    r["members"]] for r in rows], "没有单位")


def unit_options(rows: list[dict]) -> list[tuple[str, str]]:
    """(code, label) of each unit, as every unit dropdown of the page offers them."""
    return [(d["code"], f"{d['name']}（{d['code']}）") for d in rows]


def crews_table(rows: list[dict]) -> html.Table | html.Div:
    return _table(["编码", "名称", "类型", "人数", "状态"],
                  [[r["code"], r["name"], r["kind"], r["members"], r["status"]] for r in rows],
                  "该单位没有处置力量（或未选择单位）", "admin-crews-table")


def keys_table(rows: list[dict]) -> html.Table | html.Div:
    return _table(["名称", "权限范围", "绑定", "状态", "创建"],
                  [[r["name"], "、".join(KEY_SCOPES.get(s, s).split("、")[0] for s in r["scopes"]),
                    r["department_name"] or r["crew_code"] or "—", "启用" if r["active"] else "已停用",
                    when(r["created_at"])] for r in rows], "没有 API 密钥", "admin-keys-table")


def answers_table(rows: list[dict]) -> html.Table | html.Div:
    return _table(["#", "标题", "类别", "排序", "状态", "内容"],
                  [[r["id"], r["title"], r["category_name"] or "全部类别", r["sort_order"],
                    "启用" if r["active"] else "停用", (r["body"] or "")[:60]] for r in rows], "没有常用答复")


def role_options() -> list[dict]:
    return [{"label": f"{name}（{code}）", "value": code} for code, name in ROLES.items()]

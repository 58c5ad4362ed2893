"""`/account` — 我的账户: who is signed in, with which roles and scopes, and the change of one's own password.
Also the landing page of the roles whose workplaces come later (承办单位, 街道, 社区, 网格员)."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens.intake_parts import info_rows
from workorders.policy import Principal, navigation

dash.register_page(__name__, path="/account", title="铁东区 96715 · 我的账户", name="我的账户")


class ids:
    CURRENT = "account-current"
    NEW = "account-new"
    REPEAT = "account-repeat"
    SUBMIT = "account-submit"
    RESULT = "account-result"


def _password_input(component_id: str, autocomplete: str) -> dcc.Input:
    return dcc.Input(id=component_id, type="password", autoComplete=autocomplete, maxLength=128,
                     className="intake-input", debounce=False)


def layout(principal: Principal | None = None, **_query) -> html.Div:
    scopes = [("承办单位", principal.department_code), ("街道", principal.street_code),
              ("社区", principal.community_code), ("处置力量", principal.crew_code)]
    links = navigation(principal)
    return html.Div([
        html.Main([
            html.Section([
                html.H1("我的账户", className="page-title"),
                info_rows([("姓名", principal.label), ("用户名", principal.name),
                           ("角色", "、".join(principal.role_names())), *[(k, v) for k, v in scopes if v]]),
                html.P(["可用页面：", *[html.A(name, href=href, className="account-link") for href, name in links]]
                       if links else "您的工作台将在后续版本提供；现在可以在这里修改密码。", className="muted"),
            ], className="card"),
            html.Section([
                html.H2("修改密码", className="card-title"),
                html.Label("当前密码", htmlFor=ids.CURRENT, className="field-label"),
                _password_input(ids.CURRENT, "current-password"),
                html.Label("新密码（至少 10 个字符）", htmlFor=ids.NEW, className="field-label account-gap"),
                _password_input(ids.NEW, "new-password"),
                html.Label("再次输入新密码", htmlFor=ids.REPEAT, className="field-label account-gap"),
                _password_input(ids.REPEAT, "new-password"),
                html.Div(html.Button("修改密码", id=ids.SUBMIT, n_clicks=0, type="button", className="btn-primary"),
                         className="form-actions"),
                html.Div(id=ids.RESULT, role="status"),
            ], className="card account-card"),
        ], className="public-main"),
    ], className="intake-page account-page")

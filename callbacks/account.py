"""/account: the signed-in user changes their own password (the session stays; every other one ends)."""
from __future__ import annotations

from dash import Input, Output, State, callback, html

from screens.account import ids
from security.sessions import current_principal, sign_in
from services import identity


@callback(Output(ids.RESULT, "children"), Output(ids.CURRENT, "value"), Output(ids.NEW, "value"),
          Output(ids.REPEAT, "value"), Input(ids.SUBMIT, "n_clicks"), State(ids.CURRENT, "value"),
          State(ids.NEW, "value"), State(ids.REPEAT, "value"), prevent_initial_call=True)
def change_password(_clicks, current, new, repeat):
    principal = current_principal()
    if (new or "") != (repeat or ""):
        return html.Div("两次输入的新密码不一致", className="notice", role="alert"), current, new, ""
    try:
        stamp = identity.change_own_password(principal, current or "", new or "")
    except identity.IdentityError as error:
        return html.Div(error.message, className="notice", role="alert"), "", new, repeat
    sign_in(principal, stamp)
    return html.Div("密码已修改；其他设备上的登录已失效。", className="notice info", role="status"), "", "", ""

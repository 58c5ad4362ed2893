"""`/hotline` — the 96715 operator's intake screen; `?channel=letter` (信函) and `?channel=walk_in` (当面) too.

Built for speed at a desk: the phone field has the focus, Tab walks the form top to bottom, the category is picked
by typing, Enter in the description (or Ctrl+Enter anywhere) submits, and the form clears for the next call.
"""
from __future__ import annotations

import dash
from dash import dcc, html

from screens import ids
from screens.intake_parts import (KEYBOARD_HINT, address_input, category_combo, category_hint, field, form_error,
                                  form_stores, history_panel, location_line, locator)
from screens.standard_answers import answers_card
from services.intake_forms import DESK_CHANNELS, reception_windows
from services.ticket_desk import standard_answers
from workorders.policy import Principal

dash.register_page(__name__, path="/hotline", title="铁东区 96715 · 受理登记", name="受理登记")

FORM = ids.HOTLINE


def _channel_tabs(channel: str) -> html.Nav:
    return html.Nav([dcc.Link(title, href="/hotline" if code == "hotline" else f"/hotline?channel={code}",
                              className="channel-tab active" if code == channel else "channel-tab")
                     for code, title in DESK_CHANNELS.items()], className="channel-tabs")


def _header(channel: str, principal: Principal | None) -> html.Header:
    return html.Header([
        html.Div([html.Span("96715", className="brand-mark"),
                  html.H1("铁东区 96715 受理登记", className="desk-title")], className="brand"),
        _channel_tabs(channel),
        # Who registers is the signed-in user (services.tickets names them in the history), not a typed name.
        html.Div([html.Span("登记人"), html.Strong(principal.label if principal else "—", id=FORM.operator,
                                                 className="operator-name")], className="operator"),
    ], className="desk-header")


def _form(channel: str) -> html.Section:
    phone_label = "来电号码" if channel == "hotline" else "联系电话"
    # Rendered on every channel (the submit callback reads it) but shown for walk-ins only.
    # All 12 windows at once: the operator sees where the visitor stands; ← → move between them.
    window = html.Div(field(FORM, "window", "接待窗口", dcc.RadioItems(
        id=FORM.window, options=[{"label": w["name"], "value": w["code"]} for w in reception_windows()],
        className="window-choice"), required=True),
        className="window-row" if channel == "walk_in" else "window-row hidden")
    return html.Section([
        html.Div([
            field(FORM, "phone", phone_label, dcc.Input(
                id=FORM.phone, type="tel", autoFocus=True, inputMode="tel", autoComplete="off",
                placeholder="例如 13812345678", className="intake-input", maxLength=20),
                required=channel == "hotline", html_for=FORM.phone),
            field(FORM, "name", "群众姓名", dcc.Input(id=FORM.name, type="text", autoComplete="off", maxLength=40,
                                                     placeholder="可不填", className="intake-input"),
                  html_for=FORM.name),
        ], className="field-row"),
        field(FORM, "category", "事项类别", category_combo(FORM), required=True,
              hint=html.Div(category_hint(None), id=FORM.category_hint, className="category-hint")),
        html.Div(field(FORM, "variant", "子类", dcc.RadioItems(id=FORM.variant, options=[], inline=True,
                                                              className="variant-choice")),
                 id=FORM.variant_row, className="variant-row hidden"),
        window,
        field(FORM, "address", "地址", address_input(FORM), html_for=FORM.address),
        field(FORM, "location", "位置", html.Div(location_line(None), id=FORM.location_text,
                                                 className="location-line")),
        field(FORM, "description", "诉求内容", dcc.Textarea(
            id=FORM.description, placeholder="群众反映的问题：什么事、在哪里、多久了", rows=5,
            className="intake-input intake-description", maxLength=4000), required=True, html_for=FORM.description),
        html.Div([
            html.Button("提交登记", id=FORM.submit, n_clicks=0, className="btn-primary intake-submit", type="button"),
            html.Span(KEYBOARD_HINT, className="kbd-hint"),
        ], className="form-actions"),
        form_error(FORM),
    ], className="card form-card intake-form enter-submits")


def layout(channel: str = "hotline", principal: Principal | None = None, **_query) -> html.Div:
    channel = channel if channel in DESK_CHANNELS else "hotline"
    return html.Div([
        _header(channel, principal),
        html.Main([
            _form(channel),
            html.Section([
                html.H2("定位", className="card-title"),
                locator(FORM, width_px=480, height_px=500),
                html.Div("点击地图设置位置 · 滚轮缩放 · 拖动平移", className="map-hint"),
            ], className="card map-card"),
            # The caller's history on top while a call is taken; the last registration's result under it.
            html.Section([
                html.Div(history_panel(None), id=FORM.history, className="card history-card"),
                html.Div(html.Div([html.H2("受理结果", className="card-title"),
                                   html.Div("提交后在此显示工单号、办理时限、承办单位和可能重复的工单",
                                            className="muted")], className="card"),
                         id=FORM.result),
                answers_card(standard_answers(principal)),      # issue 11: 常用答复 (screens/standard_answers.py)
            ], className="side-col"),
        ], className="desk-grid"),
        *form_stores(FORM, channel),
    ], className=f"intake-page desk-page channel-{channel}")

"""`/report` — 民情网: the citizen's own form. No login; the page shows nobody else's data. Returns a tracking
number for /track/<number>."""
from __future__ import annotations

import dash
from dash import dcc, html

from screens import ids
from screens.intake_parts import (address_input, category_combo, category_hint, field, form_error, form_stores,
                                  location_line, locator, public_header)
from services.intake_forms import PUBLIC_CHANNEL

dash.register_page(__name__, path="/report", title="铁东区 96715 民情网 · 我要反映", name="我要反映")

FORM = ids.REPORT


def layout(**_query) -> html.Div:
    return html.Div([
        public_header("网上反映"),
        html.Main([
            html.Div(id=FORM.result),
            html.Section([
                html.H1("我要反映", className="page-title"),
                html.P("说明遇到的问题和位置，我们会转给负责的部门办理。提交后请记下工单号，用于查询进度。",
                       className="page-intro"),
                html.Div(style={"height": "14px"}),
                field(FORM, "category", "问题类别", category_combo(FORM, public=True), required=True,
                      hint=html.Div(category_hint(None, public=True), id=FORM.category_hint,
                                    className="category-hint")),
                html.Div(field(FORM, "variant", "子类", dcc.RadioItems(id=FORM.variant, options=[], inline=True,
                                                                      className="variant-choice")),
                         id=FORM.variant_row, className="variant-row hidden"),
                field(FORM, "description", "问题描述", dcc.Textarea(
                    id=FORM.description, rows=5, maxLength=4000, className="intake-input intake-description",
                    placeholder="发生了什么、在什么位置、持续多久了"), required=True, html_for=FORM.description),
                field(FORM, "address", "地址", address_input(FORM, "输入道路门牌或社区名称，从建议中选择"),
                      html_for=FORM.address),
                locator(FORM, width_px=740, height_px=340),
                html.Div("也可以直接点击地图标出位置", className="map-hint"),
                field(FORM, "location", "位置", html.Div(location_line(None), id=FORM.location_text,
                                                         className="location-line")),
                html.Div([
                    field(FORM, "name", "您的姓名", dcc.Input(id=FORM.name, type="text", maxLength=40,
                                                             autoComplete="name", className="intake-input",
                                                             placeholder="可不填"), html_for=FORM.name),
                    field(FORM, "phone", "联系电话", dcc.Input(id=FORM.phone, type="tel", maxLength=20,
                                                              autoComplete="tel", className="intake-input",
                                                              placeholder="用于回访和评价短信"),
                          required=True, html_for=FORM.phone),
                ], className="field-row"),
                html.Div("您的姓名和电话只用于办理和回访，不会公开显示。", className="privacy-note"),
                html.Div([html.Button("提交", id=FORM.submit, n_clicks=0, type="button",
                                      className="btn-primary intake-submit")], className="form-actions"),
                form_error(FORM),
            ], className="card intake-form"),
        ], className="public-main"),
        *form_stores(FORM, PUBLIC_CHANNEL),
    ], className="intake-page public-page")

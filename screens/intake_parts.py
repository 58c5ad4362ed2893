"""Pieces of the intake screens (pure: plain data in, Dash components out), shared by /hotline, /report, /track,
/evaluate and /tickets."""
from __future__ import annotations

import uuid

from dash import dcc, html
from flask import request

from layers.locator import locator_figure
from layers.style import STYLE_PATH
from screens.ids import IntakeForm
from services.intake_forms import deadline_rule
from services.reference_map import current_map_data
from workorders.catalogue import Category
from workorders.vocabulary import PRIORITY_LABELS, priority_label

LOCATOR_CONFIG = {"displaylogo": False, "scrollZoom": True, "displayModeBar": False, "locale": "zh-CN"}
KEYBOARD_HINT = "Enter 提交 · Shift+Enter 换行 · Ctrl+Enter 任意位置提交"


def new_form_key() -> str:
    """One key per form session: a double submit of the same form then registers one ticket."""
    return uuid.uuid4().hex


# ------------------------------------------------------------------------------------------------ form fields

def field(form: IntakeForm, slot: str, label: str, control, *, required: bool = False, hint=None,
          class_name: str = "", html_for: str | None = None) -> html.Div:
    """A labelled input with its own error line (filled by the submit callback)."""
    return html.Div([
        html.Label([label, html.Span(" *", className="req") if required else None], htmlFor=html_for,
                   className="field-label"),
        control,
        html.Div(hint, className="field-hint") if hint else None,
        html.Div(id={"type": form.error, "field": slot}, className="field-error", role="alert"),
    ], className=f"field field-{slot} {class_name}".strip())


def form_error(form: IntakeForm) -> html.Div:
    return html.Div(id={"type": form.error, "field": "form"}, className="field-error form-error", role="alert")


def category_combo(form: IntakeForm, public: bool = False) -> html.Div:
    """The category picker: type part of the Chinese name or the code, Enter takes the first match (↓ walks the
    list). A plain text input, so a Chinese input method works in it; the chosen code is kept in a store."""
    return html.Div([
        dcc.Input(id=form.category_input, type="text", autoComplete="off", n_submit=0,
                  placeholder="输入或选择问题类别" if public else "输入类别名称或代码，如 漏水 / water",
                  className="intake-input combo-input"),
        html.Div(id=form.category_options, className="combo-options", role="listbox"),
        dcc.Store(id=form.category),
    ], className="combo category-combo")


def category_list(form: IntakeForm, categories: list[Category], query: str, public: bool = False) -> list:
    if not categories:
        return [html.Div("没有匹配的类别", className="combo-empty")]
    return [html.Button([
        html.Span(c.name, className="sg-name"),
        None if public else html.Span(c.code, className="opt-code"),
        None if public else html.Span(PRIORITY_LABELS.get(c.priority, ""), className=f"badge prio-{c.priority}"),
    ], id={"type": form.category_option, "index": c.code}, className="combo-option category-option",
        tabIndex="-1", n_clicks=0, type="button", **{"data-query": query}) for c in categories]


def category_hint(category: Category | None, variant: str | None = None, public: bool = False) -> list:
    """Priority (the operator's concern) and time limits of the chosen category."""
    if category is None:
        return [html.Span("选择类别后显示办理时限" if public else "选择类别后显示优先级和办理时限", className="muted")]
    priority = html.Span(f"优先级 {priority_label(category.priority)}",
                         className=f"badge prio-{category.priority}")
    return [None if public else priority, html.Span(deadline_rule(category, variant), className="deadline-rule")]


def variant_options(category: Category | None) -> list[dict]:
    if category is None or not category.variants:
        return []
    return [{"label": v.name, "value": k} for k, v in category.variants.items()]


# ------------------------------------------------------------------------------------------------ where

def address_input(form: IntakeForm, placeholder: str = "输入道路门牌、社区或网格名称，例如 胜利路12号") -> html.Div:
    # data-next: after a suggestion is picked the cursor moves on to the description (forms.js).
    return html.Div([
        dcc.Input(id=form.address, type="text", placeholder=placeholder, autoComplete="off",
                  className="intake-input combo-input intake-address", n_submit=0),
        html.Div(id=form.suggestions, className="combo-options suggestions", role="listbox"),
    ], className="combo address-box", **{"data-next": ".intake-description"})


def suggestions_list(form: IntakeForm, suggestions: list[dict], query: str) -> list:
    if not query:
        return []
    if not suggestions:
        return [html.Div("没有匹配的地址：请换个写法，或在地图上点选位置", className="combo-empty")]
    items = []
    for i, place in enumerate(suggestions):
        where = " · ".join(p for p in (place.get("street_name"), place.get("community_name"), place.get("grid_name"))
                           if p)
        items.append(html.Button([
            html.Span(place["label"], className="sg-name"), html.Span(place["kind"], className="sg-kind"),
            html.Span(where, className="sg-where"),
        ], id={"type": form.suggestion, "index": i}, className="combo-option suggestion", tabIndex="-1", n_clicks=0,
            type="button", **{"data-query": query}))   # forms.js: Enter picks the first one only if still current
    return items


def location_line(location: dict | None) -> list:
    if not location:
        return [html.Span("未定位", className="loc-none"),
                html.Span("选择一条地址建议，或点击地图", className="muted")]
    where = " · ".join(p for p in (location.get("street_name"), location.get("community_name"),
                                   location.get("grid_name")) if p)
    return [html.Span("已定位", className="loc-ok"), html.Span(location.get("label") or "", className="loc-label"),
            html.Span(where, className="loc-where")]


def locator(form: IntakeForm, width_px: int, height_px: int) -> html.Div:
    """The locator map, sized as the page lays it out so the whole district fits; its first view is kept for
    when the form is cleared."""
    # The same local style the command map uses: the map asks no host but this one.
    style = request.host_url.rstrip("/") + STYLE_PATH
    figure = locator_figure(current_map_data(), style, width_px=width_px, height_px=height_px)
    view = {"center": figure.layout.map.center.to_plotly_json(), "zoom": figure.layout.map.zoom}
    return html.Div([dcc.Graph(id=form.map, figure=figure, config=LOCATOR_CONFIG, className="locator",
                               style={"height": f"{height_px}px"}),
                     dcc.Store(id=form.map_view, data=view)])


def form_stores(form: IntakeForm, channel: str) -> list:
    return [dcc.Store(id=form.form_key, data=new_form_key()), dcc.Store(id=form.channel, data=channel),
            dcc.Store(id=form.location), dcc.Store(id=form.suggestion_data, data=[]),
            dcc.Store(id=form.map_click), dcc.Store(id=form.result_data)]


# ------------------------------------------------------------------------------------------------ tickets

def info_rows(rows: list[tuple[str, object]], skip_empty: bool = False) -> html.Dl:
    items = []
    for label, value in rows:
        if skip_empty and value in (None, "", []):
            continue
        items += [html.Dt(label), html.Dd(value if value not in (None, "", []) else "—")]
    return html.Dl(items, className="info-rows")


def state_badge(label: str, state: str | None = None) -> html.Span:
    return html.Span(label, className=f"state-badge state-{state or 'other'}")


def timeline(events: list[dict], with_actor: bool = False) -> html.Ol:
    items = []
    for event in events:
        details = [event.get("note"), *( [f"经办：{event['actor']}", event.get("reason")] if with_actor else [])]
        items.append(html.Li([
            html.Div(event["at"], className="tl-time"),
            html.Div([html.Span(event["label"], className="tl-label"),
                      html.Span(event["state_label"], className="tl-state") if event.get("state_label") else None,
                      *[html.Div(d, className="tl-note") for d in details if d]], className="tl-body"),
        ], className="tl-item"))
    return html.Ol(items, className="timeline")


def public_header(subtitle: str) -> html.Header:
    return html.Header([
        html.Div([html.Span("96715", className="brand-mark"),
                  html.Div([html.Div("铁东区 96715 民情网", className="brand-title"),
                            html.Div(f"有事请找我 · {subtitle}", className="brand-sub")])], className="brand"),
        html.Nav([dcc.Link("我要反映", href="/report"), dcc.Link("进度查询", href="/track")], className="public-nav"),
    ], className="public-header")


# ------------------------------------------------------------------------------------------------ desk panels

def history_panel(history: dict | None) -> list:
    """The caller's earlier tickets (operator's own screen: names and numbers in full)."""
    title = html.H2("来电历史", className="card-title")
    if history is None:
        return [title, html.Div("输入来电号码后，这里显示该号码以前反映过的问题", className="muted")]
    if not history["tickets"]:
        return [title, html.Div(f"{history['phone']}：首次来电，无历史工单", className="history-none")]
    rows = [html.Li([
        html.Div([dcc.Link(t["number"], href=f"/tickets/{t['number']}", className="mono"),
                  html.Span(t["state"], className="history-state")], className="history-top"),
        html.Div(f"{t['registered_at']} · {t['category_name']} · {t['channel']}", className="history-meta"),
        html.Div(f"{t['name'] or '（未留姓名）'} · {t['phone']} · {t['place']}", className="history-who"),
    ], className="history-item") for t in history["tickets"]]
    more = history["total"] - len(history["tickets"])
    return [title, html.Div(f"{history['phone']} 共 {history['total']} 件", className="history-count"),
            html.Ul(rows, className="history-list"),
            html.Div(f"另有 {more} 件较早的工单", className="muted") if more > 0 else None]


def result_card(form: IntakeForm, summary: dict) -> html.Div:
    """The registered ticket: number, deadlines, routing, and likely duplicates with a merge button each."""
    merged = summary.get("merged_into")
    head = [html.Span("已合并" if merged else "已登记", className="badge ok" if not merged else "badge merged"),
            html.Span(summary["number"], className="ticket-number mono")]
    notes = []
    if not summary["created"]:
        notes.append(html.Div("重复提交：未新建工单，以下为已登记的同一工单", className="note-warn"))
    if merged:
        notes.append(html.Div(f"已合并到工单 {merged}，由该工单一并办理", className="note-ok"))
    if summary.get("merge_error"):
        notes.append(html.Div(summary["merge_error"], className="note-warn", role="alert"))
    department = summary["department"] + (f"（协办：{'、'.join(summary['co_departments'])}）"
                                          if summary["co_departments"] else "")
    if summary["handled_by_community"]:
        department += " · 由社区直接办理"
    category = summary["category_name"] + (f"（{summary['variant_name']}）" if summary["variant_name"] else "")
    rows = [("渠道", summary["channel"]), ("类别", category), ("优先级", summary["priority"]),
            ("到场时限", summary["arrival_due_at"] or "不要求"), ("办结时限", summary["resolve_due_at"]),
            ("承办单位", department), ("位置", summary["place"]), ("登记时间", summary["registered_at"])]
    return html.Div([
        html.Div(head, className="result-head"), *notes, info_rows(rows),
        dcc.Link("查看工单详情 →", href=f"/tickets/{summary['number']}", className="detail-link"),
        _duplicates(form, summary) if summary["duplicates"] and not merged else None,
    ], className="card result-card")


def _duplicates(form: IntakeForm, summary: dict) -> html.Div:
    items = [html.Li([
        html.Div([dcc.Link(d["number"], href=f"/tickets/{d['number']}", className="mono"),
                  html.Span(f"{d['metres']} 米", className="dup-dist"),
                  html.Span(d["state"], className="history-state")],
                 className="dup-top"),
        html.Div(f"{d['registered_at']} · {d['category_name']} · {d['address'] or ''}", className="history-meta"),
        html.Div(d["description"], className="dup-desc"),
        html.Button("合并到此单", id={"type": form.merge, "into": d["number"]}, n_clicks=0, type="button",
                    className="btn-secondary"),
    ], className="dup-item") for d in summary["duplicates"]]
    return html.Div([html.H3(f"可能重复的工单（{len(items)}）", className="dup-title"),
                     html.Div("附近同类、尚未办结的工单。确认重复时合并，新工单不再单独派单。", className="muted"),
                     html.Ul(items, className="dup-list")], className="duplicates")


def receipt(summary: dict) -> html.Div:
    """The citizen's receipt after /report: the tracking number and where to follow it."""
    number = summary["number"]
    return html.Div([
        html.Div([html.Span("提交成功", className="badge ok"),
                  html.Span("工单号", className="muted")], className="result-head"),
        html.Div(number, className="ticket-number mono"),
        html.P("请记下工单号，凭它随时查询办理进度。办结后您会收到评价短信。"),
        info_rows([("问题类别", summary["category_name"]), ("承办单位", summary["department"]),
                   ("办结时限", summary["resolve_due_at"])]),
        dcc.Link("查看办理进度 →", href=f"/track/{number}", className="detail-link"),
    ], className="card receipt", role="status")

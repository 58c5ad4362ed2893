"""`/analytics` — the leader view: where and how many requests, how they trend, which grids are hot and how the
departments do, for a chosen window, category, channel and street; and a replay of any past day hour by hour.

Layout only; ids and the builders of its parts are in screens/analytics_parts.py, callbacks/analytics.py wires
them."""
from __future__ import annotations

from datetime import date, timedelta

import dash
from dash import dcc, html
from flask import request

from layers.charts import GRANULARITIES, hours_figure
from layers.consultation_charts import follow_ups_figure, steps_figure, topics_figure
from layers.heatmap import MODES, analytics_map_figure
from layers.programme_charts import decisions_figure, kinds_figure, levels_figure
from layers.style import STYLE_PATH
from screens.analytics_parts import (AUTO_REFRESH_MS, DROPDOWN_LABELS, GRAPH_CONFIG, MAP_CONFIG, REPLAY_STEP_MS,
                                     SCORE_NOTE, SOURCES, ids)
from screens.petitions_parts import percent, streets_table as petition_streets_table
from screens.resources_parts import streets_table
from services import analytics, consultation, mediation, petitions, resources, risk_assessment
from services.reference_map import current_map_data
from workorders.policy import Principal

dash.register_page(__name__, path="/analytics", title="铁东区 96715 · 领导驾驶舱", name="领导驾驶舱")


def _options(pairs: list[tuple[str, str]]) -> list[dict]:
    return [{"label": name, "value": code} for code, name in pairs]


def _filters(opts: analytics.Options, start: date, end: date, first: date | None, today: date) -> html.Section:
    dropdown = dict(multi=True, clearable=True, searchable=True, maxHeight=420, labels=DROPDOWN_LABELS,
                    className="an-dropdown")
    return html.Section([
        html.Div([
            html.Span("时间", className="an-filter-label"),
            dcc.DatePickerRange(id=ids.DATES, start_date=start, end_date=end, display_format="YYYY-MM-DD",
                                min_date_allowed=first or today - timedelta(days=3 * 365), max_date_allowed=today,
                                first_day_of_week=1, month_format="YYYY年M月", minimum_nights=0,
                                start_date_placeholder_text="开始日期", end_date_placeholder_text="结束日期",
                                className="an-dates"),
            html.Div([html.Button(label, id={"type": ids.QUICK, "range": key}, n_clicks=0, className="an-quick")
                      for key, label in analytics.QUICK_RANGES.items()], className="an-quick-group"),
        ], className="an-filter an-filter-time"),
        html.Div([html.Span("类别", className="an-filter-label"),
                  dcc.Dropdown(id=ids.CATEGORY, options=_options(opts.categories), placeholder="全部类别", **dropdown)],
                 className="an-filter"),
        html.Div([html.Span("渠道", className="an-filter-label"),
                  dcc.Dropdown(id=ids.CHANNEL, options=_options(opts.channels), placeholder="全部渠道", **dropdown)],
                 className="an-filter"),
        html.Div([html.Span("街道", className="an-filter-label"),
                  dcc.Dropdown(id=ids.STREET, options=_options(opts.streets), placeholder="全部街道", **dropdown)],
                 className="an-filter"),
    ], className="an-filters")


def _map_card(figure, first: date | None, today: date) -> html.Section:
    yesterday = today - timedelta(days=1)
    return html.Section([
        html.Div([
            html.H2("区域分布", className="an-card-title"),
            dcc.RadioItems(id=ids.MAP_SOURCE, options=[{"label": v, "value": k} for k, v in SOURCES.items()],
                           value="window", inline=True, className="an-toggle"),
            dcc.RadioItems(id=ids.MAP_MODE, options=[{"label": v, "value": k} for k, v in MODES.items()],
                           value="heat", inline=True, className="an-toggle"),
        ], className="an-card-head"),
        html.Div([
            dcc.Graph(id=ids.MAP, figure=figure, config=MAP_CONFIG, className="an-map"),
            html.Div(id=ids.MAP_CAPTION, className="an-map-caption"),
        ], className="an-map-wrap"),
        html.Div(id=ids.FORECAST_NOTE, className="an-forecast hidden"),
        html.Div([
            html.Div([
                dcc.DatePickerSingle(id=ids.REPLAY_DAY, date=max(yesterday, first) if first else yesterday,
                                     display_format="YYYY-MM-DD",
                                     min_date_allowed=first or today - timedelta(days=3 * 365), max_date_allowed=today,
                                     first_day_of_week=1, month_format="YYYY年M月", placeholder="回放日期",
                                     className="an-replay-day"),
                html.Button("▶ 播放", id=ids.REPLAY_PLAY, n_clicks=0, className="an-play"),
            ], className="an-replay-controls"),
            html.Div([
                dcc.Graph(id=ids.REPLAY_HOURS, figure=hours_figure([0] * 24, 0), config=GRAPH_CONFIG,
                          className="an-replay-hours"),
                dcc.Slider(id=ids.REPLAY_HOUR, min=0, max=23, step=1, value=8, included=False,
                           marks={h: f"{h}时" for h in range(0, 24, 3)}, updatemode="drag",
                           allow_direct_input=False, className="an-replay-slider"),
            ], className="an-replay-track"),
            html.Div(id=ids.REPLAY_READOUT, className="an-replay-readout"),
            dcc.Interval(id=ids.REPLAY_TICK, interval=REPLAY_STEP_MS, disabled=True),
        ], id=ids.REPLAY_BAR, className="an-replay hidden"),
    ], className="an-card an-map-card")


def _side() -> html.Div:
    return html.Div([
        html.Section([
            html.Div([html.H2("受理趋势", className="an-card-title"),
                      dcc.RadioItems(id=ids.TREND_GRAIN, options=[{"label": v, "value": k}
                                                                  for k, v in GRANULARITIES.items()],
                                     value="day", inline=True, className="an-toggle")], className="an-card-head"),
            dcc.Graph(id=ids.TREND, config=GRAPH_CONFIG, className="an-trend"),
        ], className="an-card an-trend-card"),
        html.Section([
            html.Div([html.H2("热点网格 TOP 10", className="an-card-title"),
                      html.Span("与上一个等长时段相比", className="an-card-note")], className="an-card-head"),
            html.Div(id=ids.HOTSPOTS, className="an-table-wrap"),
        ], className="an-card an-hotspot-card"),
    ], className="an-side")


def _chart(title: str, figure, note: str = "") -> html.Div:
    """One small chart of a programme block, its title and a note beside it."""
    return html.Div([html.Div([html.H3(title, className="an-mini-title"),
                               html.Span(note, className="an-card-note")], className="an-mini-head"),
                     dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="an-mini-chart")],
                    className="an-mini")


def _mediation_streets(rows: list[dict]) -> html.Table:
    head = ["街道", "受理", "办理中", "已结", "调解成功", "成功率", "排查化解", "排除隐患"]
    body = [html.Tr([html.Td(r["name"], className="name"),
                     *[html.Td(f"{r[k]:,}", className="num") for k in ("cases", "open", "closed", "success")],
                     html.Td(percent(r["success"] / r["closed"] if r["closed"] else None), className="num"),
                     *[html.Td(f"{r[k]:,}", className="num") for k in ("resolved_ahead", "hazards_removed")]])
            for r in rows]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                      className="an-table an-mediation-streets")


def _mediation_block(principal: Principal | None) -> html.Section:
    """矛盾纠纷排查调处: cases, the success rate and the 排查 figures, by kind and by street — all read from the rows."""
    summary, screening = mediation.summary(principal), mediation.screening(principal)
    note = (f"受理 {summary.cases:,} 件 · 办理中 {summary.open:,} · 已结 {summary.closed:,} · "
            f"调解成功率 {percent(summary.rate)} · 排查化解纠纷 {screening.disputes_resolved:,} 起 · "
            f"排除隐患 {screening.hazards_removed:,} 处")
    return html.Section([
        html.Div([html.H2("矛盾纠纷排查调处", className="an-card-title"),
                  html.Span(note, className="an-card-note", id=ids.MEDIATION_NOTE)], className="an-card-head"),
        html.Div([_chart("按纠纷类型", kinds_figure(summary.by_kind)),
                  html.Div(_mediation_streets(summary.by_street), className="an-mini an-table-wrap an-mini-wide")],
                 className="an-mini-grid"),
    ], id=ids.MEDIATION, className="an-card an-programme-card")


def _risk_block(principal: Principal | None) -> html.Section:
    """重大决策社会稳定风险评估: projects assessed (this year and in all), by risk level and by decision."""
    summary = risk_assessment.summary(principal)
    note = (f"评估项目 {summary.projects:,} 项 · 今年 {summary.this_year:,} 项 · "
            f"查找风险因素 {summary.factors:,} 个")
    return html.Section([
        html.Div([html.H2("重大决策社会稳定风险评估", className="an-card-title"),
                  html.Span(note, className="an-card-note", id=ids.RISK_NOTE)], className="an-card-head"),
        html.Div([_chart("按风险等级", levels_figure(summary.by_level)),
                  _chart("按评估结论", decisions_figure(summary.by_decision),
                         f"准予或调整后实施 {summary.by_decision['准予实施'] + summary.by_decision['调整后实施']:,} 项")],
                 className="an-mini-grid an-mini-grid-2"),
    ], id=ids.RISK, className="an-card an-programme-card")


def _consultation_block(principal: Principal | None) -> html.Section:
    """民主恳谈 this year: sessions by topic and by active step, the decisions' follow-up milestones (issue 13)."""
    figures = consultation.figures(principal)
    follow = figures.follow_ups
    return html.Section([
        html.Div([html.H2("民主恳谈", className="an-card-title"),
                  html.Span(f"{figures.year} 年 · {figures.sessions} 场 · 参与 {figures.participants:,} 人次 · "
                            "按恳谈会日期计", className="an-card-note")], className="an-card-head"),
        html.Div([_chart("按议题类别", topics_figure(figures.by_topic)),
                  _chart("按当前阶段", steps_figure(figures.by_step)),
                  _chart("决定落实事项", follow_ups_figure(follow),
                        f"已完成 {follow['done']} / {follow['done'] + follow['open']}")], className="an-mini-grid"),
    ], id=ids.CONSULTATION, className="an-card an-consultation-card")


def _social_forces(principal: Principal | None) -> html.Section:
    """社会力量 by street: organisations, volunteers, posts, elders on the one-key registry, coverage gaps."""
    return html.Section([
        html.Div([html.H2("社会力量（按街道）", className="an-card-title"),
                  html.Span("覆盖缺口：无治安巡逻岗或无志愿服务队覆盖的网格，地图见“社会力量”页",
                            className="an-card-note")], className="an-card-head"),
        html.Div(streets_table(resources.counts_by_street(principal)), className="an-table-wrap"),
    ], className="an-card an-dept-card an-resources-card")


def _petitions(principal: Principal | None) -> html.Section:
    """信访 figures: cases, resolved share, 越级上访, lawyers, by street."""
    summary = petitions.summary(principal)
    note = (f"受理 {summary.cases:,} 件 · 办理中 {summary.open:,} · 化解率 {percent(summary.rate)} · "
            f"越级上访 {summary.skipped:,} · 律师参与 {summary.lawyer:,}")
    return html.Section([
        html.Div([html.H2("信访案件（按街道）", className="an-card-title"),
                  html.Span(note, className="an-card-note", id="an-petitions-note")], className="an-card-head"),
        html.Div(petition_streets_table(petitions.counts_by_street(principal)), className="an-table-wrap"),
    ], className="an-card an-dept-card an-petitions-card")


def layout(principal: Principal | None = None, **_query) -> html.Div:
    data = current_map_data()
    first, _last = analytics.history_extent()
    today = analytics.today()
    start, end = analytics.quick_range(analytics.DEFAULT_RANGE, today, first)
    figure = analytics_map_figure(data.grids, data.streets, data.district, {},
                                  style=request.host_url.rstrip("/") + STYLE_PATH, bounds=data.bounds)
    district = data.district["name"].iloc[0] if len(data.district) else ""
    return html.Div([
        html.Header([
            html.Div([html.H1(f"{district} 96715 · 领导驾驶舱"),
                      html.Span("诉求态势 · 热点网格 · 部门考核", className="an-subtitle")], className="an-brand"),
            html.Div([html.Span(id=ids.REFRESH_STATUS, className="an-refresh-status"),
                      html.Button("立即更新", id=ids.REFRESH_NOW, n_clicks=0, className="an-refresh")],
                     className="an-refresh-box"),
        ], className="an-header"),
        _filters(analytics.options(), start, end, first, today),
        html.Div(id=ids.ERROR, className="an-error", role="alert"),
        html.Section(id=ids.KPIS, className="an-kpis"),
        html.Div([_map_card(figure, first, today), _side()], className="an-main"),
        html.Section([
            html.Div([html.H2("承办单位排名", className="an-card-title"),
                      html.Span(SCORE_NOTE, className="an-card-note")],
                     className="an-card-head"),
            html.Div(id=ids.DEPARTMENTS, className="an-table-wrap"),
        ], className="an-card an-dept-card"),
        _mediation_block(principal),
        _risk_block(principal),
        _consultation_block(principal),
        _social_forces(principal),
        _petitions(principal),
        dcc.Store(id=ids.GRID_COUNTS),
        dcc.Store(id=ids.TREND_DATA),
        dcc.Store(id=ids.REPLAY_DATA),
        dcc.Store(id=ids.FORECAST_DATA),
        dcc.Interval(id=ids.AUTO_TICK, interval=AUTO_REFRESH_MS),
    ], id=ids.PAGE, className="analytics-page")

"""Parts of the leader view (/analytics) that callbacks and tests share: component ids and the pure builders of
KPI tiles and tables (data in, Dash components out). The page itself is screens/analytics.py."""
from __future__ import annotations

from dash import html

from services import analytics, stats


class ids:
    """Component ids of this page (tests use the same names)."""
    PAGE = "an-page"
    CONSULTATION = "an-consultation"   # the 民主恳谈 block (issue 13)
    MEDIATION = "an-mediation"         # the 矛盾纠纷排查调处 block (issue 13)
    MEDIATION_NOTE = "an-mediation-note"
    RISK = "an-risk"                   # the 重大决策社会稳定风险评估 block (issue 13)
    RISK_NOTE = "an-risk-note"
    DATES = "an-dates"
    QUICK = "an-quick"                 # pattern id {"type": QUICK, "range": key}
    CATEGORY = "an-category"
    CHANNEL = "an-channel"
    STREET = "an-street"
    ERROR = "an-error"
    KPIS = "an-kpis"
    MAP = "an-map"
    MAP_MODE = "an-map-mode"
    MAP_SOURCE = "an-map-source"
    MAP_CAPTION = "an-map-caption"
    REPLAY_BAR = "an-replay-bar"
    REPLAY_DAY = "an-replay-day"
    REPLAY_PLAY = "an-replay-play"
    REPLAY_HOUR = "an-replay-hour"
    REPLAY_HOURS = "an-replay-hours"
    REPLAY_READOUT = "an-replay-readout"
    REPLAY_TICK = "an-replay-tick"
    REPLAY_DATA = "an-replay-data"
    TREND = "an-trend"
    TREND_GRAIN = "an-trend-grain"
    TREND_DATA = "an-trend-data"
    HOTSPOTS = "an-hotspots"
    DEPARTMENTS = "an-departments"
    GRID_COUNTS = "an-grid-counts"
    FORECAST_DATA = "an-forecast-data"
    FORECAST_NOTE = "an-forecast-note"
    REFRESH_STATUS = "an-refresh-status"
    REFRESH_NOW = "an-refresh-now"
    AUTO_TICK = "an-auto-tick"


SOURCES = {"window": "区间分布", "replay": "单日回放", "forecast": "明日预测"}
AUTO_REFRESH_MS = 5 * 60_000     # the counts follow new tickets every five minutes without a click
REPLAY_STEP_MS = 1500            # one hour of the replay per 1.5 s: a map redraw here takes about 0.5–1 s
SCORE_NOTE = ("按综合得分排序：按时办结 {on_time_rate}%、满意 {satisfaction_rate}%、重启 {reopen_rate}%、"
              "退回 {returned_rate}%（后两项越低越好）；受理少于 {min} 件的单位列于其后，不参与排名").format(
    min=analytics.MIN_RANKED, **stats.SCORE_WEIGHTS)
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False, "locale": "zh-CN"}
MAP_CONFIG = {**GRAPH_CONFIG, "scrollZoom": True}
DROPDOWN_LABELS = {"search": "输入以筛选", "no_options_found": "没有匹配项", "clear_selection": "清除",
                   "clear_search": "清除", "select_all": "全选", "deselect_all": "全不选", "selected_count": "已选 {num} 项"}


# ------------------------------------------------------------------------------------------------ builders

def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def _delta(current, previous, kind: str, higher_is_better: bool | None) -> html.Span:
    """Change against the previous period: relative for counts, percentage points for rates."""
    if current is None or previous is None or (kind == "count" and not previous):
        return html.Span("上期无数据", className="kpi-delta flat")
    diff = (current - previous) / previous * 100 if kind == "count" else (current - previous) * 100
    if abs(diff) < 0.05:
        return html.Span("与上期持平", className="kpi-delta flat")
    arrow = "↑" if diff > 0 else "↓"
    tone = "flat" if higher_is_better is None else ("good" if (diff > 0) == higher_is_better else "bad")
    text = f"{arrow} {abs(diff):.1f}%" if kind == "count" else f"{arrow} {abs(diff):.1f} 个百分点"
    return html.Span([text, html.Span(" 较上期", className="kpi-delta-note")], className=f"kpi-delta {tone}")


def kpi_tiles(current: dict, previous: dict, days: int = 1) -> list[html.Div]:
    tiles = [
        ("受理量", f"{current['received']:,}", f"件 · 日均 {current['received'] / max(days, 1):,.1f} 件", "received",
         "count", None),
        ("办结率", percent(current["closure_rate"]), f"办结 {current['closed']:,} / 受理 {current['received']:,}",
         "closure_rate", "rate", True),
        ("按时办结率", percent(current["on_time_rate"]), f"按时 {current['on_time']:,} / 应办结 {current['due']:,}",
         "on_time_rate", "rate", True),
        ("满意率", percent(current["satisfaction_rate"]),
         f"满意 {current['satisfied']:,} / 评价 {current['evaluated']:,}", "satisfaction_rate", "rate", True),
    ]
    return [html.Div([
        html.Div(label, className="kpi-label"),
        html.Div(value, className="kpi-value"),
        html.Div(sub, className="kpi-sub"),
        _delta(current[key], previous[key], kind, better),
    ], className="kpi") for label, value, sub, key, kind, better in tiles]


def change_cell(change: float | None, previous: int) -> html.Td:
    """↑ in red (more requests than before), ↓ in green; 新增 when the grid had none in the previous period."""
    if change is None:
        return html.Td("新增", className="chg new") if not previous else html.Td("—", className="chg flat")
    if abs(change) < 0.0005:
        return html.Td("持平", className="chg flat")
    arrow, tone = ("↑", "up") if change > 0 else ("↓", "down")
    return html.Td(f"{arrow} {abs(change) * 100:.0f}%", className=f"chg {tone}")


def hotspot_table(rows: list[dict], previous_label: str) -> html.Table | html.Div:
    if not rows:
        return html.Div("所选范围内没有工单", className="an-empty")
    head = html.Thead(html.Tr([html.Th("#"), html.Th("网格"), html.Th("街道 · 社区"), html.Th("本期", className="num"),
                               html.Th("上期", className="num", title=previous_label),
                               html.Th("环比", className="num")]))
    body = html.Tbody([html.Tr([
        html.Td(i, className="rank"),
        html.Td(r["name"], className="name", title=r["code"]),
        html.Td(f"{r['street']} · {r['community']}", className="place"),
        html.Td(f"{r['received']:,}", className="num strong"),
        html.Td(f"{r['previous']:,}", className="num muted"),
        change_cell(r["change"], r["previous"]),
    ]) for i, r in enumerate(rows, start=1)])
    return html.Table([head, body], className="an-table hotspots")


def rate_cell(rate: float | None, good: float, fair: float, penalty: bool = False) -> html.Td:
    """A rate coloured by how it reads for a department (penalty rates: lower is better)."""
    if rate is None:
        return html.Td("—", className="num muted")
    ok = rate <= good if penalty else rate >= good
    fine = rate <= fair if penalty else rate >= fair
    return html.Td(percent(rate), className=f"num {'good' if ok else 'fair' if fine else 'bad'}")


def department_table(rows: list[dict]) -> html.Table | html.Div:
    if not rows:
        return html.Div("所选范围内没有承办单位的工单", className="an-empty")
    head = html.Thead(html.Tr([html.Th("排名"), html.Th("承办单位"), html.Th("受理", className="num"),
                               html.Th("按时办结率", className="num"), html.Th("满意率", className="num"),
                               html.Th("重启率", className="num"), html.Th("退回次数", className="num"),
                               html.Th("退回率", className="num"), html.Th("综合得分", className="num")]))
    body = html.Tbody([html.Tr([
        html.Td(r["rank"] or "—", className="rank", title="" if r["rank"] else "受理量不足，不参与排名"),
        html.Td(r["name"], className="name"),
        html.Td(f"{r['received']:,}", className="num"),
        rate_cell(r["on_time_rate"], 0.95, 0.85),
        rate_cell(r["satisfaction_rate"], 0.95, 0.85),
        rate_cell(r["reopen_rate"], 0.02, 0.05, penalty=True),
        html.Td(f"{r['returns']:,}", className="num"),
        rate_cell(r["returned_rate"], 0.02, 0.05, penalty=True),
        html.Td("—" if r["score"] is None else f"{r['score']:.1f}", className="num strong"),
    ], className="" if r["rank"] else "unranked") for r in rows])
    return html.Table([head, body], className="an-table departments")


def forecast_note(forecast: dict | None) -> list | str:
    """Under the map in 明日预测: what the forecast says and what it was judged on, beside the plain forecasts."""
    if not forecast:
        return "尚无预测模型：运行 python -m etl train 后显示明日各网格的预计受理量。"
    m = forecast["metrics"]
    dev, mae, hits = m["poisson_deviance"], m["mae_per_cell"], m["top20_hits"]
    used = "预测模型" if m["use"] == "model" else "基线（模型未优于基线）"
    groups = " · ".join(f"{g} {v:.0f}" for g, v in forecast["by_group"].items())
    return [html.Div([f"{forecast['day']} 预计受理 ", html.Strong(f"{forecast['total']:.0f}"), f" 件（{groups}）· 显示：{used}"]),
            html.Div(f"检验（{m['test_from']} 起 {m['test_days']} 天）每网格日偏差：模型 {dev['model']:.3f} · 上周同日 "
                     f"{dev['same_day_last_week']:.3f} · 近4周均值 {dev['trailing_4_weeks']:.3f}；平均绝对误差 模型 "
                     f"{mae['model']:.3f} / {mae['same_day_last_week']:.3f} / {mae['trailing_4_weeks']:.3f}；前20热点命中 "
                     f"{hits['model']:.1f} / {hits['same_day_last_week']:.1f} / {hits['trailing_4_weeks']:.1f}",
                     className="an-forecast-figures"),
            html.Div("历史数据由本系统的需求模型生成，预测方法不读取其参数。", className="an-forecast-figures")]

"""Wall screen: tiles and the day's story (categories, streets, hourly curve, crews, deadline lists, the events to
notice) refreshed from PostGIS every few seconds — small, no personal data; the map's tickets and crews move by
themselves through assets/livemap.js. Rows carry keys so an unchanged row is never redrawn (a calm wall)."""
from __future__ import annotations

from dash import Input, Output, callback, html

from screens import ids
from screens.panels import countdown
from security.sessions import current_principal
from services import wall
from workorders.clock import local_clock
from workorders.vocabulary import LEVEL_NAMES


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _tile(label: str, value, tone: str = "") -> html.Div:
    return html.Div([html.Div(value, className="tile-value"), html.Div(label, className="tile-label")],
                    className=f"tile {tone}")


def arrival_text(minutes: float | None) -> str:
    """Average arrival for the tile; under a minute reads "<1分" (a bare "0分" looks like a broken figure)."""
    if minutes is None:
        return "—"
    return "<1分" if minutes < 0.5 else f"{minutes:.0f}分"


def tiles(k: dict) -> list:
    """Six figures, three by two. (The day's closures over its receipts is left out: in the morning it reads 0.2 %
    and looks broken, since most of what closes today was received earlier.)"""
    sla = "" if k["arrival_sla_minutes"] is None else f" · 时限{k['arrival_sla_minutes']:.0f}分"
    return [
        _tile("今日受理", f"{k['received']:,}"),
        _tile("今日办结", f"{k['closed']:,}"),
        _tile("按时办结率", _percent(k["on_time_rate"]), "good" if (k["on_time_rate"] or 0) >= 0.9 else "warn"),
        _tile("超时工单", f"{k['overdue']:,}", "bad" if k["overdue"] else "good"),
        _tile("出动力量", f"{k['crews_out']:,}"),
        _tile("到场" + sla, arrival_text(k["arrival_minutes"])),
    ]


def short_number(number: str) -> str:
    """'20261203-000042' → '1203-42': what a watcher reads out from five metres (month-day and the day's count)."""
    day, _, seq = number.partition("-")
    if seq.isdigit() and len(day) == 8 and day.isdigit():
        return f"{day[4:]}-{int(seq)}"
    return number[-6:]          # a number of another form (an import's): its end, which tells tickets apart


def category_bars(rows: list[dict]) -> list:
    top = max((r["n"] for r in rows), default=0)
    return [html.Li([
        html.Span(r["name"], className="b-name"),
        html.Span(html.Span(className="b-fill", style={"width": f"{100 * r['n'] / top:.1f}%"}), className="b-bar"),
        html.Span(f"{r['n']:,}", className="b-n"),
    ], key=r["code"]) for r in rows] or [html.Li("今日暂无诉求", className="calm")]


def street_ranking(rows: list[dict]) -> list:
    return [html.Li([
        html.Span(str(i), className="s-rank"),
        html.Span(r["name"].removesuffix("街道"), className="s-name"),
        html.Span(f"{r['n']:,}", className="s-n"),
        html.Span(f"{r['overdue']:,}" if r["overdue"] else "", className="s-over"),
    ], key=r["code"]) for i, r in enumerate(rows, 1)]


def hourly_chart(curve: dict) -> list:
    """24 columns: today's count per hour (bars; hours to come stay empty) and the same weekday a week ago (a line
    mark in each column), with the running totals compared in the heading."""
    today, before = curve["today"], curve["last_week"]
    top = max([v or 0 for v in today] + before + [1])
    so_far, then = curve["so_far"], curve["last_week_so_far"]
    change = "" if not then else f"（{(so_far - then) / then:+.0%}）" if so_far < 10 * then else f"（{so_far / then:.0f}倍）"
    columns = []
    for hour in range(24):
        bar = [] if today[hour] is None else [html.Span(className="h-today", style={"height": f"{100 * today[hour] / top:.1f}%"})]
        columns.append(html.Div(bar + [html.Span(className="h-before", style={"bottom": f"{100 * before[hour] / top:.1f}%"})],
                                className="h-col now" if hour == curve["current_hour"] else "h-col", key=str(hour)))
    return [
        html.H2([f"今日每小时受理 {so_far:,}", html.Span(f" · 上周同日同期 {then:,}{change}", className="h-then")],
                className="wall-h"),
        html.Div(columns, className="h-chart"),
        html.Div([html.Span(f"{h}时", style={"left": f"{100 * h / 24:.2f}%"}) for h in (0, 6, 12, 18)],
                 className="h-axis"),
    ]


def crew_chips(rows: list[dict]) -> list:
    return [html.Li([html.Span(r["kind"], className="c-kind"),
                     html.Span(f"{r['on_job']} / {r['on_duty']}", className="c-n busy" if r["on_job"] else "c-n")],
                    key=r["kind"]) for r in rows] or [html.Li("暂无在岗力量", className="calm")]


def _due_label(row: dict) -> str:
    return "到场" if row["due_kind"] == "arrival" else "办结"


def _deadline_row(row: dict, chance: bool) -> html.Li:
    cells = [
        html.Span(short_number(row["number"]), className="w-num"),
        html.Span(row["category"], className="w-cat"),
        html.Span(row["community"].removesuffix("社区"), className="w-place"),
        countdown(row["due"], _due_label(row), minutes=True),
    ]
    if chance:
        p = row.get("p")
        level = "" if p is None else "high" if p >= 0.5 else "mid" if p >= 0.2 else "low"
        cells.append(html.Span("—" if p is None else f"{p:.0%}", className=f"w-p {level}"))
    return html.Li(cells, key=row["number"], className=f"p{row['priority']}")


def overdue_list(block: dict) -> list:
    return [html.H2(["已超时 ", html.Span(f"{block['total']:,}", className="l-total")], className="wall-h"),
            html.Ul([_deadline_row(r, chance=False) for r in block["rows"]]
                    or [html.Li("暂无超时工单", className="calm")], className="wall-watch")]


def at_risk_list(block: dict) -> list:
    return [html.H2(["即将超时（2小时内） ", html.Span(f"{block['total']:,}", className="l-total"),
                     html.Span("超时概率", className="l-p")], className="wall-h"),
            html.Ul([_deadline_row(r, chance=True) for r in block["rows"]]
                    or [html.Li("暂无临近时限的工单", className="calm")], className="wall-watch")]


def event_label(event: dict) -> str:
    if event["kind"] == "alarm":
        return "一键通呼叫"
    if event["kind"] == "joint_meeting":
        return "联席会办"
    if event["arrival_breach"]:
        return "到场超时"
    return f"升级·{LEVEL_NAMES[min(max(event['escalation_level'], 1), 2)]}督办"


def ticker_rows(events: list[dict]) -> list:
    return [html.Li([
        html.Span(local_clock(e["at"]), className="tk-time"),
        html.Span(event_label(e), className=f"tk-kind k-{e['kind']}"),
        html.Span(e["category"], className="tk-cat"),
        html.Span(f"{e['street']} · {e['community']}", className="tk-place"),
    ], key=f"{e['kind']}-{e['number']}-{e['at'].isoformat()}") for e in events] or [
        html.Li("今日暂无升级、联席会办或一键通呼叫", className="calm")]


@callback(Output(ids.WALL_TILES, "children"), Output(ids.WALL_CATEGORIES, "children"),
          Output(ids.WALL_STREETS, "children"), Output(ids.WALL_HOURS, "children"),
          Output(ids.WALL_CREWS, "children"), Output(ids.WALL_OVERDUE, "children"),
          Output(ids.WALL_AT_RISK, "children"), Output(ids.WALL_TICKER, "children"),
          Input(ids.WALL_TICK, "n_intervals"))
def refresh_wall(_n):
    principal = current_principal()
    story = wall.day_story(principal)
    return (tiles(wall.kpis(principal)), category_bars(story["categories"]), street_ranking(story["streets"]),
            hourly_chart(story["hours"]), crew_chips(story["crews"]), overdue_list(story["overdue"]),
            at_risk_list(story["at_risk"]), ticker_rows(story["events"]))

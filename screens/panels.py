"""Side panel of a grid cell (pure: detail dict in, Dash components out)."""
from __future__ import annotations

from dash import html

from layers.crews import STATUS_COLOURS, STATUS_LABELS


def _row(label: str, value) -> html.Div:
    return html.Div([html.Span(label, className="k"), html.Span(value if value not in (None, "") else "—",
                                                                 className="v")], className="row")


def _status(status: str) -> html.Span:
    return html.Span(STATUS_LABELS.get(status, status), className="status",
                     style={"backgroundColor": STATUS_COLOURS.get(status, "#888")})


def _distance(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def grid_panel(detail: dict) -> list:
    worker = detail.get("grid_crews") or []
    return [
        html.H2(detail["name"], className="panel-title"),
        html.Div(f"{detail['street']} · {detail['community']}", className="panel-sub"),
        html.Div([
            _row("网格编码", detail["code"]),
            _row("所属社区", f"{detail['community']}（{detail['community_kind']}）"),
            _row("所属街道", detail["street"]),
            _row("面积", f"{detail['area_km2']:.2f} km²"),
            _row("网格员", f"{detail['worker_name'] or '—'}  {detail['worker_phone'] or ''}"),
            _row("综治干部", f"{detail['cadre_name'] or '—'}  {detail['cadre_phone'] or ''}"),
            _row("网格员状态", _status(worker[0]["status"]) if worker else "—"),
        ], className="panel-block"),
        html.H3(f"网格内摄像头 {detail['camera_count']} 个", className="panel-h"),
        html.Ul([html.Li(f"{c['code']} · {c['kind']}") for c in detail["cameras"]], className="panel-list cams")
        if detail["cameras"] else html.Div("本网格无摄像头", className="panel-empty"),
        html.H3("附近处置力量", className="panel-h"),
        html.Ul([html.Li([_status(c["status"]), html.Span(c["name"], className="crew-name"),
                          html.Span(_distance(c["metres"]), className="crew-dist")]) for c in detail["crews"]],
                className="panel-list crews"),
    ]

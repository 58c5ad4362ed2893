"""The dispatcher's side panel of a grid cell (pure: data in, Dash components out)."""
from __future__ import annotations

from datetime import datetime

from dash import html

from layers.crews import STATUS_COLOURS, STATUS_LABELS
from screens import ids
from workorders.privacy import masked_citizen, public_place_name
from workorders.states import STATES
from workorders.vocabulary import PRIORITY_LABELS


def _row(label: str, value) -> html.Div:
    return html.Div([html.Span(label, className="k"), html.Span(value if value not in (None, "") else "—",
                                                                 className="v")], className="row")


def _status(status: str) -> html.Span:
    return html.Span(STATUS_LABELS.get(status, status), className="status",
                     style={"backgroundColor": STATUS_COLOURS.get(status, "#888")})


def _distance(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def countdown(due: datetime | None, label: str, minutes: bool = False) -> html.Span:
    """A deadline that assets/countdown.js keeps ticking in the browser (no server round trip per second);
    ``minutes``: to the minute (the wall, where a ticking seconds digit is motion that carries no news)."""
    if due is None:
        return html.Span()
    precision = {"data-precision": "minute"} if minutes else {}
    return html.Span(label, className="countdown", **{"data-due": due.isoformat(), "data-label": label},
                     **precision)


def _ticket_row(ticket: dict, selected: bool) -> html.Li:
    arrival_open = ticket["arrival_due_at"] and not ticket["on_site_at"]
    due, label = (ticket["arrival_due_at"], "到场") if arrival_open else (ticket["resolve_due_at"], "办结")
    return html.Li([
        html.Span(PRIORITY_LABELS.get(ticket["priority"], ""), className=f"prio p{ticket['priority']}"),
        html.Span(ticket["category_name"], className="t-cat"),
        html.Span(STATES.get(ticket["state"], ticket["state"]), className=f"t-state s-{ticket['state']}"),
        countdown(due, label),
        _risk(ticket.get("risk")),
        html.Span(ticket["number"], className="t-num"),
    ], id={"type": ids.PANEL_TICKET, "number": ticket["number"]}, n_clicks=0,
        className="ticket-row selected" if selected else "ticket-row")


def _risk(chance: float | None) -> html.Span | None:
    """The model's chance that this ticket misses its deadline (services/predictions.py), where it is known."""
    if chance is None:
        return None
    level = "high" if chance >= 0.5 else "mid" if chance >= 0.2 else "low"
    return html.Span(f"超时风险 {chance:.0%}", className=f"t-risk r-{level}")


def _advice(advice) -> html.Div | None:
    """The recommendation that misses the fewest deadlines; its crew's 派单 below reads 采纳推荐 (one click), and
    any other crew of the list stays choosable."""
    if advice is None:
        return None
    if advice.crew is None:
        return html.Div(f"推荐：{advice.reason}", className="panel-advice none")
    return html.Div([
        html.Div([html.Strong("推荐派单 "), html.Span(advice.crew, className="crew-name"),
                  html.Span(f" 约{advice.eta_minutes:.0f}分钟 · 超时概率 {advice.breach_probability:.0%}")]),
        html.Div(advice.reason, className="advice-reason"),
    ], className="panel-advice")


def _crew_row(crew: dict, number: str, recommended: bool = False) -> html.Li:
    return html.Li([
        html.Div([html.Span(crew["name"], className="crew-name"),
                  html.Span(f"{crew['department']}" + (f" · {crew['station']}" if crew.get("station") else ""),
                            className="crew-dept")], className="crew-main"),
        html.Span(f"{_distance(crew['metres'])} · 约{crew['eta_minutes']:.0f}分钟", className="crew-dist"),
        html.Span("可能超时", className="late-flag") if crew["late"] else None,
        html.Button("采纳推荐" if recommended else "派单",
                    id={"type": ids.ASSIGN, "crew": crew["code"], "ticket": number}, n_clicks=0,
                    className="assign advice-accept" if recommended else "assign"),
    ], className="crew-row recommended" if recommended else "crew-row")


def _who_and_where(ticket: dict, personal: bool) -> list:
    """The typed address and the (masked) citizen for a principal who may read tickets; the place only for the
    others who open this map (the leader)."""
    if not personal:
        return [_row("位置", public_place_name(ticket))]
    return [_row("地址", ticket["address"] or f"{ticket['grid_name']}"),
            _row("诉求人", masked_citizen(ticket["citizen_name"], ticket["citizen_phone"]))]


def _selected_block(panel: dict, personal: bool) -> list:
    ticket = panel["selected"]
    if ticket is None:
        return [html.Div("本网格暂无待办工单", className="panel-empty")]
    block = [
        html.H3(f"工单 {ticket['number']}", className="panel-h"),
        html.Div([
            _row("事项", f"{ticket['category_name']}（{PRIORITY_LABELS.get(ticket['priority'], '')}）"),
            _row("状态", STATES.get(ticket["state"], ticket["state"])),
            _row("承办单位", ticket["lead_department_name"]),
            *_who_and_where(ticket, personal),
            _row("到场时限", countdown(ticket["arrival_due_at"], "到场") if ticket["arrival_due_at"] else "—"),
            _row("办结时限", countdown(ticket["resolve_due_at"], "办结")),
        ], className="panel-block"),
    ]
    if panel["crews"]:
        advice = panel.get("advice")
        chosen = advice.crew if advice else None
        block += [_advice(advice), html.H3("可派处置力量（由近及远）", className="panel-h"),
                  html.Ul([_crew_row(c, ticket["number"], c["code"] == chosen) for c in panel["crews"]],
                          className="panel-list crews")]
    elif ticket["crew_code"]:
        block.append(html.Div(f"已派：{ticket['crew_code']}", className="panel-note"))
    else:
        block.append(html.Div("附近暂无可派的待命力量", className="panel-empty"))
    if panel["cameras"]:
        block += [html.H3("附近摄像头", className="panel-h"),
                  html.Ul([html.Li(f"{c['code']} · {c['kind']} · {_distance(c['metres'])}")
                           for c in panel["cameras"]], className="panel-list cams")]
    return block


def dispatch_panel(panel: dict, message: str | None = None, personal: bool = False) -> list:
    """The panel; ``personal``: whether the viewer may read tickets in full (policy ``ticket_read``)."""
    cell = panel["cell"]
    selected = panel["selected"]["number"] if panel["selected"] else None
    worker = cell.get("grid_crews") or []
    return [
        html.H2(cell["name"], className="panel-title"),
        html.Div(f"{cell['street']} · {cell['community']} · {cell['code']}", className="panel-sub"),
        html.Div(message, className="panel-message") if message else None,
        html.Div([
            _row("网格员", [f"{cell['worker_name'] or '—'} {cell['worker_phone'] or ''} ",
                           _status(worker[0]["status"]) if worker else ""]),
            _row("综治干部", f"{cell['cadre_name'] or '—'} {cell['cadre_phone'] or ''}"),
            _row("摄像头", f"{cell['camera_count']} 个 · 面积 {cell['area_km2']:.2f} km²"),
        ], className="panel-block"),
        html.H3(f"待办工单 {len(panel['tickets'])} 件（按时限）", className="panel-h"),
        html.Ul([_ticket_row(t, t["number"] == selected) for t in panel["tickets"]], className="panel-list tickets")
        if panel["tickets"] else None,
        *_selected_block(panel, personal),
    ]

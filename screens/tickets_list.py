"""`/tickets` — the list of work orders for operators, dispatchers, supervisors and leaders: filters, text search,
sort, paging, counts by state, CSV/XLSX export of what the filters select, bulk 派单/转办 for dispatchers."""
from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import dcc, html

from services import ticket_list
from workorders.policy import Principal, can
from workorders.states import STATES
from workorders.vocabulary import CHANNELS

dash.register_page(__name__, path="/tickets", title="铁东区 96715 · 工单列表", name="工单列表")

# The list follows the live feed (assets/live_nudge.js nudges ids.LIVE on every batch) for who holds it; an
# operator does not (no live_feed), and a slow tick is the page's only way to see new work. Either way the callback
# asks for the page's signature first and redraws the table only when the rows of the page changed.
REFRESH_MS = 30_000


class ids:
    STATE = "tickets-state"
    CATEGORY = "tickets-category"
    CHANNEL = "tickets-channel"
    STREET = "tickets-street"
    COMMUNITY = "tickets-community"
    DEPARTMENT = "tickets-department"
    SINCE = "tickets-since"
    UNTIL = "tickets-until"
    FLAGS = "tickets-flags"
    SATISFACTION = "tickets-satisfaction"
    TEXT = "tickets-text"
    SORT = "tickets-sort"
    SIZE = "tickets-size"
    SEARCH = "tickets-search"
    EXPORT_CSV = "tickets-export-csv"
    EXPORT_XLSX = "tickets-export-xlsx"
    ERROR = "tickets-error"
    COUNTS = "tickets-counts"
    RESULTS = "tickets-results"
    PAGE = "tickets-page"
    PREV = "tickets-prev"
    NEXT = "tickets-next"
    PAGER = "tickets-pager"
    PICK = "tickets-pick"                 # pattern id: {"type": PICK, "number": n}
    BULK_DEPARTMENT = "tickets-bulk-department"
    BULK_DISPATCH = "tickets-bulk-dispatch"
    BULK_TRANSFER = "tickets-bulk-transfer"
    BULK_RESULT = "tickets-bulk-result"
    REFRESH = "tickets-refresh"          # the slow tick, for who does not hold the live feed
    LIVE = "tickets-live"                # set by assets/live_nudge.js when the feed brings tickets
    SHOWN = "tickets-shown"              # the signature of what is drawn (services.ticket_list.page_signature)
    ROOT = "tickets-page"


FIELDS = ("state", "category", "channel", "street", "community", "department", "since", "until", "flags",
          "satisfaction", "q", "sort")


def form_values(values: tuple) -> dict:
    """The page's filter controls (in FIELDS order) as the service's arguments."""
    form = dict(zip(FIELDS, values))
    flags = form.pop("flags") or []
    form["overdue"], form["escalated"] = "overdue" in flags, "escalated" in flags
    return form


def export_href(fmt: str, args: dict[str, str]) -> str:
    return f"/tickets/export.{fmt}" + (f"?{urlencode(args)}" if args else "")


def counts_line(page: ticket_list.Page) -> html.Div:
    chips = [html.Span([STATES.get(s, s), html.B(f" {n}")], className="tickets-count", **{"data-state": s})
             for s, n in sorted(page.counts.items(), key=lambda item: list(STATES).index(item[0]))]
    return html.Div([html.Span(["共 ", html.B(str(page.total), id="tickets-total"), " 件"],
                               className="tickets-count total"), *chips], className="tickets-counts")


def _cell_due(row: dict):
    text = row["resolve_due_at"] or "—"
    return html.Td(text, className="mono overdue" if row["overdue"] else "mono")


def results_table(page: ticket_list.Page, selectable: bool, picked: frozenset[str] = frozenset()) -> html.Div:
    """``picked``: the numbers ticked before a live redraw, ticked again where they still are."""
    if not page.rows:
        return html.Div("没有符合条件的工单", className="muted", id="tickets-empty")
    head = ["工单号", "登记时间", "状态", "类别", "渠道", "街道 · 社区", "承办单位", "办结时限", "督办", "评价"]
    if page.personal:
        head += ["群众", "诉求内容"]
    if selectable:
        head = ["选择", *head]
    body = []
    for row in page.rows:
        cells = [
            html.Td(dcc.Link(row["number"], href=f"/tickets/{row['number']}", className="mono")),
            html.Td(row["registered_at"], className="mono"),
            html.Td(html.Span(row["state_label"], className=f"state-badge state-{row['state']}")),
            html.Td(row["category_name"]), html.Td(row["channel"]),
            html.Td(f"{row['street_name']} · {row['community_name']}"), html.Td(row["department"]),
            _cell_due(row), html.Td(f"{row['escalation_level']} 级" if row["escalation_level"] else ""),
            html.Td(row["satisfaction"]),
        ]
        if page.personal:
            cells += [html.Td(f"{row['citizen_name'] or ''} {row['citizen_phone'] or ''}".strip()),
                      html.Td((row["description"] or "")[:40], title=row["description"], className="tickets-text")]
        if selectable:
            cells.insert(0, html.Td(dcc.Checklist(id={"type": ids.PICK, "number": row["number"]},
                                                  options=[{"label": "", "value": row["number"]}],
                                                  value=[row["number"]] if row["number"] in picked else [],
                                                  className="tickets-pick")))
        body.append(html.Tr(cells, className="tickets-row", **{"data-number": row["number"]}))
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                      className="audit-table tickets-table")


def pager(page: ticket_list.Page) -> str:
    return f"第 {page.page} / {page.pages} 页 · 每页 {page.size} 件"


def _dropdown(component_id: str, options, placeholder: str, multi: bool = False) -> dcc.Dropdown:
    return dcc.Dropdown(id=component_id, options=[{"label": name, "value": code} for code, name in options],
                        placeholder=placeholder, multi=multi, clearable=True, className="audit-choice")


def _bulk_bar(options: dict) -> html.Section:
    return html.Section([
        html.H2("批量派单 / 转办", className="card-title"),
        html.Div([
            html.Button("派单（按规则派往承办单位）", id=ids.BULK_DISPATCH, n_clicks=0, type="button",
                        className="btn-primary"),
            html.Label(["转办到", _dropdown(ids.BULK_DEPARTMENT, options["departments"], "选择承办单位")]),
            html.Button("转办", id=ids.BULK_TRANSFER, n_clicks=0, type="button", className="btn-secondary"),
        ], className="form-actions tickets-bulk"),
        html.Div(id=ids.BULK_RESULT, className="muted", role="status"),
    ], className="card")


def layout(principal: Principal | None = None, **_query) -> html.Div:
    options = ticket_list.filter_options()
    query = ticket_list.first_page_query()
    page = ticket_list.list_page(principal, query)
    selectable = can(principal, "dispatch")
    live = can(principal, "live_feed")
    filters = html.Div([
        html.Label(["状态", _dropdown(ids.STATE, STATES.items(), "全部状态", multi=True)]),
        html.Label(["类别", _dropdown(ids.CATEGORY, options["categories"], "全部类别", multi=True)]),
        html.Label(["渠道", _dropdown(ids.CHANNEL, CHANNELS.items(), "全部渠道", multi=True)]),
        html.Label(["街道", _dropdown(ids.STREET, options["streets"], "全部街道")]),
        html.Label(["社区", _dropdown(ids.COMMUNITY, options["communities"], "全部社区")]),
        html.Label(["承办单位", _dropdown(ids.DEPARTMENT, options["departments"], "全部单位")]),
        html.Label(["登记自", dcc.Input(id=ids.SINCE, type="date", className="intake-input")]),
        html.Label(["登记至", dcc.Input(id=ids.UNTIL, type="date", className="intake-input")]),
        html.Label(["评价", _dropdown(ids.SATISFACTION, ticket_list.SATISFACTION_FILTER.items(), "全部")]),
        html.Label(["排序", dcc.Dropdown(id=ids.SORT, options=[{"label": v, "value": k}
                                                              for k, v in ticket_list.SORT_LABELS.items()],
                                         value="registered_desc", clearable=False, className="audit-choice")]),
        dcc.Checklist(id=ids.FLAGS, options=[{"label": "已超时", "value": "overdue"},
                                             {"label": "已升级督办", "value": "escalated"}],
                      value=[], inline=True, className="tickets-flags"),
    ], className="audit-filters tickets-filters")
    return html.Div([
        html.Main([
            html.Section([
                html.H1("工单列表", className="page-title"),
                html.Div([html.Label(dcc.Input(id=ids.TEXT, type="search", maxLength=ticket_list.MAX_TEXT,
                                               debounce=True, placeholder="搜索诉求内容或地址，例如 漏水、胜利路",
                                               className="intake-input"), className="tickets-search"),
                          html.Button("查询", id=ids.SEARCH, n_clicks=0, type="button", className="btn-primary"),
                          html.A("导出 CSV", id=ids.EXPORT_CSV, href=export_href("csv", {}),
                                 className="btn-secondary"),
                          html.A("导出 Excel", id=ids.EXPORT_XLSX, href=export_href("xlsx", {}),
                                 className="btn-secondary")], className="tickets-searchbar"),
                filters,
                html.Div(id=ids.ERROR, className="field-error", role="alert"),
            ], className="card"),
            # The list's callback listens to the bulk result: it exists for every role (empty without the bar).
            _bulk_bar(options) if selectable else html.Div(id=ids.BULK_RESULT, hidden=True),
            html.Section([
                html.Div(counts_line(page), id=ids.COUNTS),
                html.Div(results_table(page, selectable), id=ids.RESULTS),
                html.Div([html.Button("上一页", id=ids.PREV, n_clicks=0, type="button", className="btn-secondary"),
                          html.Span(pager(page), id=ids.PAGER, className="muted"),
                          html.Button("下一页", id=ids.NEXT, n_clicks=0, type="button", className="btn-secondary")],
                         className="tickets-pagination"),
            ], className="card audit-results"),
            dcc.Store(id=ids.PAGE, data={"page": page.page, "pages": page.pages}),
            dcc.Store(id=ids.LIVE), dcc.Store(id=ids.SHOWN, data=page.signature),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS, disabled=live),
        ], className="audit-main tickets-main"),
    ], className="intake-page audit-page tickets-page", id=ids.ROOT, **{"data-live": "1" if live else "0"})

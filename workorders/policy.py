"""Who may do what: the one table of rights of the product, in plain Python (no web framework, no database).

Every door asks here, and (from phase 2 of the sign-in issue on) every service: ``can(principal, right, target)``
answers, ``require(...)`` raises ``Forbidden``. A right is held through a role; the roles of a unit's staff, of a
street's or a community's and of a grid worker are *scoped*: their rights on a ticket hold only when the ticket is
theirs (``Target``). Hiding a button is not a right: this table is.

Also here: which page each role may open, which data endpoint, and where each role lands after signing in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

# ------------------------------------------------------------------------------------------------ roles

ROLES: dict[str, str] = {
    "operator": "话务员",
    "dispatcher": "调度员",
    "department": "承办单位",
    "street": "街道",
    "community": "社区",
    "supervisor": "督办",
    "leader": "领导",
    "wall": "大屏",
    "grid_worker": "网格员",
    "admin": "系统管理员",
}

# The scope a scoped role is bound to: a user with the role must carry that scope (the CLI refuses otherwise).
ROLE_SCOPE: dict[str, str] = {"department": "department", "street": "street", "community": "community",
                              "grid_worker": "crew"}

# ------------------------------------------------------------------------------------------------ rights

RIGHTS: dict[str, str] = {
    "intake": "登记工单（热线、信函、来访）",
    "caller_history": "查看来电人的历史工单",
    "ticket_read": "查看工单全文（含群众姓名、电话、地址）",
    "ticket_handle": "办理工单（签收、退回、回复）",
    "command_map": "查看指挥地图与实时态势",
    "dispatch": "派单",
    "transfer": "转办",
    "supervision": "督办",
    "analytics": "统计分析与全部指标",
    "export": "导出统计与考核",
    "wall": "大屏（只读，个人信息遮蔽）",
    "live_feed": "实时工单与处置力量位置",
    "grid_tasks": "本网格的任务与上报",
    "users": "用户与角色管理",
    "rules": "类别与派单规则",
    "api_keys": "API 密钥",
    "audit": "审计日志",
}

ROLE_RIGHTS: dict[str, frozenset[str]] = {
    "operator": frozenset({"intake", "caller_history", "ticket_read"}),
    "dispatcher": frozenset({"command_map", "dispatch", "transfer", "ticket_read", "live_feed", "wall"}),
    "department": frozenset({"ticket_read", "ticket_handle"}),
    "street": frozenset({"ticket_read", "ticket_handle"}),
    "community": frozenset({"ticket_read", "ticket_handle"}),
    "supervisor": frozenset({"supervision", "ticket_read", "command_map", "live_feed", "analytics", "export",
                             "audit"}),
    "leader": frozenset({"analytics", "export", "command_map", "live_feed", "wall"}),
    "wall": frozenset({"wall", "live_feed"}),
    "grid_worker": frozenset({"grid_tasks", "ticket_read", "ticket_handle"}),
    "admin": frozenset({"users", "rules", "api_keys", "audit"}),
}

# What a scoped role's tickets are filtered by: (filter name, Principal attribute).
SCOPE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "department": (("department", "department_code"),), "street": (("street", "street_code"),),
    "community": (("community", "community_code"),), "grid_worker": (("grid", "grid_code"), ("crew", "crew_code")),
}

# Rights that a scoped role holds only on its own tickets (the others it holds, it holds everywhere).
SCOPED_RIGHTS = frozenset({"ticket_read", "ticket_handle", "grid_tasks"})


class Forbidden(Exception):
    """The principal may not do this. ``message`` is what a person reads (zh-CN)."""

    def __init__(self, right: str, message: str | None = None):
        self.right = right
        self.message = message or f"没有权限：{RIGHTS.get(right, right)}"
        super().__init__(self.message)


class SignInRequired(Forbidden):
    """Nobody is signed in (and the thing is not public)."""

    def __init__(self, right: str):
        super().__init__(right, "请先登录")


@dataclass(frozen=True)
class Principal:
    """Who acts: a signed-in user (or, later, the holder of an API key), with roles and scopes."""
    id: int | None
    name: str
    roles: frozenset[str]
    display_name: str = ""
    department_code: str | None = None
    street_code: str | None = None
    community_code: str | None = None
    crew_code: str | None = None
    grid_code: str | None = None          # a grid worker's grid: the grid of their crew
    kind: str = "user"                    # "user" | "api_key"

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def is_kiosk(self) -> bool:
        """A wall screen's session: it never times out. Only a user who is nothing but ``wall``."""
        return self.roles == frozenset({"wall"})

    def role_names(self) -> list[str]:
        return [ROLES[r] for r in ROLES if r in self.roles]


@dataclass(frozen=True)
class Target:
    """What a scoped right is checked against: a ticket's place and units."""
    department_codes: frozenset[str] = field(default_factory=frozenset)   # lead and co-handling units
    street_code: str | None = None
    community_code: str | None = None
    grid_code: str | None = None
    crew_code: str | None = None

    @classmethod
    def of_ticket(cls, ticket: Mapping) -> "Target":
        """From a ticket row (``lead_department_code``, ``co_department_codes``, ``street_code`` …)."""
        units = {ticket.get("lead_department_code"), *(ticket.get("co_department_codes") or ())}
        return cls(frozenset(u for u in units if u), ticket.get("street_code"), ticket.get("community_code"),
                   ticket.get("grid_code"), ticket.get("crew_code"))


def _within_scope(role: str, principal: Principal, target: Target) -> bool:
    if role == "department":
        return principal.department_code is not None and principal.department_code in target.department_codes
    if role == "street":
        return principal.street_code is not None and principal.street_code == target.street_code
    if role == "community":
        return principal.community_code is not None and principal.community_code == target.community_code
    if role == "grid_worker":
        return ((principal.grid_code is not None and principal.grid_code == target.grid_code)
                or (principal.crew_code is not None and principal.crew_code == target.crew_code))
    return True


def can(principal: Principal | None, right: str, target: Target | None = None) -> bool:
    """Whether ``principal`` holds ``right`` — on ``target`` when one is given.

    Without a target a scoped right answers whether the principal holds it on *some* tickets (a list then
    filters by ``ticket_scope``); a door that shows one ticket passes the ticket."""
    if right not in RIGHTS:
        raise ValueError(f"unknown right {right!r}")
    if principal is None:
        return False
    for role in principal.roles:
        if right not in ROLE_RIGHTS.get(role, ()):
            continue
        if target is None or right not in SCOPED_RIGHTS or _within_scope(role, principal, target):
            return True
    return False


def require(principal: Principal | None, right: str, target: Target | None = None) -> Principal:
    """``principal`` when it holds the right; ``SignInRequired`` for nobody, ``Forbidden`` otherwise."""
    if principal is None:
        raise SignInRequired(right)
    if not can(principal, right, target):
        raise Forbidden(right)
    return principal


def ticket_scope(principal: Principal | None, right: str = "ticket_read") -> dict[str, set[str]] | None:
    """What a list of tickets must be filtered to for ``principal``: None = every ticket; else the union of
    ``{"department": {...}, "street": {...}, "community": {...}, "grid": {...}, "crew": {...}}`` (an empty dict:
    none at all)."""
    if principal is None:
        return {}
    scope: dict[str, set[str]] = {}
    for role in principal.roles:
        if right not in ROLE_RIGHTS.get(role, ()):
            continue
        if right not in SCOPED_RIGHTS or role not in ROLE_SCOPE:
            return None
        for key, attribute in SCOPE_FIELDS[role]:
            value = getattr(principal, attribute)
            if value:
                scope.setdefault(key, set()).add(value)
    return scope


def missing_scopes(roles: Iterable[str], scopes: Mapping[str, str | None]) -> list[str]:
    """The scopes a set of roles needs but ``scopes`` lacks (``department`` for a department user …)."""
    return sorted({ROLE_SCOPE[r] for r in roles if r in ROLE_SCOPE and not scopes.get(ROLE_SCOPE[r])})


# ------------------------------------------------------------------------------------------------ photos

def photo_is_public(marked_public: bool, source: str, open311_photos_public: bool) -> bool:
    """Whether anyone (signed in or not) may see a ticket's photo: one a unit marked public (a reply's photos
    shown on /track), or one a citizen sent through Open311 where the site publishes those
    (OPEN311_PHOTOS_PUBLIC)."""
    return marked_public or (source == "open311" and open311_photos_public)


def may_see_photo(principal: Principal | None, ticket: Target) -> bool:
    """A photo that is not public: whoever may read the ticket (a scoped role only its own tickets), and an API
    key's holder (keys read whole tickets through /api/v1)."""
    if principal is None:
        return False
    return principal.kind == "api_key" or can(principal, "ticket_read", ticket)


# ------------------------------------------------------------------------------------------------ pages

PUBLIC = "public"          # anyone, signed in or not
SIGNED_IN = "signed_in"    # any signed-in user

# Each page of the product and who may open it. The path is the page's Dash path (templates as registered).
PAGES: dict[str, frozenset[str] | str] = {
    "/": frozenset({"dispatcher", "supervisor", "leader"}),
    "/wall": frozenset({"wall", "dispatcher", "leader"}),
    "/hotline": frozenset({"operator"}),
    "/analytics": frozenset({"leader", "supervisor"}),
    "/tickets/<number>": frozenset({"operator", "dispatcher", "supervisor"}),
    "/audit": frozenset({"admin", "supervisor"}),
    "/account": SIGNED_IN,
    "/login": PUBLIC,
    "/report": PUBLIC,
    "/track": PUBLIC,
    "/track/<number>": PUBLIC,
    "/evaluate/<token>": PUBLIC,
}

# Data endpoints (not pages) that need a signed-in user, by the right they need. Keys are Flask endpoint names or
# blueprint names (every endpoint of the blueprint).
DATA_ENDPOINTS: dict[str, str] = {
    "live": "live_feed",                      # /live/snapshot, /live/events (not the crews' position POST)
    "exports": "export",                      # /exports/department-scores.*, /exports/statistics.*
    "identity.audit_export": "audit",         # /audit/export.csv
}

# Navigation: the pages a role's header links to, in this order, with their names.
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/", "指挥地图"), ("/hotline", "受理登记"), ("/wall", "大屏"), ("/analytics", "领导驾驶舱"),
    ("/audit", "审计日志"),
)

# Where a role lands after signing in; a user with several roles lands at the first of theirs in this order.
HOME_PAGES: tuple[tuple[str, str], ...] = (
    ("dispatcher", "/"), ("operator", "/hotline"), ("supervisor", "/"), ("leader", "/analytics"),
    ("wall", "/wall"), ("admin", "/audit"),
)
FALLBACK_HOME = "/account"      # department, street, community and grid worker until their workplaces exist


def page_rule(path: str) -> frozenset[str] | str | None:
    """Who may open the page registered at ``path`` (None: the page has no rule — nobody may)."""
    return PAGES.get(path)


def may_open(principal: Principal | None, path: str) -> bool:
    rule = page_rule(path)
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if principal is None:
        return False
    return rule == SIGNED_IN or bool(principal.roles & rule)


def home_page(principal: Principal) -> str:
    for role, page in HOME_PAGES:
        if role in principal.roles:
            return page
    return FALLBACK_HOME


def navigation(principal: Principal) -> list[tuple[str, str]]:
    return [(path, name) for path, name in NAVIGATION if may_open(principal, path)]

"""Who may do what: the one table of rights of the product, in plain Python (no web framework, no database).

Every door asks here, and (from phase 2 of the sign-in issue on) every service: ``can(principal, right, target)``
answers, ``require(...)`` raises ``Forbidden``. A right is held through a role; the roles of a unit's staff, of a
street's or a community's and of a grid worker are *scoped*: their rights on a ticket hold only when the ticket is
theirs (``Target``). Hiding a button is not a right: this table is.

Three kinds of principal ask: a signed-in ``user`` (rights through roles), the holder of an ``api_key`` (rights
through the key's scopes, ``KEY_SCOPES``; a key bound to a department or a crew holds them only on that unit's
tickets) and the product's own ``system`` processes (the simulator, the workers, the history loader, a citizen's
evaluation link once its token is checked: ``system_principal(name)``, holding ``SYSTEM_RIGHTS``).

Also here: which transition needs which right (``ACTION_RIGHTS``), which page each role may open, which data
endpoint, and where each role lands after signing in.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    "callback": "回访（关闭、重启已办结的工单，记录群众评价）",
    "crew_position": "上报处置力量位置",
    "mediation": "矛盾纠纷调处（登记、结案、当事人信息）",
}
RIGHTS["ticket_list"] = "工单列表与导出（无 ticket_read 时不含群众个人信息）"     # issue 11, /tickets
RIGHTS["risk_assessment"] = "重大决策社会稳定风险评估（登记、导入、导出项目）"     # issue 13, /risk
# Issue 11, handling (services/handling.py): the unit asks for more time, pauses, answers its co-handling part;
# the district (a supervisor, the admin) decides on extensions.
RIGHTS["extension_request"] = "申请延期（本单位的工单）"
RIGHTS["ticket_hold"] = "挂起与恢复办理（本单位的工单）"
RIGHTS["assist_answer"] = "协办答复（本单位协办的工单）"
RIGHTS["extension_decide"] = "审批延期申请，解除挂起"
# /work (issue 11): a unit sends one of its own crews to a ticket it holds (转派). Narrower than ``dispatch``, which
# chooses the unit and any crew of the district: this one is scoped, and the crew must be the unit's.
RIGHTS["crew_assign"] = "转派本单位的处置力量（本单位承办的工单）"
RIGHTS["consultation"] = "民主恳谈（发起恳谈、推进阶段、记录参与人员、决定与落实，报名人信息）"   # issue 13
RIGHTS["petitions"] = "信访案件（登记、办结、导入导出、信访人信息）"                       # issue 13, /petitions
RIGHTS["resources"] = "社会力量（登记、编辑、导入、导出社会组织、志愿服务队、公益性岗位）"   # issue 13, /resources

ROLE_RIGHTS: dict[str, frozenset[str]] = {
    "operator": frozenset({"intake", "caller_history", "ticket_read", "callback"}),
    "dispatcher": frozenset({"command_map", "dispatch", "transfer", "ticket_read", "live_feed", "wall"}),
    "department": frozenset({"ticket_read", "ticket_handle"}),
    "street": frozenset({"ticket_read", "ticket_handle", "mediation"}),
    "community": frozenset({"ticket_read", "ticket_handle", "mediation"}),
    "supervisor": frozenset({"supervision", "ticket_read", "command_map", "live_feed", "analytics", "export",
                             "audit", "mediation"}),
    "leader": frozenset({"analytics", "export", "command_map", "live_feed", "wall"}),
    "wall": frozenset({"wall", "live_feed"}),
    "grid_worker": frozenset({"grid_tasks", "ticket_read", "ticket_handle", "crew_position"}),
    "admin": frozenset({"users", "rules", "api_keys", "audit"}),
}

# The ticket list (/tickets, issue 11): the center's roles; leaders see it without personal data.
for _role in ("operator", "dispatcher", "supervisor", "leader"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"ticket_list"}

# Stability risk assessment (/risk, issue 13): street staff record their street's projects, supervisors all.
for _role in ("street", "supervisor"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"risk_assessment"}

# Handling (issue 11): the units that handle tickets ask for extensions and hold them; a department answers the
# co-handling part of its tickets; supervisors and the admin ("the district") decide on extensions.
for _role in ("department", "street", "community"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"extension_request", "ticket_hold"}
ROLE_RIGHTS["department"] = ROLE_RIGHTS["department"] | {"assist_answer"}
for _role in ("supervisor", "admin"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"extension_decide"}
# 承办工作台 (/work, issue 11): the handling units send their own crews to the tickets they hold.
for _role in ("department", "street", "community"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"crew_assign"}
# Democratic consultation (/consultation, issue 13): street and community staff run their own sessions; leaders and
# the administrator everywhere.
for _role in ("street", "community", "leader", "admin"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"consultation"}
# Social forces (/resources, issue 13): street and community staff keep their own street's or community's
# resources, supervisors all; leaders read the figures (analytics). The elders of the one-key phones are people:
# their names, phones and contacts need ``ticket_read`` on their home (as a ticket at that home would).
for _role in ("street", "community", "supervisor"):
    ROLE_RIGHTS[_role] = ROLE_RIGHTS[_role] | {"resources"}

# Petitions (/petitions, issue 13): the supervisors of the center register and close them with the petitioner's
# name and phone; leaders read the figures and the list without them (analytics).
ROLE_RIGHTS["supervisor"] = ROLE_RIGHTS["supervisor"] | {"petitions"}

# What a scoped role's tickets are filtered by: (filter name, Principal attribute).
SCOPE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "department": (("department", "department_code"),), "street": (("street", "street_code"),),
    "community": (("community", "community_code"),), "grid_worker": (("grid", "grid_code"), ("crew", "crew_code")),
}

# Rights that a scoped role holds only on its own tickets (the others it holds, it holds everywhere).
SCOPED_RIGHTS = frozenset({"ticket_read", "ticket_handle", "grid_tasks", "crew_position", "mediation",
                           "risk_assessment", "extension_request", "ticket_hold", "assist_answer",
                           "crew_assign", "consultation", "resources"})

# Which right each transition of workorders/states.py needs (any one of them). Handling a ticket (签收, 退回, 到场,
# 办结) is the handling unit's; dispatching, convening and merging the command center's; the operator merges the
# duplicate just registered and, calling the citizen back, closes or reopens; escalation is supervision.
ACTION_RIGHTS: dict[str, tuple[str, ...]] = {
    "dispatch": ("dispatch",), "joint_meeting": ("dispatch",), "merge": ("dispatch", "intake"),
    "refuse": ("dispatch", "ticket_handle"), "accept": ("ticket_handle",), "return": ("ticket_handle",),
    "arrive": ("ticket_handle",), "resolve": ("ticket_handle",), "evaluate": ("callback",),
    "reopen": ("callback",), "close": ("callback",), "escalate": ("supervision",),
}

# ------------------------------------------------------------------------------------------------ keys, system

# API key scopes (`flask --app app:server create-api-key NAME --scope S …`) and the rights each gives a key.
KEY_SCOPES: dict[str, str] = {
    "intake": "登记工单、一键通呼叫", "transitions": "办理与流转工单、督办记录",
    "positions": "上报处置力量位置", "read": "读取工单与督办（含群众姓名、电话）",
}
DEFAULT_KEY_SCOPES = frozenset({"intake", "read"})
SCOPE_RIGHTS: dict[str, frozenset[str]] = {
    "intake": frozenset({"intake"}),
    "transitions": frozenset({"ticket_handle", "dispatch", "transfer", "callback", "supervision",
                              "extension_request", "ticket_hold", "assist_answer", "extension_decide"}),
    "positions": frozenset({"crew_position"}),
    "read": frozenset({"ticket_read", "caller_history"}),
}
# Rights a key bound to a department or a crew never holds: a unit's key would approve its own extension.
UNBOUND_KEY_RIGHTS = frozenset({"extension_decide"})
# A crew's own key (its phone, its vehicle's tracker) always reports that crew's position, whatever its scopes.
CREW_KEY_RIGHTS = frozenset({"crew_position"})

# The product's own processes act on every ticket; they hold no right over people's accounts, keys or the audit.
SYSTEM_RIGHTS = frozenset({"intake", "ticket_read", "ticket_handle", "dispatch", "transfer", "callback",
                           "supervision", "crew_position", "extension_request", "ticket_hold", "assist_answer",
                           "extension_decide"})


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
    """Who acts: a signed-in user (rights by ``roles``), the holder of an API key (rights by ``scopes``, bound by
    ``department_code`` / ``crew_code``) or a system process; ``label`` is what a ticket's history names."""
    id: int | None
    name: str
    roles: frozenset[str]
    display_name: str = ""
    department_code: str | None = None
    street_code: str | None = None
    community_code: str | None = None
    crew_code: str | None = None
    grid_code: str | None = None          # a grid worker's grid: the grid of their crew
    kind: str = "user"                    # "user" | "api_key" | "system"
    scopes: frozenset[str] = frozenset()  # an API key's scopes (KEY_SCOPES)

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def is_kiosk(self) -> bool:
        """A wall screen's session: it never times out. Only a user who is nothing but ``wall``."""
        return self.kind == "user" and self.roles == frozenset({"wall"})

    @property
    def audit_name(self) -> str:
        """The audit log's actor: a user by username, a key or a process by its kind and name."""
        return self.name if self.kind == "user" else f"{self.kind}:{self.name}"

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
    lead_department_code: str | None = None       # the one unit that moves the ticket (签收, 退回, 办结 …)

    @classmethod
    def of_ticket(cls, ticket: Mapping) -> "Target":
        """From a ticket row (``lead_department_code``, ``co_department_codes``, ``street_code`` …)."""
        units = {ticket.get("lead_department_code"), *(ticket.get("co_department_codes") or ())}
        return cls(frozenset(u for u in units if u), ticket.get("street_code"), ticket.get("community_code"),
                   ticket.get("grid_code"), ticket.get("crew_code"), ticket.get("lead_department_code"))

    def for_moving(self) -> "Target":
        """The target a transition is judged on: a co-handling unit reads the ticket and answers its part
        (协办答复), but only the lead unit signs for it, returns it or closes it."""
        if self.lead_department_code is None:
            return self
        return replace(self, department_codes=frozenset({self.lead_department_code}))


def system_principal(name: str) -> Principal:
    """The product itself acting as ``name`` (the simulator, a worker, the history loader, the citizen's
    evaluation link): ``name`` is what the ticket's history shows."""
    return Principal(id=None, name=name, roles=frozenset(), kind="system")


CITIZEN = system_principal("citizen")     # a rating through the evaluation link (its token is the credential)


def key_rights(principal: Principal) -> frozenset[str]:
    """The rights an API key's scopes give it (``CREW_KEY_RIGHTS`` besides for a crew's own key)."""
    rights = frozenset().union(*(SCOPE_RIGHTS.get(s, frozenset()) for s in principal.scopes))
    if principal.department_code or principal.crew_code:
        rights = rights - UNBOUND_KEY_RIGHTS
    return rights | CREW_KEY_RIGHTS if principal.crew_code else rights


def _within_binding(principal: Principal, target: Target) -> bool:
    """An API key bound to a department (or a crew) holds its rights only on that unit's tickets (or crew)."""
    if principal.department_code and principal.department_code not in target.department_codes:
        return False
    if principal.crew_code:
        return (principal.crew_code == target.crew_code
                or (principal.grid_code is not None and principal.grid_code == target.grid_code))
    return True


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
    if principal.kind == "system":
        return right in SYSTEM_RIGHTS
    if principal.kind == "api_key":
        return right in key_rights(principal) and (target is None or _within_binding(principal, target))
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


def require_action(principal: Principal | None, action: str, target: Target) -> Principal:
    """``principal`` when it may run the transition ``action`` on ``target``; else ``Forbidden`` naming it."""
    rights = ACTION_RIGHTS.get(action)
    if rights is None:
        raise ValueError(f"no right is defined for the action {action!r}")
    if principal is None:
        raise SignInRequired(rights[0])
    if not any(can(principal, right, target.for_moving()) for right in rights):
        from workorders.states import ACTIONS
        raise Forbidden(rights[0], f"没有权限：{ACTIONS[action].label}（此工单）")
    return principal



# The district's programmes (矛盾调处, 民主恳谈, 社会力量 …): who reads a programme's pages, and what of it.
def programme_reader(principal: Principal | None, right: str) -> Principal:
    """``principal`` when it keeps the programme (``right``) or reads the district's figures (``analytics``)."""
    if can(principal, right):
        return principal
    return require(principal, "analytics")


def programme_area(principal: Principal) -> dict:
    """The records a street's or a community's staff see: their own area's; everyone else who may read: all."""
    if principal.kind == "system" or principal.roles & {"supervisor", "leader", "admin"}:
        return {}
    if "street" in principal.roles:
        return {"street": principal.street_code}
    if "community" in principal.roles:
        return {"community": principal.community_code}
    return {}


# Channels a principal may file through without the ``intake`` right, and the right that suffices instead: a grid
# worker reports what they see on patrol (their own grid: services/mobile.py checks the place).
CHANNEL_RIGHTS: dict[str, str] = {"grid_worker": "grid_tasks"}


def require_intake(principal: Principal | None, channel: str) -> Principal:
    """``principal`` when it may register a ticket of ``channel``: the intake right, or the channel's own."""
    if principal is None:
        raise SignInRequired("intake")
    own = CHANNEL_RIGHTS.get(channel)
    if can(principal, "intake") or (own is not None and can(principal, own)):
        return principal
    raise Forbidden("intake")


def ticket_scope(principal: Principal | None, right: str = "ticket_read") -> dict[str, set[str]] | None:
    """What a list of tickets must be filtered to for ``principal``: None = every ticket; else the union of
    ``{"department": {...}, "street": {...}, "community": {...}, "grid": {...}, "crew": {...}}`` (an empty dict:
    none at all)."""
    if principal is None or not can(principal, right):
        return {}
    if principal.kind == "system":
        return None
    if principal.kind == "api_key":
        return _binding_scope(principal)
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


def _binding_scope(principal: Principal) -> dict[str, set[str]] | None:
    """An API key's tickets: those of its department, or of its crew and the crew's grid; every one unbound.
    (A key bound to both is filtered to its department's here; ``can`` checks both on one ticket.)"""
    if principal.department_code:
        return {"department": {principal.department_code}}
    if principal.crew_code:
        return {"crew": {principal.crew_code}, **({"grid": {principal.grid_code}} if principal.grid_code else {})}
    return None


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
    """A photo that is not public: whoever may read the ticket (a scoped role only its own tickets; an API key
    with the ``read`` scope, within its binding — as it reads whole tickets through /api/v1)."""
    return can(principal, "ticket_read", ticket)


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
    "/mediation": frozenset({"street", "community", "supervisor", "leader"}),
    "/m": frozenset({"grid_worker"}),            # the grid worker's phone (mobile/views.py, not a Dash page)
    "/supervision": frozenset({"supervisor"}),
}
PAGES["/tickets"] = frozenset({"operator", "dispatcher", "supervisor", "leader"})            # issue 11
PAGES["/risk"] = frozenset({"street", "supervisor", "leader"})                              # issue 13
PAGES["/work"] = frozenset({"department", "street", "community"})                          # issue 11, 承办工作台
PAGES["/admin"] = frozenset({"admin"})                                                      # issue 11: 系统管理
PAGES["/consultation"] = frozenset({"street", "community", "leader", "admin"})             # issue 13
PAGES["/consultation/<number>"] = PUBLIC            # a session's public page: no personal data
PAGES["/resources"] = frozenset({"street", "community", "supervisor", "leader"})            # issue 13
PAGES["/petitions"] = frozenset({"supervisor", "leader"})                                  # issue 13

# Data endpoints (not pages) that need a signed-in user, by the right they need. Keys are Flask endpoint names or
# blueprint names (every endpoint of the blueprint).
DATA_ENDPOINTS: dict[str, str] = {
    "live": "live_feed",                      # /live/snapshot, /live/events (not the crews' position POST)
    "exports": "export",                      # /exports/department-scores.*, /exports/statistics.*
    "identity.audit_export": "audit",         # /audit/export.csv
    "mobile": "grid_tasks",                   # /m's form posts and position (its GET pages are pages: "/m")
}
DATA_ENDPOINTS["ticket_exports"] = "ticket_list"   # /tickets/export.csv|.xlsx (issue 11)
DATA_ENDPOINTS["work"] = "ticket_handle"           # /work's 办结回复 with photos, multipart (issue 11, api/work.py)

# Navigation: the pages a role's header links to, in this order, with their names.
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/", "指挥地图"), ("/hotline", "受理登记"), ("/wall", "大屏"), ("/analytics", "领导驾驶舱"),
    ("/tickets", "工单列表"), ("/audit", "审计日志"), ("/mediation", "矛盾调处"),
    ("/risk", "稳评"),
    ("/consultation", "民主恳谈"), ("/resources", "社会力量"), ("/petitions", "信访"),
    ("/supervision", "督办"),
    ("/work", "承办工作台"),
    ("/admin", "系统管理"),
)

# Where a role lands after signing in; a user with several roles lands at the first of theirs in this order.
HOME_PAGES: tuple[tuple[str, str], ...] = (
    ("dispatcher", "/"), ("operator", "/hotline"), ("supervisor", "/"), ("leader", "/analytics"),
    ("wall", "/wall"), ("admin", "/admin"),
    ("grid_worker", "/m"),
    ("department", "/work"), ("street", "/work"), ("community", "/work"),
)
FALLBACK_HOME = "/account"      # a signed-in user of no role above


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
